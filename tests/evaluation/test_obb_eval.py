"""Rotated mAP: against pycocotools on axis-aligned boxes (r = 0: polygon IoU = box IoU) and against a plain
shapely loop on rotated boxes; difficult boxes, empty images, bad classes."""

import math

import numpy as np
import pytest
import torch

from yolov12.evaluation.obb_eval import OBBEvaluator
from yolov12.ops.rotated import xywhr_to_corners

shapely = pytest.importorskip("shapely")
from shapely.geometry import Polygon  # noqa: E402


def make_case(seed, n_img=12, nc=3, rotated=True):
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n_img):
        m = int(rng.integers(0, 6))
        gt = np.c_[rng.uniform(20, 180, (m, 2)), rng.uniform(8, 50, (m, 2)),
                   rng.uniform(-math.pi, math.pi, m) if rotated else np.zeros(m)]
        gc = rng.integers(0, nc, m)
        preds = []
        for b, c in zip(gt, gc):  # jittered hits, some with the wrong class
            for _ in range(int(rng.integers(0, 3))):
                p = b + np.r_[rng.normal(0, 3, 2), rng.normal(0, 3, 2), rng.normal(0, 0.15) if rotated else 0]
                p[2:4] = np.abs(p[2:4]) + 1
                preds.append(np.r_[p, rng.uniform(0.05, 1), c if rng.random() < 0.85 else rng.integers(0, nc)])
        for _ in range(int(rng.integers(0, 4))):  # false positives
            preds.append(np.r_[rng.uniform(20, 180, 2), rng.uniform(8, 50, 2), rng.uniform(-1, 1) if rotated else 0,
                               rng.uniform(0.05, 1), rng.integers(0, nc)])
        pred = np.array(preds, np.float64).reshape(-1, 7)
        pred[:, 5] = np.round(pred[:, 5], 2)  # score ties across images
        images.append((pred, gt, gc))
    return images


def reference_map(images, nc):
    """Straightforward: shapely polygons, one pair at a time; COCO matching and 101-point AP."""
    thresholds = np.linspace(0.5, 0.95, 10)
    aps = np.full((nc, 10), np.nan)
    for c in range(nc):
        n_gt = sum(int((gc == c).sum()) for _, _, gc in images)
        if n_gt == 0:
            continue
        for ti, t in enumerate(thresholds):
            recs = []  # (score, image index, tp)
            for k, (pred, gt, gc) in enumerate(images):
                gpolys = [Polygon(xywhr_to_corners(torch.tensor(g)).tolist()) for g in gt[gc == c]]
                used = [False] * len(gpolys)
                ps = pred[pred[:, 6] == c]
                for p in ps[np.argsort(-ps[:, 5], kind="stable")]:
                    pp = Polygon(xywhr_to_corners(torch.tensor(p[:5])).tolist())
                    best, bj = t - 1e-12, -1
                    for j, g in enumerate(gpolys):
                        if used[j]:
                            continue
                        inter = pp.intersection(g).area
                        iou = inter / (pp.area + g.area - inter)
                        if iou >= best:
                            best, bj = iou, j
                    if bj >= 0:
                        used[bj] = True
                    recs.append((p[5], k, bj >= 0))
            recs.sort(key=lambda r: (-r[0], r[1]))  # pycocotools: ties in image order
            tp = np.array([r[2] for r in recs], float)
            ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
            rec = ctp / n_gt
            prec = ctp / np.maximum(ctp + cfp, 1e-300)
            prec = list(prec)
            for i in range(len(prec) - 1, 0, -1):
                prec[i - 1] = max(prec[i - 1], prec[i])
            q = []
            for r in np.linspace(0, 1, 101):
                i = int(np.searchsorted(rec, r, side="left"))
                q.append(prec[i] if i < len(prec) else 0.0)
            aps[c, ti] = np.mean(q)
    has = ~np.isnan(aps[:, 0])
    return float(aps[has, 0].mean()), float(aps[has].mean())


def run(images, nc):
    ev = OBBEvaluator([str(i) for i in range(nc)])
    for pred, gt, gc in images:
        ev.update(torch.tensor(pred), {"rboxes": torch.tensor(gt), "cls": torch.tensor(gc)})
    return ev.compute()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_obb_map_matches_shapely_reference(seed):
    images = make_case(seed)
    m = run(images, 3)
    map50, map5095 = reference_map(images, 3)
    assert abs(m.map50 - map50) < 1e-9 and abs(m.map50_95 - map5095) < 1e-9, (m.map50, map50, m.map50_95, map5095)
    assert 0.05 < m.map50_95 < 0.95  # a non-trivial case


def test_obb_map_matches_pycocotools_axis_aligned():
    pycocotools = pytest.importorskip("pycocotools")  # noqa: F841
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images = make_case(5, n_img=15, rotated=False)
    m = run(images, 3)
    gt_json = {"images": [{"id": i + 1} for i in range(len(images))], "categories": [{"id": c} for c in range(3)],
               "annotations": []}
    dets = []
    for i, (pred, gt, gc) in enumerate(images):
        for g, c in zip(gt, gc):
            gt_json["annotations"].append({"id": len(gt_json["annotations"]) + 1, "image_id": i + 1,
                                           "category_id": int(c), "bbox": [g[0] - g[2] / 2, g[1] - g[3] / 2, g[2], g[3]],
                                           "area": float(g[2] * g[3]), "iscrowd": 0})
        for p in pred:
            dets.append({"image_id": i + 1, "category_id": int(p[6]), "score": float(p[5]),
                         "bbox": [p[0] - p[2] / 2, p[1] - p[3] / 2, p[2], p[3]]})
    coco = COCO()
    coco.dataset = gt_json
    coco.createIndex()
    e = COCOeval(coco, coco.loadRes(dets), "bbox")
    e.evaluate()
    e.accumulate()
    e.summarize()
    assert abs(m.map50_95 - e.stats[0]) < 1e-9 and abs(m.map50 - e.stats[1]) < 1e-9


def test_difficult_and_empty():
    gt = torch.tensor([[50.0, 50, 20, 10, 0.3], [120, 50, 20, 10, 0.3]])
    pred = torch.tensor([[50.0, 50, 20, 10, 0.3, 0.9, 0], [120, 50, 20, 10, 0.3, 0.8, 0]])
    ev = OBBEvaluator(["a"])
    ev.update(pred, {"rboxes": gt, "cls": torch.tensor([0, 0]), "difficult": torch.tensor([0, 1])})
    m = ev.compute()
    assert m.map50 == pytest.approx(1.0) and m.per_class_num_gt.tolist() == [1]  # the difficult hit is ignored
    ev.update(torch.zeros(0, 7), {"rboxes": torch.zeros(0, 5), "cls": torch.zeros(0)})  # an empty image
    ev.update(torch.tensor([[10.0, 10, 5, 5, 0, 0.95, 0]]), {"rboxes": torch.zeros(0, 5), "cls": torch.zeros(0)})
    assert ev.compute().map50 < 1.0  # a confident false positive on a background image counts
    with pytest.raises(ValueError, match="class index"):
        ev.update(torch.tensor([[10.0, 10, 5, 5, 0, 0.9, 3]]), {"rboxes": gt, "cls": torch.tensor([0, 0])})
    assert OBBEvaluator(["a"]).compute().map50 == 0.0
