"""Every source type yields (H, W, 3) uint8 BGR items lazily; bad inputs fail clearly."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from yolov12.inference import sources
from yolov12.inference.sources import SourceItem, iter_source


def _image(h: int, w: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _write_png(path: Path, img: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), img)
    return path


def _write_video(path: Path, n: int = 8, size: tuple[int, int] = (64, 48), fps: float = 10.0) -> Path:
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened()
    for i in range(n):
        frame = np.full((h, w, 3), 20 * i, dtype=np.uint8)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "imgs"
    d.mkdir()
    _write_png(d / "a.png", _image(20, 30, 0))
    _write_png(d / "c.png", _image(25, 10, 1))
    (d / "b.jpg").write_bytes(b"definitely not a jpeg")  # corrupt
    (d / "notes.txt").write_text("ignored: not an image or video")
    return d


def test_image_path_is_read_as_bgr(tmp_path):
    img = _image(20, 30, 0)
    path = _write_png(tmp_path / "x.png", img)
    items = list(iter_source(path))
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, SourceItem)
    assert item.path == str(path) and item.index == 0 and item.frame == 0 and not item.is_video
    np.testing.assert_array_equal(item.image, img)  # png is lossless: same BGR bytes back


def test_folder_skips_corrupt_file_with_warning(folder, caplog):
    logger = logging.getLogger("yolov12")
    logger.addHandler(caplog.handler)
    try:
        items = list(iter_source(str(folder)))
    finally:
        logger.removeHandler(caplog.handler)
    assert [Path(i.path).name for i in items] == ["a.png", "c.png"]  # sorted, b.jpg skipped, txt ignored
    assert [i.index for i in items] == [0, 1]
    assert [i.image.shape for i in items] == [(20, 30, 3), (25, 10, 3)]
    assert any("b.jpg" in r.getMessage() for r in caplog.records)


def test_folder_is_read_lazily(folder, monkeypatch):
    calls = []
    real = sources.imread

    def counting(path):
        calls.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(sources, "imread", counting)
    it = iter_source(folder)
    assert calls == []  # nothing read before iterating
    first = next(it)
    assert Path(first.path).name == "a.png" and calls == ["a.png"]


def test_glob(folder):
    items = list(iter_source(str(folder / "*.png")))
    assert sorted(Path(i.path).name for i in items) == ["a.png", "c.png"]
    with pytest.raises(FileNotFoundError, match="matched no files"):
        iter_source(str(folder / "*.bmp"))


def test_list_of_paths_keeps_order(folder):
    items = list(iter_source([folder / "c.png", str(folder / "a.png")]))
    assert [Path(i.path).name for i in items] == ["c.png", "a.png"]


def test_numpy_bgr_passes_through():
    img = _image(7, 9, 3)
    (item,) = iter_source(img)
    assert item.path == "image0"
    np.testing.assert_array_equal(item.image, img)


@pytest.mark.parametrize("shape", [(6, 8), (6, 8, 1)])
def test_numpy_grey_becomes_three_equal_channels(shape):
    grey = np.arange(48, dtype=np.uint8).reshape(shape)
    (item,) = iter_source(grey)
    assert item.image.shape == (6, 8, 3)
    for c in range(3):
        np.testing.assert_array_equal(item.image[..., c], grey.reshape(6, 8))


def test_numpy_bgra_drops_alpha():
    bgra = np.zeros((4, 5, 4), np.uint8)
    bgra[..., 0], bgra[..., 3] = 200, 7
    (item,) = iter_source(bgra)
    assert item.image.shape == (4, 5, 3) and (item.image[..., 0] == 200).all() and (item.image[..., 1:] == 0).all()


def test_numpy_bad_dtype_or_shape_is_an_error():
    with pytest.raises(ValueError, match="uint8"):
        list(iter_source(np.zeros((4, 4, 3), np.float32)))
    with pytest.raises(ValueError, match="shape|\\(H, W"):
        list(iter_source(np.zeros((4, 4, 2), np.uint8)))


def test_pil_rgb_becomes_bgr():
    image_mod = pytest.importorskip("PIL.Image")
    pil = image_mod.new("RGB", (5, 4), (255, 10, 0))  # red
    (item,) = iter_source(pil)
    assert item.image.shape == (4, 5, 3)
    assert tuple(item.image[0, 0]) == (0, 10, 255)


def test_video_frames_in_order(tmp_path):
    path = _write_video(tmp_path / "clip.mp4", n=8)
    items = list(iter_source(path))
    assert len(items) == 8
    assert [i.frame for i in items] == list(range(8)) and [i.index for i in items] == list(range(8))
    assert all(i.is_video and i.path == str(path) for i in items)
    info = items[0].video
    assert (info.width, info.height, info.frames) == (64, 48, 8) and info.fps == pytest.approx(10.0)
    assert items[0].image.shape == (48, 64, 3)
    means = [float(i.image.mean()) for i in items]
    assert means == sorted(means) and means[-1] - means[0] > 100  # frames brighten 0 -> 140: read in order


def test_video_is_read_lazily(tmp_path):
    path = _write_video(tmp_path / "clip.mp4", n=8)
    it = iter_source(path)
    a, b = next(it), next(it)
    assert (a.frame, b.frame) == (0, 1)
    it.close()  # releases the capture


def test_mixed_list(tmp_path):
    png = _write_png(tmp_path / "x.png", _image(10, 12, 0))
    vid = _write_video(tmp_path / "v.avi", n=3)
    items = list(iter_source([png, _image(5, 5, 1), vid]))
    assert [i.index for i in items] == [0, 1, 2, 3, 4]
    assert [i.is_video for i in items] == [False, False, True, True, True]
    assert items[1].path == "image1"
    assert [i.frame for i in items[2:]] == [0, 1, 2]


def test_nonexistent_path_fails_at_call_time(tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        iter_source(missing)
    png = _write_png(tmp_path / "ok.png", _image(4, 4, 0))
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        iter_source([png, missing])  # lists are checked up front


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no images or videos"):
        iter_source(tmp_path / "empty")


def test_unsupported_extension_is_an_error(tmp_path):
    p = tmp_path / "data.csv"
    p.write_text("1,2")
    with pytest.raises(ValueError, match="unsupported file type"):
        iter_source(p)


def test_explicit_unreadable_image_is_an_error(tmp_path):
    p = tmp_path / "broken.png"
    p.write_bytes(b"\x89PNG nonsense")
    with pytest.raises(ValueError, match="broken.png"):
        list(iter_source(p))


def test_unopenable_video_is_an_error(tmp_path):
    p = tmp_path / "broken.mp4"
    p.write_bytes(b"not a video at all")
    with pytest.raises(ValueError, match="broken.mp4"):
        list(iter_source(p))


@pytest.mark.parametrize("cam", [97, "97"])
def test_camera_that_cannot_open_is_an_error(cam):
    with pytest.raises(ValueError, match="camera 97"):
        list(iter_source(cam))


def test_unsupported_type_is_an_error():
    with pytest.raises(TypeError, match="unsupported source"):
        iter_source(3.5)


def test_pil_like_object_via_stand_in_module(monkeypatch):
    """PIL is optional and absent here: a stand-in ``PIL.Image`` module exercises the same code path."""
    import sys
    import types

    class FakeImage:
        def __init__(self, rgb: np.ndarray):
            self.rgb = rgb

        def convert(self, mode):
            assert mode == "RGB"
            return self.rgb

    fake = types.ModuleType("PIL.Image")
    fake.Image = FakeImage
    monkeypatch.setitem(sys.modules, "PIL.Image", fake)
    rgb = np.zeros((3, 4, 3), np.uint8)
    rgb[..., 0] = 255  # red in RGB
    (item,) = iter_source([FakeImage(rgb)])
    assert tuple(item.image[0, 0]) == (0, 0, 255)  # red in BGR


def test_generator_is_consumed_lazily_and_tensors_are_rejected():
    import torch

    pulled = []

    def gen():
        for i in range(3):
            pulled.append(i)
            yield np.full((4, 4, 3), i, np.uint8)

    it = iter_source(gen())
    assert pulled == []
    assert int(next(it).image[0, 0, 0]) == 0 and pulled == [0]
    with pytest.raises(TypeError, match="unsupported source"):
        iter_source(torch.zeros(3, 4, 4))
    with pytest.raises(TypeError, match="unsupported source"):
        iter_source(b"0")


@pytest.mark.parametrize("url", ["http://example.com/a.jpg", "https://example.com/v.mp4", "rtsp://cam/stream"])
def test_url_is_refused_without_download(url):
    with pytest.raises(ValueError, match="URLs and streams are not read \\(nothing is downloaded\\)"):
        iter_source(url)
