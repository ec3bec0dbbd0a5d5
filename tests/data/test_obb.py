"""OBB data: label lines read strictly (degenerate quads counted and dropped), the corners carried through every
augmentation and the rotated box refit from them, checked against the transformed image itself."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from yolov12.data.augment import AugmentConfig
from yolov12.data.labels import LabelFormat, parse_label_text
from yolov12.data.loader import build_dataloader, build_dataset
from yolov12.data.obb import densify_quads, quad_problem
from yolov12.ops.rotated import corners_to_xywhr, xywhr_to_corners

OBB = LabelFormat("obb")
COLOURS = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0), (0, 0, 0),
           (255, 255, 255)]


def test_obb_lines_strict_and_degenerate_dropped():
    text = "\n".join([
        "0 0.1 0.1 0.3 0.1 0.3 0.2 0.1 0.2",  # ok
        "1 0.5 0.5 0.6 0.6",  # 5 columns: not an obb line
        "2 0.1 0.1 0.2 0.2 0.3 0.3 0.4 0.4",  # collinear corners
        "3 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5",  # one point
        "4 0.2 0.6 0.4 0.8 0.2 1.0 0.0 0.8",  # ok, a diamond
        "5 0.1 0.1 0.3 0.1 0.1 0.2 0.3 0.2",  # corners out of order (a bow tie): the same rectangle, kept
    ])
    r = parse_label_text(text, 10, "x.txt", OBB)
    assert r.cls.tolist() == [0, 4, 5] and r.dropped == 3
    assert any("x.txt:2" in p and "9 columns" in p for p in r.problems)
    assert any("x.txt:3" in p and "collinear" in p for p in r.problems)
    assert any("x.txt:4" in p and "degenerate" in p for p in r.problems)
    assert [s.shape for s in r.segments] == [(4, 2)] * 3
    assert quad_problem(np.array([[0, 0], [1, 0], [1, 1], [0, 1]])) is None


def test_densify_keeps_corners_and_min_area_rect():
    q = xywhr_to_corners(torch.tensor([[50.0, 40.0, 30.0, 8.0, 0.4]])).numpy()
    d = densify_quads(q, 100)
    assert d.shape == (1, 100, 2) and np.allclose(d[0, ::25], q[0])
    assert np.allclose(corners_to_xywhr(d), corners_to_xywhr(q), atol=1e-3)


def write_obb_dataset(root: Path, n: int = 8, seed: int = 0) -> Path:
    """n images 128 x 160 (portrait/landscape), each with one solid rotated rectangle of its own colour/class."""
    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for k in range(n):
            h, w = (128, 160) if k % 2 else (160, 128)
            img = np.full((h, w, 3), 114, np.uint8)
            box = np.array([rng.uniform(50, w - 50), rng.uniform(50, h - 50), rng.uniform(30, 60), rng.uniform(14, 30),
                            rng.uniform(-math.pi, math.pi)])
            q = xywhr_to_corners(torch.tensor(box)).numpy()
            cv2.fillPoly(img, [np.round(q * 16).astype(np.int32)], COLOURS[k], cv2.LINE_8, shift=4)
            cv2.imwrite(str(root / "images" / split / f"{k}.png"), img)
            (root / "labels" / split / f"{k}.txt").write_text(
                f"{k} " + " ".join(f"{v:.6f}" for v in (q / [w, h]).reshape(-1)) + "\n")
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames: "
                                    f"{[str(i) for i in range(n)]}\n")
    return root / "data.yaml"


def colour_fit(img_rgb: np.ndarray, rbox_px: np.ndarray, c: int) -> tuple[float, float]:
    """(share of the box's pixels in colour c, share of the colour-c pixels near the box that lie inside it, give
    or take a pixel)."""
    bgr = img_rgb[..., ::-1].astype(int)
    is_c = (np.abs(bgr - np.array(COLOURS[c])).max(-1) < 60)
    inside = np.zeros(is_c.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(xywhr_to_corners(torch.tensor(rbox_px)).numpy() * 16).astype(np.int32)], 1,
                 cv2.LINE_8, shift=4)
    def poly(grow_mul, grow_add):
        g = rbox_px.copy()
        g[2:4] = g[2:4] * grow_mul + grow_add
        m = np.zeros(is_c.shape, np.uint8)
        cv2.fillPoly(m, [np.round(xywhr_to_corners(torch.tensor(g)).numpy() * 16).astype(np.int32)], 1,
                     cv2.LINE_8, shift=4)
        return m.astype(bool)

    inside = inside.astype(bool)
    loose, near = poly(1.0, 2.0), poly(1.5, 6.0)  # loose: 1 px of rasterisation slack on each side
    return (is_c & inside).sum() / max(inside.sum(), 1), (is_c & loose).sum() / max((is_c & near).sum(), 1)


def test_augmented_boxes_fit_the_transformed_objects(tmp_path):
    yaml = write_obb_dataset(tmp_path)
    aug = AugmentConfig(mosaic=0.7, degrees=45, scale=0.3, translate=0.1, shear=5, fliplr=0.5, flipud=0.5,
                        hsv_h=0, hsv_s=0, hsv_v=0, copy_paste=0.0)
    ds = build_dataset(yaml, "train", 160, augment=aug, label_format=OBB, workers=0, label_cache=False, seed=3)
    checked = 0
    for i in range(24):
        it = ds[i % len(ds)]
        img = it["img"].numpy().transpose(1, 2, 0)
        H, W = img.shape[:2]
        rb = it["rboxes"].numpy().astype(np.float64) * [W, H, W, H, 1]
        assert it["rboxes"].shape == (len(it["cls"]), 5)
        assert ((rb[:, 4] >= 0) & (rb[:, 4] < math.pi / 2)).all()
        for b, c in zip(rb, it["cls"].long().tolist()):
            if min(b[2], b[3]) < 8:
                continue  # sliver at the border
            filled, covered = colour_fit(img, b, c)
            q = xywhr_to_corners(torch.tensor(b)).numpy()
            cut = (q.min() < 1) or (q[:, 0].max() > W - 1) or (q[:, 1].max() > H - 1)
            # an object cut by the border: its visible part is no rectangle, the refit box only encloses it
            assert covered > 0.9 and (cut or filled > 0.8), (i, c, b, filled, covered)
            checked += not cut
    assert checked >= 15


def test_val_items_and_collate(tmp_path):
    yaml = write_obb_dataset(tmp_path, n=4)
    ds = build_dataset(yaml, "val", 160, augment=None, rect=True, batch_size=4, label_format=OBB, workers=0,
                       label_cache=False)
    batch = next(iter(build_dataloader(ds, 4, 0, shuffle=False)))
    assert batch["rboxes"].shape == (4, 5) and batch["batch_idx"].tolist() == [0, 1, 2, 3]
    H, W = batch["img"].shape[2:]
    for i in range(4):
        img = batch["img"][i].numpy().transpose(1, 2, 0)
        b = batch["rboxes"][i].numpy().astype(np.float64) * [W, H, W, H, 1]
        filled, covered = colour_fit(img, b, int(batch["cls"][i]))
        assert filled > 0.85 and covered > 0.95
    # the detection batch is unchanged for detect-format datasets
    det = build_dataset(yaml, "val", 160, augment=None, workers=0, label_cache=False,
                        label_format=LabelFormat("detect"))
    assert "rboxes" not in det[0]
