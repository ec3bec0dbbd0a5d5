"""imread: every unusable image is an ImageReadError naming the file, never a silent misread or a crash."""

import cv2
import numpy as np
import pytest

from yolov12.data.images import MAX_IMAGE_PIXELS, ImageReadError, declared_size, imread


def _jpeg(img: np.ndarray, **flags) -> bytes:
    params = [cv2.IMWRITE_JPEG_PROGRESSIVE, 1] if flags.get("progressive") else []
    return cv2.imencode(".jpg", img, params)[1].tobytes()


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("kind", ["noise", "smooth", "flat"])
def test_truncated_jpeg_with_an_end_marker_added_is_refused(tmp_path, cut, kind):
    rng = np.random.default_rng(0)
    img = {"noise": rng.integers(0, 255, (64, 96, 3), dtype=np.uint8),
           "smooth": cv2.GaussianBlur(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), (31, 31), 10),
           "flat": np.full((64, 48, 3), 128, np.uint8)}[kind]
    data = _jpeg(img)
    if kind == "flat" and cut == 0.99:
        cut = 0.9  # the flat file is 700 bytes: 1 % is its end marker
    (tmp_path / "ok.jpg").write_bytes(data)
    (tmp_path / "progressive.jpg").write_bytes(_jpeg(img, progressive=True))
    assert imread(tmp_path / "ok.jpg").shape == img.shape and imread(tmp_path / "progressive.jpg").shape == img.shape
    (tmp_path / "cut.jpg").write_bytes(data[: int(len(data) * cut)] + b"\xff\xd9")
    with pytest.raises(ImageReadError, match="cut.jpg: (truncated JPEG|not a decodable image)"):
        imread(tmp_path / "cut.jpg")


def test_huge_declared_size_refused_before_decoding(tmp_path):
    png = bytearray(cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))[1].tobytes())
    png[16:24] = (70_000).to_bytes(4, "big") * 2
    jpg = _jpeg(np.zeros((16, 24, 3), np.uint8))
    assert declared_size(bytes(png)) == (70_000, 70_000) and declared_size(jpg) == (16, 24)
    (tmp_path / "huge.png").write_bytes(bytes(png))
    with pytest.raises(ImageReadError, match=f"70000x70000 pixels is over the {MAX_IMAGE_PIXELS:,} pixel limit"):
        imread(tmp_path / "huge.png")
