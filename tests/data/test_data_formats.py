"""data.yaml parsing, label parsing, image decoding and the COCO / VOC readers and converters."""

import json
import struct

import cv2
import numpy as np
import pytest

from yolov12.data import DataConfigError, imread, load_data_config
from yolov12.data.convert import coco_to_yolo, voc_to_yolo
from yolov12.data.images import ImageReadError
from yolov12.data.labels import format_label_lines, img2label_path, parse_label_text
from yolov12.data.scan import list_image_files, scan_split


def test_img2label_path_replaces_last_images_component(tmp_path):
    p = tmp_path / "images" / "x" / "images" / "a.b.jpg"
    assert img2label_path(p) == tmp_path / "images" / "x" / "labels" / "a.b.txt"
    assert img2label_path(tmp_path / "foo" / "a.png") == tmp_path / "foo" / "a.txt"


def test_load_data_config_names_and_sources(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "list.txt").write_text("")
    (tmp_path / "d.yaml").write_text(
        "path: .\ntrain: [imgs, list.txt]\nval: imgs\nnames: {0: cat, 1: dog}\n"
    )
    cfg = load_data_config(tmp_path / "d.yaml")
    assert cfg.names == ["cat", "dog"] and cfg.nc == 2
    assert cfg.train == [tmp_path / "imgs", tmp_path / "list.txt"]
    assert cfg.test == []
    with pytest.raises(DataConfigError, match="'test' is not defined"):
        cfg.split("test")
    cfg2 = load_data_config({"path": str(tmp_path), "val": "imgs", "names": ["a", "b", "c"]})
    assert cfg2.nc == 3 and cfg2.val == [tmp_path / "imgs"]


def test_txt_list_relative_to_its_folder(tmp_path):
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "train.txt").write_text("./images/a.png\n\nimages/missing.png\n")
    files = list_image_files([tmp_path / "train.txt"])
    assert files == [tmp_path / "images" / "a.png"]


def test_parse_labels_boxes_and_polygons():
    res = parse_label_text("1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.3 0.1 0.3 0.5\n", nc=2)
    assert res.cls.tolist() == [1, 0]
    np.testing.assert_allclose(res.boxes[0], [0.5, 0.5, 0.2, 0.4], atol=1e-6)
    np.testing.assert_allclose(res.boxes[1], [0.2, 0.3, 0.2, 0.4], atol=1e-6)  # polygon's bounding box
    assert res.segments is None  # mixed file: boxes only
    res = parse_label_text("0 0.1 0.1 0.3 0.1 0.3 0.5\n", nc=1)
    assert res.segments is not None and res.segments[0].shape == (3, 2)
    text = format_label_lines(res.cls, res.boxes, res.segments)
    again = parse_label_text(text, nc=1)
    np.testing.assert_allclose(again.boxes, res.boxes, atol=1e-6)


def _exif_jpeg(img: np.ndarray, orientation: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", img)
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    app1 = b"Exif\x00\x00" + tiff
    seg = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    data = buf.tobytes()
    return data[:2] + seg + data[2:]


def test_imread_formats_and_exif(tmp_path):
    base = np.zeros((20, 40, 3), np.uint8)
    base[:, :20] = (0, 0, 255)
    for ext in (".png", ".bmp", ".tiff", ".webp", ".jpg"):
        cv2.imwrite(str(tmp_path / f"a{ext}"), base)
        im = imread(tmp_path / f"a{ext}")
        assert im.shape == (20, 40, 3) and im.dtype == np.uint8
    cv2.imwrite(str(tmp_path / "g16.png"), np.full((5, 6), 65535, np.uint16))
    im = imread(tmp_path / "g16.png")
    assert im.shape == (5, 6, 3) and im.dtype == np.uint8 and im.min() == 255
    rgba = np.zeros((5, 6, 4), np.uint8)
    rgba[..., 1] = 200
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    assert imread(tmp_path / "rgba.png").shape == (5, 6, 3)
    (tmp_path / "rot.jpg").write_bytes(_exif_jpeg(base, 6))  # 6 = rotate 90 clockwise
    assert imread(tmp_path / "rot.jpg").shape == (40, 20, 3)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        imread(tmp_path / "empty.png")
    with pytest.raises(ImageReadError, match="cannot read"):
        imread(tmp_path / "nope.png")


def _coco_fixture(tmp_path):
    img_dir = tmp_path / "coco_images"
    img_dir.mkdir()
    cv2.imwrite(str(img_dir / "a.jpg"), np.zeros((100, 200, 3), np.uint8))
    cv2.imwrite(str(img_dir / "b.jpg"), np.zeros((50, 50, 3), np.uint8))
    data = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 200, "height": 100},
            {"id": 2, "file_name": "b.jpg", "width": 50, "height": 50},
            {"id": 3, "file_name": "missing.jpg", "width": 50, "height": 50},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "bbox": [10, 20, 40, 30], "iscrowd": 0,
             "segmentation": [[10, 20, 50, 20, 50, 50, 10, 50]]},
            {"id": 2, "image_id": 1, "category_id": 90, "bbox": [0, 0, 20, 10], "iscrowd": 1},
            {"id": 3, "image_id": 2, "category_id": 90, "bbox": [40, 40, 20, 20], "iscrowd": 0},
        ],
        "categories": [{"id": 90, "name": "dog"}, {"id": 7, "name": "cat"}],
    }
    (tmp_path / "instances_train.json").write_text(json.dumps(data))
    return tmp_path / "instances_train.json", img_dir


def test_coco_to_yolo_roundtrip(tmp_path):
    js, img_dir = _coco_fixture(tmp_path)
    yaml_path = coco_to_yolo(js, img_dir, tmp_path / "out")
    cfg = load_data_config(yaml_path)
    assert cfg.names == ["cat", "dog"]  # ids 7 < 90
    samples, stats = scan_split(cfg.train, cfg.nc, cache=False)
    by = {s.im_file.rsplit("/", 1)[-1]: s for s in samples}
    assert set(by) == {"a.jpg", "b.jpg"}
    np.testing.assert_allclose(by["a.jpg"].boxes, [[30 / 200, 35 / 100, 40 / 200, 30 / 100]], atol=1e-5)
    assert by["a.jpg"].cls.tolist() == [0] and by["a.jpg"].segments is not None
    np.testing.assert_allclose(by["b.jpg"].boxes, [[45 / 50, 45 / 50, 10 / 50, 10 / 50]], atol=1e-5)  # clipped
    assert by["b.jpg"].cls.tolist() == [1]


def test_voc_to_yolo(tmp_path):
    img_dir = tmp_path / "JPEGImages"
    ann = tmp_path / "Annotations"
    img_dir.mkdir()
    ann.mkdir()
    cv2.imwrite(str(img_dir / "x.jpg"), np.zeros((100, 100, 3), np.uint8))
    objs = "".join(
        f"<object><name>{n}</name><difficult>0</difficult><bndbox><xmin>{a}</xmin><ymin>{b}</ymin>"
        f"<xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object>"
        for n, a, b, c, d in [("tree", 10, 10, 30, 50), ("bush", 50, 60, 120, 90)]
    )
    (ann / "x.xml").write_text(
        f"<annotation><filename>x.jpg</filename><size><width>100</width><height>100</height></size>{objs}"
        "</annotation>"
    )
    (ann / "broken.xml").write_text("<annotation><object>")
    yaml_path = voc_to_yolo(ann, img_dir, tmp_path / "out", split="val")
    cfg = load_data_config(yaml_path)
    assert cfg.names == ["bush", "tree"]
    (s,), _ = scan_split(cfg.val, cfg.nc, cache=False)
    np.testing.assert_allclose(s.boxes, [[0.2, 0.3, 0.2, 0.4], [0.75, 0.75, 0.5, 0.3]], atol=1e-5)
    assert s.cls.tolist() == [1, 0]
