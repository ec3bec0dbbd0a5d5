"""Tiled prediction (``tile=``, ``tile_overlap=``) with the real network: predictions on a big image cut into tiles
equal the predictions on one tile's content alone, shifted by the tile's origin."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from yolov12.api import YOLO
from yolov12.data.compose import compose_digit_image
from yolov12.data.compose_obb import compose_digit_obb_image
from yolov12.data.embedded import load_digit_crops
from yolov12.inference.postprocess import NMSConfig
from yolov12.inference.predictor import PredictConfig
from yolov12.inference.tiling import cut_by_inner_edge, merge_box_tiles, needs_tiling, overlap_pixels
from yolov12.ops.boxes import box_iou
from yolov12.ops.rotated import rotated_iou
from yolov12.utils.errors import ConfigError

SHIPPED = Path(__file__).resolve().parents[2] / "yolov12" / "assets" / "weights" / "yolov12n-digits.safetensors"
TILE, IMGSZ = 256, 192  # each tile letterboxed at 192: predictions must be scaled back by 256 / 192
ORIGIN = (512, 256)  # the content's tile in a 512 x 768 canvas (x != y: a swapped offset fails)


@pytest.fixture(scope="module")
def digits():
    return load_digit_crops()


@pytest.fixture(scope="module")
def detector():
    return YOLO(SHIPPED)


@pytest.fixture(scope="module")
def obb_model(detector):
    """yolov12n-obb with the shipped digit detector's trunk and box/class branches (same layer names) and a
    fixed random angle branch: confident on digits, silent on a blank canvas, boxes at varied angles."""
    torch.manual_seed(0)
    m = YOLO("yolov12n-obb.yaml", nc=10)
    missing, unexpected = m.model.load_state_dict(detector.model.state_dict(), strict=False)
    assert not unexpected and missing and all(".cv4." in k for k in missing)
    return m


def canvas(content: np.ndarray) -> np.ndarray:
    big = np.full((512, 768, 3), 114, np.uint8)
    x0, y0 = ORIGIN
    big[y0:y0 + TILE, x0:x0 + TILE] = content
    return big


def test_config_bounds():
    assert PredictConfig(tile=32, tile_overlap=0.0).tile == 32
    for bad in ({"tile": 31}, {"tile": 64.5}, {"tile_overlap": 1.0}, {"tile_overlap": -0.1}, {"tile_overlap": "x"}):
        with pytest.raises(ConfigError, match="tile"):
            PredictConfig(**bad)
    assert overlap_pixels(32, 0.99) == 31 and overlap_pixels(1024, 0.2) == 204
    assert not needs_tiling((256, 256), 256) and needs_tiling((256, 257), 256) and not needs_tiling((9999, 1), None)


def test_detect_tiled_matches_tile_alone(detector, digits):
    content, _, _ = compose_digit_image(*digits, np.random.default_rng(0), (TILE, TILE), (4, 5), (32, 64))
    alone = detector.predict(content, imgsz=IMGSZ, conf=0.25)[0].boxes.data
    assert len(alone) >= 3
    res = detector.predict(canvas(content), imgsz=IMGSZ, conf=0.25, tile=TILE, tile_overlap=0.0)[0]
    assert res.orig_shape == (512, 768)
    tiled = res.boxes.data
    shift = torch.tensor([*ORIGIN, *ORIGIN, 0, 0], dtype=tiled.dtype)
    assert tiled.shape == alone.shape  # the blank tiles add nothing
    torch.testing.assert_close(tiled - shift, alone, atol=1e-3, rtol=0)
    # overlapping tiles: neighbours see cut digits; those are dropped / merged, every digit found once
    over = detector.predict(canvas(content), imgsz=IMGSZ, conf=0.25, tile=TILE, tile_overlap=0.25)[0].boxes.data
    assert len(over) == len(alone)
    iou = box_iou(alone[:, :4], over[:, :4] - shift[:4])
    best = iou.argmax(1)
    assert float(iou.max(1).values.min()) > 0.9 and torch.equal(over[best, 5], alone[:, 5])


def test_obb_tiled_matches_tile_alone(obb_model, digits):
    content, _, _ = compose_digit_obb_image(*digits, np.random.default_rng(1), (TILE, TILE), (3, 5))
    alone = obb_model.predict(content, imgsz=IMGSZ, conf=0.25)[0].obb.data
    assert len(alone) >= 4 and float(alone[:, 4].std()) > 0.3  # boxes at several angles
    tiled = obb_model.predict(canvas(content), imgsz=IMGSZ, conf=0.25, tile=TILE, tile_overlap=0.0)[0].obb.data
    shift = torch.tensor([*ORIGIN, 0, 0, 0, 0, 0], dtype=tiled.dtype)
    assert tiled.shape == alone.shape
    torch.testing.assert_close(tiled - shift, alone, atol=1e-3, rtol=0)
    # overlapping tiles: every box of the content tile is still found (its angle branch is untrained, so the cut
    # copies in the neighbouring tiles may add boxes of their own: no count check here, see the detector's test)
    over = obb_model.predict(canvas(content), imgsz=IMGSZ, conf=0.25, tile=TILE, tile_overlap=0.25)[0].obb.data
    a = alone[:, None, :5].double().expand(-1, len(over), 5)
    b = (over - shift)[None, :, :5].double().expand(len(alone), -1, 5)
    iou = rotated_iou(a.reshape(-1, 5), b.reshape(-1, 5)).reshape(len(alone), len(over))
    assert float(iou.max(1).values.min()) > 0.9 and torch.equal(over[iou.argmax(1), 6], alone[:, 6])


def test_tile_larger_than_image_is_plain_predict(detector, digits):
    content, _, _ = compose_digit_image(*digits, np.random.default_rng(2), (200, 240), (3, 4), (32, 64))
    plain = detector.predict(content, imgsz=IMGSZ, conf=0.1)[0].boxes.data
    assert len(plain)
    for tile in (240, 4096):
        torch.testing.assert_close(detector.predict(content, imgsz=IMGSZ, conf=0.1, tile=tile)[0].boxes.data, plain)


def test_tiling_unavailable_for_other_tasks():
    with pytest.raises(ConfigError, match="tiled prediction is not available for task 'segment'"):
        YOLO("yolov12n-seg.yaml").predict(np.zeros((64, 64, 3), np.uint8), tile=32)


def test_merge_box_tiles():
    nms = NMSConfig(iou=0.5, max_det=10)
    windows = [(0, 0, 100, 100), (60, 0, 160, 100)]  # 40 px overlap, image 100 x 160
    # the same object seen by both tiles (tile 1 less sure): kept once, in image pixels
    p0 = torch.tensor([[70.0, 10, 90, 30, 0.9, 1]])
    p1 = torch.tensor([[10.0, 10, 30, 30, 0.6, 1]])
    out = merge_box_tiles([p0, p1], windows, (100, 160), nms, overlap=40)
    torch.testing.assert_close(out, p0)
    # another class is not suppressed unless agnostic
    p1c = p1.clone()
    p1c[0, 5] = 2
    assert len(merge_box_tiles([p0, p1c], windows, (100, 160), nms, 40)) == 2
    assert len(merge_box_tiles([p0, p1c], windows, (100, 160), NMSConfig(iou=0.5, agnostic=True), 40)) == 1
    # a small box cut by tile 0's inner right side is dropped; at the image's outer side it is kept
    cut = torch.tensor([[85.0, 40, 100, 60, 0.8, 0]])
    assert len(merge_box_tiles([cut, torch.zeros(0, 6)], windows, (100, 160), nms, 40)) == 0
    outer = torch.tensor([[85.0, 40, 100, 60, 0.8, 0]])
    assert merge_box_tiles([torch.zeros(0, 6), outer], windows, (100, 160), nms, 40)[0, 0] == 145.0
    assert cut_by_inner_edge(cut[:, :4], windows[0], (100, 160), 0).tolist() == [False]  # no overlap: kept
    many = torch.tensor([[float(i * 3), 0, i * 3 + 2, 2, 0.5 + i / 100, 0] for i in range(20)])
    assert len(merge_box_tiles([many, torch.zeros(0, 6)], windows, (100, 160), nms, 0)) == 10  # max_det


# ---------------------------------------------------------------------------------------------- tiled validation
def write_pair(root: Path, kind: str, digits, n: int = 2) -> tuple[Path, Path]:
    """Two tiny datasets of the same objects: ``small`` (each 256 x 256 content image) and ``big`` (the content
    pasted at ORIGIN in a 512 x 768 canvas, labels shifted to it). -> their data.yaml paths."""
    from yolov12.data.compose import write_data_yaml
    from yolov12.data.compose_obb import obb_label_lines

    out = {}
    for name in ("small", "big"):
        for sub in ("images", "labels"):
            (root / name / sub / "val").mkdir(parents=True)
        out[name] = write_data_yaml(root / name, [str(i) for i in range(10)], ["val"], {"train": "images/val"})
    for i in range(n):
        rng = np.random.default_rng(10 + i)
        if kind == "obb":
            img, cls, quads = compose_digit_obb_image(*digits, rng, (TILE, TILE), (3, 5))
        else:
            img, cls, boxes = compose_digit_image(*digits, rng, (TILE, TILE), (4, 5), (32, 64))
            c = boxes[:, :2] * TILE
            half = boxes[:, 2:] * TILE / 2
            (x1, y1), (x2, y2) = (c - half).T, (c + half).T
            quads = np.stack([np.stack(p, 1) for p in ((x1, y1), (x2, y1), (x2, y2), (x1, y2))], 1)
        for name, im, offset in (("small", img, (0, 0)), ("big", canvas(img), ORIGIN)):
            h, w = im.shape[:2]
            q = quads + offset
            if kind == "obb":
                text = obb_label_lines(cls, q, w, h)
            else:
                xy = (q.min(1) + q.max(1)) / 2 / [w, h]
                wh = (q.max(1) - q.min(1)) / [w, h]
                text = "".join(f"{c} {x:.6f} {y:.6f} {bw:.6f} {bh:.6f}\n" for c, (x, y), (bw, bh) in zip(cls, xy, wh))
            cv2.imwrite(str(root / name / "images" / "val" / f"{i}.png"), im)
            (root / name / "labels" / "val" / f"{i}.txt").write_text(text)
    return out["small"], out["big"]


@pytest.mark.parametrize("kind", ["detect", "obb"])
def test_tiled_val_matches_tile_alone(kind, tmp_path, detector, obb_model, digits):
    """val(tile=) on the big images (full-image ground truth) scores exactly what the content images alone score:
    same predictions (shifted: predictions.json), same metrics; the untiled big images score differently."""
    import json

    model = detector if kind == "detect" else obb_model
    small, big = write_pair(tmp_path / "data", kind, digits)
    kw = {"imgsz": IMGSZ, "conf": 0.25, "batch": 2, "workers": 0, "plots": False, "verbose": False,
          "save_json": True, "project": str(tmp_path / "runs")}
    a = model.val(data=str(small), tile=TILE, name="small", **kw)  # a tile as large as the image: plain predict
    b = model.val(data=str(big), tile=TILE, tile_overlap=0.0, name="big", **kw)
    plain = model.val(data=str(big), name="plain", **kw)
    ma, mb = a.metrics.to_dict(), b.metrics.to_dict()
    assert ma.keys() == mb.keys() and all(ma[k] == pytest.approx(mb[k], abs=1e-6) for k in ma)
    if kind == "detect":
        assert ma["map50"] > 0.5  # the shipped detector finds the digits
        assert plain.metrics.to_dict()["map50_95"] != pytest.approx(ma["map50_95"], abs=1e-3)
    ra, rb = (json.loads(r.json_path.read_text()) for r in (a, b))
    assert len(ra) == len(rb) >= 6
    key = "rbox" if kind == "obb" else "bbox"
    for x, y in zip(sorted(ra, key=lambda r: (r["image_id"], -r["score"])),
                    sorted(rb, key=lambda r: (r["image_id"], -r["score"])), strict=True):
        shifted = np.array(y[key], float)
        shifted[:2] -= ORIGIN
        assert x["category_id"] == y["category_id"] and x["score"] == pytest.approx(y["score"], abs=1e-4)
        np.testing.assert_allclose(shifted, x[key], atol=2e-3)


def test_tiled_val_bad_tile(detector):
    with pytest.raises(ConfigError, match="tile must be an integer >= 32"):
        detector.val(data="digits", tile=8)
