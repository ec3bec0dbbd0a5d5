"""Bad input is detected at scan time, reported once per file, counted, and never crashes a worker."""

import logging
import os

import cv2
import numpy as np
import pytest

from yolov12.data import LabelError, build_dataset, scan_split
from yolov12.data.labels import parse_label_text

from .conftest import make_dataset


@pytest.fixture
def caplog_yolo(caplog):
    caplog.set_level(logging.WARNING, logger="yolov12")
    return caplog


def _img(path, h=32, w=32):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), 100, np.uint8))


@pytest.mark.parametrize(
    "line, reason",
    [
        ("0 0.5 0.5 0.2", "columns"),
        ("0 0.5 0.5 0.2 0.2 0.3", "columns"),
        ("0 nan 0.5 0.2 0.2", "NaN"),
        ("0 0.5 abc 0.2 0.2", "non-numeric"),
        ("-1 0.5 0.5 0.2 0.2", "not a non-negative integer"),
        ("0 0.5 0.5 -0.2 0.2", "non-positive"),
        ("0 1.5 0.5 0.2 0.2", "far outside"),
        ("0 0.1 0.1 0.4 0.3 0.4 1.3", "far outside"),
    ],
)
def test_bad_lines_dropped_with_reason(line, reason):
    res = parse_label_text(f"0 0.5 0.5 0.1 0.1\n{line}\n", nc=2, name="f.txt")
    assert res.dropped == 1 and len(res.cls) == 1
    assert any(reason in p and "f.txt:2" in p for p in res.problems), res.problems


def test_slightly_outside_is_clipped_and_duplicates_dropped():
    res = parse_label_text("0 0.05 0.5 0.11 0.2\n0 0.05 0.5 0.11 0.2\n", nc=1, name="f.txt")
    assert res.clipped == 1 and res.duplicates == 1 and len(res.cls) == 1
    x1 = res.boxes[0, 0] - res.boxes[0, 2] / 2
    assert x1 == pytest.approx(0.0, abs=1e-6) and res.boxes[0, 2] == pytest.approx(0.105, abs=1e-6)


def test_scan_counts_every_problem(tmp_path, caplog_yolo):
    im, lb = tmp_path / "images", tmp_path / "labels"
    for name in ("good", "background", "emptylabel", "dups", "allbad"):
        _img(im / f"{name}.png")
    (lb).mkdir()
    (lb / "good.txt").write_text("0 0.5 0.5 0.2 0.2\n1 0.2 0.2 0.1 0.1 0.5\n")  # second line: bad columns
    (lb / "emptylabel.txt").write_text("")
    (lb / "dups.txt").write_text("0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n")
    (lb / "allbad.txt").write_text("0 nan 0.5 0.2 0.2\n")
    (lb / "orphan.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (im / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    (im / "empty.png").write_bytes(b"")
    ok, buf = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    (im / "truncated.jpg").write_bytes(buf.tobytes()[: len(buf) // 2])
    samples, stats = scan_split([im], nc=2, cache=False)
    names = sorted(os.path.basename(s.im_file) for s in samples)
    assert names == ["background.png", "dups.png", "emptylabel.png", "good.png"]
    assert (stats.found, stats.missing, stats.empty, stats.corrupt) == (2, 1, 1, 4)
    assert stats.duplicates == 1 and stats.dropped_lines == 2 and stats.orphan_labels == 1
    text = caplog_yolo.text
    for needle in ("corrupt.jpg", "empty.png: empty file", "truncated JPEG", "orphan.txt", "good.txt:2",
                   "dups.txt: 1 duplicate", "allbad.txt"):
        assert needle in text, needle
    assert text.count("truncated.jpg") == 1  # once per file


def test_class_id_out_of_range_is_an_error_naming_file_and_line(tmp_path):
    _img(tmp_path / "images" / "a.png")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.1 0.1\n")
    with pytest.raises(LabelError, match=r"a\.txt:2: class id 3 >= nc=2"):
        scan_split([tmp_path / "images"], nc=2, cache=False)


def test_no_images_is_a_clear_error(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(FileNotFoundError, match="no images"):
        scan_split([tmp_path / "images"], nc=1, cache=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read unreadable folders")
def test_unreadable_directory_is_reported(tmp_path, caplog_yolo):
    _img(tmp_path / "images" / "a.png")
    locked = tmp_path / "images" / "locked"
    _img(locked / "b.png")
    locked.chmod(0)
    try:
        samples, stats = scan_split([tmp_path / "images"], nc=1, cache=False)
    finally:
        locked.chmod(0o755)
    assert len(samples) == 1 and "unreadable directory" in caplog_yolo.text


def test_label_cache_reused_and_invalidated(tmp_path, caplog_yolo):
    yaml_path = make_dataset(tmp_path / "ds", n=3)
    caplog_yolo.set_level(logging.INFO, logger="yolov12")
    src = [tmp_path / "ds" / "images" / "train"]
    s1, _ = scan_split(src, nc=7)
    cache = tmp_path / "ds" / "labels" / "train.cache.npz"
    assert cache.is_file() and yaml_path.is_file()
    caplog_yolo.clear()
    s2, _ = scan_split(src, nc=7)
    assert "from cache" in caplog_yolo.text
    for a, b in zip(s1, s2):
        assert a.im_file == b.im_file and a.shape == b.shape
        np.testing.assert_array_equal(a.boxes, b.boxes)
        np.testing.assert_array_equal(a.cls, b.cls)
    lbl = tmp_path / "ds" / "labels" / "train" / "im0.txt"
    lbl.write_text("0 0.5 0.5 0.3 0.3\n")
    os.utime(lbl, ns=(1, 1))
    caplog_yolo.clear()
    s3, _ = scan_split(src, nc=7)
    assert "from cache" not in caplog_yolo.text
    assert s3[0].cls.tolist() == [0] and s3[0].boxes[0, 2] == pytest.approx(0.3)


def test_image_failing_mid_epoch_is_substituted(tmp_path, caplog_yolo):
    yaml_path = make_dataset(tmp_path / "ds", n=4)
    ds = build_dataset(yaml_path, "val", imgsz=64, label_cache=False)
    bad = ds.samples[0].im_file
    with open(bad, "wb") as f:
        f.write(b"")  # the file breaks after the scan
    item = ds[0]
    assert item["im_file"] != bad and item["img"].shape[0] == 3
    assert bad in caplog_yolo.text and "substituting" in caplog_yolo.text


# --- issue 13: silent misreads and crashes of the scan ------------------------------------------------------


def test_symlink_loops_and_second_links_count_each_image_once(tmp_path, caplog_yolo):
    im = tmp_path / "images"
    for k in range(3):
        _img(im / "sub" / f"a{k}.png")
    (im / "sub" / "loop").symlink_to(im, target_is_directory=True)  # images/sub/loop -> images (a loop)
    (im / "again").symlink_to(im / "sub", target_is_directory=True)  # a second way to the same folder
    (im / "a0-link.png").symlink_to(im / "sub" / "a0.png")  # a file link to an image already listed
    samples, stats = scan_split([im], nc=1, cache=False)
    assert sorted(s.im_file for s in samples) == [str(im / "sub" / f"a{k}.png") for k in range(3)]  # direct paths
    assert stats.linked_twice == 1 and "counted once" in caplog_yolo.text  # the file link
    assert "2 folder link(s) back into the folder skipped" in caplog_yolo.text


def test_same_stem_other_extension_is_a_counted_warning(tmp_path, caplog_yolo):
    _img(tmp_path / "images" / "a.png")
    _img(tmp_path / "images" / "a.jpg", 40, 20)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    samples, stats = scan_split([tmp_path / "images"], nc=1, cache=False)
    assert stats.shared_labels == 2 and "label file of 2 images (a.jpg, a.png)" in caplog_yolo.text
    assert sorted(s.shape for s in samples) == [(32, 32), (40, 20)]  # distinct entries, each its own size


def test_label_cache_lives_beside_the_dataset_not_beside_a_listed_file(tmp_path):
    ds, elsewhere = tmp_path / "ds", tmp_path / "elsewhere"
    _img(elsewhere / "images" / "x.png")  # a list entry pointing out of the dataset
    (elsewhere / "labels").mkdir()
    (elsewhere / "labels" / "x.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    ds.mkdir()
    (ds / "train.txt").write_text(f"{elsewhere / 'images' / 'x.png'}\n")
    scan_split([ds / "train.txt"], nc=1)
    assert (ds / "train.cache.npz").is_file()
    assert sorted(p.name for p in elsewhere.rglob("*")) == ["images", "labels", "x.png", "x.txt"]


def test_bom_missing_labels_folder_and_label_directory(tmp_path, caplog_yolo):
    assert parse_label_text("\ufeff0 0.5 0.5 0.2 0.2\n", nc=1).cls.tolist() == [0]
    _img(tmp_path / "images" / "bom.png")
    _img(tmp_path / "images" / "dir.png")
    (tmp_path / "labels" / "dir.txt").mkdir(parents=True)
    (tmp_path / "labels" / "bom.txt").write_bytes("\ufeff0 0.5 0.5 0.2 0.2\n".encode("utf-8"))
    samples, stats = scan_split([tmp_path / "images"], nc=1, cache=False)
    assert [len(s) for s in samples] == [1] and stats.corrupt == 1  # BOM: the object kept; directory: excluded
    assert "dir.txt: label path is not a file" in caplog_yolo.text
    _img(tmp_path / "b" / "images" / "a.png")
    _img(tmp_path / "b" / "images" / "c.png")
    caplog_yolo.clear()
    scan_split([tmp_path / "b" / "images"], nc=1, cache=False)
    assert caplog_yolo.text.count("does not exist: its 2 image(s) have no labels") == 1


def test_huge_declared_size_and_bad_file_names_are_counted_not_fatal(tmp_path, caplog_yolo):
    _img(tmp_path / "images" / "ok.png")
    ok, buf = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    data = bytearray(buf.tobytes())
    data[16:24] = (200_000).to_bytes(4, "big") * 2  # IHDR: 200000 x 200000 pixels
    (tmp_path / "images" / "huge.png").write_bytes(bytes(data))
    bad = os.fsencode(tmp_path / "images") + b"/bad\xff.png"
    with open(bad, "wb") as f:
        f.write(buf.tobytes())
    samples, stats = scan_split([tmp_path / "images"], nc=1)  # with the cache: names must hash and serialise
    assert [os.path.basename(s.im_file) for s in samples] == ["ok.png"] and stats.corrupt == 2
    assert "over the 268,435,456 pixel limit" in caplog_yolo.text and "bad\\udcff.png" in caplog_yolo.text
