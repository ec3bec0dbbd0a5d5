"""COCO instance segmentation json -> YOLO segment labels: every COCO form real tools write, read back strictly.

Oracle: pycocotools' decoding of the original segmentation (polygons: frPyObjects + merge; RLE: decode).
"""

import json

import cv2
import numpy as np
import pytest
import yaml

from yolov12.cli import main
from yolov12.data import LabelFormat
from yolov12.data.convert import coco_to_yolo
from yolov12.data.formats.coco_segment import bridge_polygons, read_coco_segment
from yolov12.data.labels import parse_label_file
from yolov12.ops.masks import polygon_to_mask

mask_util = pytest.importorskip("pycocotools.mask")

W, H = 120, 100
SEG = LabelFormat("segment")


def _blob() -> np.ndarray:
    """A disk with a hole and a separate small square: an RLE object of two outer parts and one hole."""
    m = np.zeros((H, W), np.uint8)
    cv2.circle(m, (40, 50), 25, 1, -1)
    cv2.circle(m, (40, 50), 8, 0, -1)
    m[10:25, 90:110] = 1
    return m


def _uncompressed(mask: np.ndarray) -> dict:
    flat = mask.T.reshape(-1)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    return {"size": [H, W], "counts": ([0] if flat[0] else []) + runs}


def _compressed(mask: np.ndarray) -> dict:
    rle = mask_util.encode(np.asfortranarray(mask))
    return {"size": rle["size"], "counts": rle["counts"].decode()}


def _oracle(seg) -> np.ndarray:
    """COCO's mask of a segmentation (pycocotools)."""
    if isinstance(seg, list):
        return mask_util.decode(mask_util.merge(mask_util.frPyObjects(seg, H, W)))
    if isinstance(seg["counts"], list):
        seg = mask_util.frPyObjects(seg, H, W)
    return mask_util.decode(seg)


def _iou(a, b) -> float:
    a, b = a.astype(bool), b.astype(bool)
    return (a & b).sum() / (a | b).sum()


def _rect(x0, y0, x1, y1):
    return [x0, y0, x1, y0, x1, y1, x0, y1]


TWO_PARTS = [_rect(10, 10, 30, 40), _rect(60, 60, 100, 90)]  # an occluded object: two separate pieces
OVERLAP = [_rect(5, 60, 45, 95), _rect(30, 50, 70, 80)]  # parts that overlap: COCO's mask is their union


@pytest.fixture
def coco(tmp_path):
    img_dir = tmp_path / "imgs"
    img_dir.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        cv2.imwrite(str(img_dir / name), np.full((H, W, 3), 80, np.uint8))
    blob = _blob()
    anns = [
        (1, 7, [_rect(20, 20, 50, 60)], 0),  # one polygon
        (1, 3, TWO_PARTS, 0),
        (1, 10, _compressed(blob), 0),  # RLE, compressed string counts
        (1, 10, _compressed(np.ones((H, W), np.uint8)), 1),  # crowd: skipped
        (2, 3, _uncompressed(blob), 0),  # RLE, uncompressed list counts
        (2, 7, OVERLAP, 0),
        (2, 7, [[1, 2, 3, 4]], 0),  # fewer than 3 points: no mask
        (2, 7, {"size": [H + 1, W], "counts": [0, 5]}, 0),  # RLE of another size than its image
        (99, 3, [_rect(1, 1, 9, 9)], 0),  # unknown image
        (1, 42, [_rect(1, 1, 9, 9)], 0),  # unknown category
    ]
    data = {
        # ids out of order, not starting at 1, with gaps
        "categories": [{"id": 10, "name": "ten"}, {"id": 3, "name": "three"}, {"id": 7, "name": "seven"}],
        "images": [{"id": 1, "file_name": "a.png", "width": W, "height": H},
                   {"id": 2, "file_name": "b.png", "width": W, "height": H},
                   {"id": 4, "file_name": "c.png", "width": W, "height": H},  # background, no annotation
                   {"id": 5, "file_name": "gone.png", "width": W, "height": H}],  # not on disk
        "annotations": [{"id": k, "image_id": i, "category_id": c, "segmentation": s, "iscrowd": crowd,
                         "bbox": [0, 0, 1, 1], "area": 1} for k, (i, c, s, crowd) in enumerate(anns)],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(data))
    return path, img_dir, anns


def _read_back(label_file, names):
    parsed = parse_label_file(label_file, len(names), SEG)
    assert not parsed.problems and not parsed.class_errors, parsed.problems
    return parsed


def test_convert_segment_all_cases(coco, tmp_path):
    path, img_dir, anns = coco
    out = tmp_path / "out"
    yaml_path = coco_to_yolo(path, img_dir, out, task="segment")
    names = yaml.safe_load(yaml_path.read_text())["names"]
    assert names == ["three", "seven", "ten"]  # category ids 3, 7, 10 -> classes 0, 1, 2

    _, _, report = read_coco_segment(path, img_dir)
    assert (report.images, report.background, report.missing_images) == (3, 1, 1)
    assert (report.instances, report.multi_part, report.overlapping_parts, report.from_rle) == (5, 2, 1, 2)
    assert (report.crowd, report.unknown_image, report.unknown_category) == (1, 1, 1)
    assert (report.no_mask, report.bad_rle_size) == (1, 1)

    assert (out / "labels/train/c.txt").read_text() == ""  # background image kept, empty label file
    assert (out / "images/train/c.png").is_file() and not (out / "images/train/gone.png").exists()

    a, b = _read_back(out / "labels/train/a.txt", names), _read_back(out / "labels/train/b.txt", names)
    assert a.cls.tolist() == [1, 0, 2] and b.cls.tolist() == [0, 1]
    written = {"a": [anns[0][2], anns[1][2], anns[2][2]], "b": [anns[4][2], anns[5][2]]}
    for parsed, segs in ((a, written["a"]), (b, written["b"])):
        for poly, seg in zip(parsed.segments, segs, strict=True):
            truth = _oracle(seg)
            pts = poly * np.array([W, H], np.float32)
            ours = polygon_to_mask(pts, (H, W))
            coco_raster = mask_util.decode(mask_util.frPyObjects([pts.reshape(-1).astype(np.float64).tolist()], H, W))[..., 0]
            assert _iou(ours, truth) > 0.9, _iou(ours, truth)
            assert _iou(coco_raster, truth) > 0.9, _iou(coco_raster, truth)  # a COCO tool reads the same shape
            np.testing.assert_array_equal(ours, coco_raster)  # our rasteriser is COCO's


def test_every_part_and_hole_is_kept(coco, tmp_path):
    """Not just the largest part: each piece of a multi-part object is covered, the overlap of overlapping parts
    is inside (union, not even-odd), the RLE's second blob and its hole survive."""
    path, img_dir, anns = coco
    samples, names, _ = read_coco_segment(path, img_dir)
    a, b, c = samples
    assert c.segments == [] and len(c) == 0
    scale = np.array([W, H], np.float32)
    two = polygon_to_mask(a.segments[1] * scale, (H, W))
    for part in TWO_PARTS:
        piece = polygon_to_mask(np.array(part, np.float32).reshape(-1, 2), (H, W))
        assert (two & piece).sum() / piece.sum() > 0.95
    union = polygon_to_mask(b.segments[1] * scale, (H, W))
    assert union[65:78, 32:43].all()  # the overlap of the two rectangles
    for poly in (a.segments[2], b.segments[0]):  # compressed and uncompressed RLE of the same blob
        m = polygon_to_mask(poly * scale, (H, W))
        assert m[15:20, 95:105].all() and not m[48:52, 38:42].any()  # second blob kept, hole kept


def test_bridge_polygons_joins_all_parts():
    sq = np.array([[0, 0], [4, 0], [4, 4], [0, 4]], np.float64)
    out = bridge_polygons([sq, sq + 10, sq * 3 + 20])
    assert len(out) == 12 + 2 * 2  # every vertex once, plus each bridge's two return vertices
    assert {tuple(p) for p in out} == {tuple(p) for p in np.concatenate([sq, sq + 10, sq * 3 + 20])}
    assert tuple(out[0]) in {tuple(p) for p in sq * 3 + 20}  # largest part first


def test_detect_path_unchanged(coco, tmp_path):
    path, img_dir, _ = coco
    coco_to_yolo(path, img_dir, tmp_path / "det")  # default task: detection boxes from 'bbox'
    lines = (tmp_path / "det/labels/train/a.txt").read_text().splitlines()
    assert lines and all(len(line.split()) == 5 for line in lines)
    with pytest.raises(ValueError, match="task must be 'detect' or 'segment'"):
        coco_to_yolo(path, img_dir, tmp_path / "x", task="pose")


def test_cli_task_segment(coco, tmp_path, capsys):
    path, img_dir, _ = coco
    out = tmp_path / "cli"
    assert main(["data", "convert", "format=coco", "task=segment", f"src={path}", f"images={img_dir}",
                 f"out={out}"]) == 0
    assert "written:" in capsys.readouterr().out
    assert _read_back(out / "labels/train/b.txt", ["three", "seven", "ten"]).segments is not None
    assert main(["data", "convert", "format=voc", "task=segment", f"src={path}", f"images={img_dir}",
                 f"out={out}"]) == 2
    assert "only for format=coco" in capsys.readouterr().err
