"""SegmentEvaluator against pycocotools (iouType segm and bbox) on fixtures with crowd, tiny and empty masks."""

import contextlib
import io

import numpy as np
import pytest
import torch

from yolov12.evaluation.segment_eval import SegmentEvaluator, mask_iou
from yolov12.inference.masks import SegPrediction
from yolov12.ops.masks import rle_encode

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


def _box(m):
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


def _fixture(seed=0, n_img=6, nc=3, hw=(48, 64)):
    rng = np.random.default_rng(seed)
    H, W = hw
    images = []
    for i in range(n_img):
        m = int(rng.integers(0, 7)) if i else 0  # image 0: no ground truth at all
        gt_masks, gt_cls, crowd = [], [], []
        for j in range(m):
            mask = np.zeros(hw, bool)
            if j == 0 and i == 1:  # tiny object (2 px)
                y, x = rng.integers(0, H - 1), rng.integers(0, W - 2)
                mask[y, x:x + 2] = True
            else:
                y0, x0 = rng.integers(0, H - 8), rng.integers(0, W - 8)
                h, w = rng.integers(3, H - y0), rng.integers(3, W - x0)
                mask[y0:y0 + h, x0:x0 + w] = rng.random((h, w)) < 0.8
            gt_masks.append(mask)
            gt_cls.append(int(rng.integers(0, nc)))
            crowd.append(bool(i == 2 and j == 0))
        dets = []
        for j, g in enumerate(gt_masks):  # noisy copies of the ground truth, some dropped, some doubled
            for _ in range(int(rng.integers(0, 3))):
                noisy = g ^ (rng.random(hw) < rng.uniform(0, 0.3)) & np.roll(g, int(rng.integers(-3, 4)), 1)
                c = gt_cls[j] if rng.random() < 0.85 else int(rng.integers(0, nc))
                dets.append((noisy, float(rng.random()), c))
        for _ in range(int(rng.integers(0, 3))):  # false positives, one of them an empty mask
            fp = np.zeros(hw, bool)
            if rng.random() < 0.7:
                y0, x0 = rng.integers(0, H - 5), rng.integers(0, W - 5)
                fp[y0:y0 + 5, x0:x0 + 5] = True
            dets.append((fp, float(rng.random()), int(rng.integers(0, nc))))
        images.append((gt_masks, gt_cls, crowd, dets))
    return images, nc, hw


def _ours(images, nc, hw):
    ev = SegmentEvaluator([str(c) for c in range(nc)])
    for gt_masks, gt_cls, crowd, dets in images:
        H, W = hw
        pm = torch.from_numpy(np.stack([d[0] for d in dets])) if dets else torch.zeros(0, H, W, dtype=torch.bool)
        boxes = torch.tensor([[*_box(d[0]), d[1], d[2]] for d in dets], dtype=torch.float64).reshape(-1, 6)
        gm = torch.from_numpy(np.stack(gt_masks)) if gt_masks else torch.zeros(0, H, W, dtype=torch.bool)
        target = {"boxes": torch.tensor([_box(m) for m in gt_masks], dtype=torch.float64).reshape(-1, 4),
                  "cls": torch.tensor(gt_cls).reshape(-1), "masks": gm, "crowd": np.array(crowd, bool)}
        ev.update(SegPrediction(boxes, pm), target)
    return ev.compute()


def _pycoco(images, nc, hw, iou_type):
    H, W = hw
    ds = {"images": [], "annotations": [], "categories": [{"id": c} for c in range(nc)]}
    res = []
    for i, (gt_masks, gt_cls, crowd, dets) in enumerate(images):
        ds["images"].append({"id": i, "height": H, "width": W})
        for m, c, cr in zip(gt_masks, gt_cls, crowd):
            x1, y1, x2, y2 = _box(m)
            ds["annotations"].append({"id": len(ds["annotations"]) + 1, "image_id": i, "category_id": c,
                                      "segmentation": rle_encode(m), "area": float(m.sum()),
                                      "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": int(cr)})
        for m, s, c in dets:
            x1, y1, x2, y2 = _box(m)
            r = {"image_id": i, "category_id": c, "score": s}
            r.update({"segmentation": rle_encode(m)} if iou_type == "segm" else {"bbox": [x1, y1, x2 - x1, y2 - y1]})
            res.append(r)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = ds
        gt.createIndex()
        dt = gt.loadRes(res)
        e = COCOeval(gt, dt, iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e.stats


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equal_to_pycocotools(seed):
    images, nc, hw = _fixture(seed)
    ours = _ours(images, nc, hw)
    names = ["map50_95", "map50", "map75", "map_small", "map_medium", "map_large", "ar1", "ar10", "ar100",
             "ar_small", "ar_medium", "ar_large"]
    for kind, metrics in (("segm", ours.mask), ("bbox", ours.box)):
        ref = _pycoco(images, nc, hw, kind)
        got = np.array([getattr(metrics, k) for k in names])
        np.testing.assert_allclose(got, ref, atol=1e-12, err_msg=kind)
    assert ours.mask.map50_95 != ours.box.map50_95  # the mask matching is not the box matching


def test_mask_iou_crowd_and_empty():
    d = torch.zeros(2, 4, 4, dtype=torch.bool)
    d[0, :2, :2] = True  # 4 px; d[1] empty
    g = torch.zeros(2, 4, 4, dtype=torch.bool)
    g[0, :2, :] = True  # 8 px
    g[1, :, :] = True
    iou = mask_iou(d, g, np.array([False, True]))
    assert iou.tolist() == [[0.5, 1.0], [0.0, 0.0]]


def test_mismatched_mask_count_is_clear():
    ev = SegmentEvaluator(["a"])
    with pytest.raises(ValueError, match="one mask per box"):
        ev.update(SegPrediction(torch.zeros(1, 6), torch.zeros(0, 4, 4, dtype=torch.bool)),
                  {"boxes": torch.zeros(0, 4), "cls": torch.zeros(0), "masks": torch.zeros(0, 4, 4)})
