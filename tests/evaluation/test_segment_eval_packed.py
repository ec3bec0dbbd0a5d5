"""The packed / prefiltered mask path of MaskEvaluator against pycocotools: many overlapping instances of several
classes (detections overlapping ground truth of another class), crowd regions, tiny and empty masks, masks on the
borders, widths that are and are not multiples of 8 and 64, integer masks."""

import numpy as np
import pytest
import torch

from tests.evaluation.test_segment_eval import _box, _pycoco
from yolov12.evaluation.coco_eval import STAT_NAMES
from yolov12.evaluation.segment_eval import MaskEvaluator, SegmentEvaluator
from yolov12.inference.masks import SegPrediction

pytest.importorskip("pycocotools")


def _crowded(seed, hw, n_img=5, nc=3):
    rng = np.random.default_rng(seed)
    H, W = hw
    images = []
    for i in range(n_img):
        gts, cls, crowd = [], [], []
        for j in range(int(rng.integers(1, 15))):
            m = np.zeros(hw, bool)
            if j == 0:  # tiny, on the bottom-right corner
                m[-1, -2:] = True
            elif j == 1:  # thin strip along the top border
                m[0, : int(rng.integers(1, W))] = True
            else:
                y0, x0 = rng.integers(0, H - 2), rng.integers(0, W - 2)
                y1, x1 = rng.integers(y0 + 1, H + 1), rng.integers(x0 + 1, W + 1)
                m[y0:y1, x0:x1] = rng.random((y1 - y0, x1 - x0)) < 0.85
            gts.append(m)
            cls.append(int(rng.integers(0, nc)))
            crowd.append(bool(rng.random() < 0.15))
        dets = []
        for j, g in enumerate(gts):
            for _ in range(int(rng.integers(0, 4))):
                noisy = np.roll(g, tuple(int(s) for s in rng.integers(-2, 3, 2)), (0, 1)) & (rng.random(hw) < 0.9)
                dets.append((noisy, float(rng.random()), cls[j] if rng.random() < 0.7 else int(rng.integers(nc))))
        dets.append((np.zeros(hw, bool), float(rng.random()), int(rng.integers(nc))))  # empty detection
        images.append((gts, cls, crowd, dets))
    return images, nc


@pytest.mark.parametrize("hw", [(45, 77), (32, 128), (24, 8)])
def test_crowded_equal_to_pycocotools(hw):
    images, nc = _crowded(sum(hw), hw)
    ev = MaskEvaluator(nc)
    for gts, cls, crowd, dets in images:
        pm = np.stack([d[0] for d in dets]).astype(np.uint8)  # integer masks, numpy input
        ev.update_masks(np.array([_box(d[0]) for d in dets]), np.array([d[1] for d in dets]),
                        np.array([d[2] for d in dets]), pm, np.array([_box(m) for m in gts]), np.array(cls),
                        torch.from_numpy(np.stack(gts)), np.array(crowd))
    m = ev.compute()
    got = np.array([getattr(m, k) for k in STAT_NAMES])
    np.testing.assert_allclose(got, _pycoco(images, nc, hw, "segm"), atol=1e-12)


def test_segment_evaluator_default_area_is_mask_area():
    hw = (20, 30)
    images, nc = _crowded(5, hw, n_img=3)
    ev = SegmentEvaluator([str(c) for c in range(nc)])
    for gts, cls, crowd, dets in images:
        boxes = torch.tensor([[*_box(d[0]), d[1], d[2]] for d in dets], dtype=torch.float64)
        ev.update(SegPrediction(boxes, torch.from_numpy(np.stack([d[0] for d in dets]))),
                  {"boxes": torch.tensor([_box(g) for g in gts], dtype=torch.float64), "cls": torch.tensor(cls),
                   "masks": torch.from_numpy(np.stack(gts)), "crowd": np.array(crowd)})
    for gts, rec in zip((im[0] for im in images), ev.box._gt):
        assert rec[3].tolist() == [float(g.sum()) for g in gts]
    out = ev.compute()
    for kind, metrics in (("segm", out.mask), ("bbox", out.box)):
        np.testing.assert_allclose([getattr(metrics, k) for k in STAT_NAMES], _pycoco(images, nc, hw, kind),
                                   atol=1e-12, err_msg=kind)
