"""DetectionEvaluator against pycocotools' COCOeval on the same data, plus P/R/F1, per-class AP, JSON, confusion."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from yolov12.evaluation import COCO80_TO_91, DetectionEvaluator, detections_to_coco_json, save_coco_json
from yolov12.evaluation.coco_eval import STAT_NAMES

from ._fixtures import make_dataset, run_pycocotools

pytest.importorskip("pycocotools")

TOL = 1e-4


def _evaluator(data, nc, shuffle_seed=None, use_torch=False):
    ev = DetectionEvaluator(nc)
    order = np.random.default_rng(shuffle_seed).permutation(len(data)) if shuffle_seed is not None else range(len(data))
    for i in order:
        d = data[i]
        conv = torch.from_numpy if use_torch else (lambda x: x)
        ev.update(conv(d.pred_boxes), conv(d.pred_scores), conv(d.pred_classes), conv(d.gt_boxes),
                  conv(d.gt_classes), gt_crowd=conv(d.gt_crowd), gt_area=d.gt_area, image_id=d.image_id)
    return ev


CASES = {
    # name: (images, classes, detections per image, kwargs)
    "basic": (40, 4, 30, {}),
    "ties": (40, 3, 25, dict(tie_scores=True)),
    "over_100_per_class": (12, 2, 260, {}),  # > maxDets detections in one (image, class) group
    "crowd_heavy": (40, 3, 30, dict(crowd_frac=0.4)),
    "empty_classes": (30, 6, 20, dict(empty_classes=(1, 4))),  # classes with detections but no ground truth
    "many_classes": (50, 20, 60, dict(max_gt=25)),
    "grid_ties": (60, 2, 40, dict(grid=16.0, tie_scores=True, max_gt=25)),  # exact IoU ties, duplicate boxes
}


@pytest.mark.parametrize("case", list(CASES))
def test_matches_pycocotools(case):
    n_img, nc, n_det, kw = CASES[case]
    data = make_dataset(n_img, nc, n_det, seed=len(case), **kw)
    ev = _evaluator(data, nc, shuffle_seed=1, use_torch=case == "basic")
    metrics = ev.compute()
    ref = run_pycocotools(*ev.to_coco())
    ours = np.array([getattr(metrics, name) for name in STAT_NAMES])
    np.testing.assert_allclose(ours, ref.stats, atol=TOL, rtol=0)
    # per-class AP = mean of COCOeval's precision over (T, R) at area all, 100 dets
    p = ref.eval["precision"][:, :, :, 0, -1]
    for k in range(nc):
        if (p[:, :, k] > -1).any():
            assert abs(metrics.per_class_ap[k] - p[:, :, k].mean()) < TOL
            assert abs(metrics.per_class_ap50[k] - p[0, :, k].mean()) < TOL
        else:
            assert np.isnan(metrics.per_class_ap[k])
    assert abs(metrics.fitness - (0.1 * ref.stats[1] + 0.9 * ref.stats[0])) < TOL


def test_full_arrays_identical_to_pycocotools():
    from yolov12.evaluation.coco_eval import evaluate

    data = make_dataset(30, 3, 40, seed=7, tie_scores=True, crowd_frac=0.2)
    ev = _evaluator(data, 3)
    ref = run_pycocotools(*ev.to_coco())
    res = evaluate(*ev._flat(), 3)
    np.testing.assert_allclose(res.precision, ref.eval["precision"], atol=1e-12, rtol=0)
    np.testing.assert_allclose(res.recall, ref.eval["recall"], atol=1e-12, rtol=0)


def test_written_json_evaluates_identically(tmp_path):
    data = make_dataset(15, 80, 30, seed=3)
    ev = _evaluator(data, 80)
    records = []
    for d in data:
        records += detections_to_coco_json(d.image_id, d.pred_boxes, d.pred_scores, d.pred_classes, COCO80_TO_91)
    path = save_coco_json(records, tmp_path / "predictions.json")
    loaded = json.loads(path.read_text())
    assert set(loaded[0]) == {"image_id", "category_id", "bbox", "score"}
    assert {r["category_id"] for r in loaded} <= set(COCO80_TO_91)
    dataset, _ = ev.to_coco(COCO80_TO_91)
    ref = run_pycocotools(dataset, loaded)
    ours = ev.compute()
    np.testing.assert_allclose([getattr(ours, n) for n in STAT_NAMES], ref.stats, atol=TOL, rtol=0)


def test_coco80_to_91_table():
    assert len(COCO80_TO_91) == 80 and len(set(COCO80_TO_91)) == 80 and COCO80_TO_91[-1] == 90


def test_perfect_detections():
    data = make_dataset(20, 3, 0, seed=5, crowd_frac=0.0)
    ev = DetectionEvaluator(3)
    for d in data:
        n = len(d.gt_classes)
        ev.update(d.gt_boxes, np.linspace(0.9, 0.5, n), d.gt_classes, d.gt_boxes, d.gt_classes,
                  image_id=d.image_id)
    m = ev.compute()
    assert m.map50_95 == pytest.approx(1.0) and m.map50 == pytest.approx(1.0) and m.ar100 == pytest.approx(1.0)
    assert m.precision == pytest.approx(1.0) and m.recall == pytest.approx(1.0) and m.f1 == pytest.approx(1.0)
    assert m.fitness == pytest.approx(1.0)
    cm = m.confusion_matrix
    assert cm[:3, :3].trace() == m.per_class_num_gt.sum() == cm.sum()


def test_no_detections_and_summary():
    data = make_dataset(10, 2, 0, seed=2)
    ev = DetectionEvaluator(2, class_names=["cat", "dog"])
    for d in data:
        ev.update(np.zeros((0, 4)), np.zeros(0), np.zeros(0), d.gt_boxes, d.gt_classes, d.gt_crowd)
    m = ev.compute()
    assert m.map50_95 == 0.0 and m.ar100 == 0.0 and m.precision == 0.0 and m.recall == 0.0
    assert m.num_images == 10
    text = m.summary()
    assert "Average Precision" in text and "cat" in text
    d = m.to_dict()
    assert set(STAT_NAMES) <= set(d) and "fitness" in d and all(isinstance(v, float) for v in d.values())


def test_precision_recall_at_best_f1():
    # one class, 4 gt; detections: tp 0.9, tp 0.8, fp 0.7, tp 0.6, fp 0.2
    ev = DetectionEvaluator(1)
    gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [60, 0, 70, 10]], np.float32)
    pred = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [100, 100, 110, 110], [40, 0, 50, 10],
                     [200, 200, 210, 210]], np.float32)
    ev.update(pred, np.array([0.9, 0.8, 0.7, 0.6, 0.2]), np.zeros(5), gt, np.zeros(4))
    m = ev.compute()
    # best F1 at conf in (0.2, 0.6]: P = 3/4, R = 3/4
    assert m.precision == pytest.approx(0.75, abs=1e-6) and m.recall == pytest.approx(0.75, abs=1e-6)
    assert 0.2 < m.best_conf <= 0.6


def test_confusion_matrix_counts():
    ev = DetectionEvaluator(3, cm_conf=0.25, cm_iou=0.45)
    gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [80, 0, 90, 10]], np.float32)
    gcls = np.array([0, 1, 2, 2])
    pred = np.array([[0, 0, 10, 10],  # correct class 0
                     [20, 0, 30, 11],  # class 1 predicted as 2
                     [0, 0, 10, 10],  # duplicate of the first -> background FP
                     [40, 0, 50, 10],  # below conf -> dropped, so gt 2 missed
                     [100, 100, 110, 110]], np.float32)  # FP class 1
    ev.update(pred, np.array([0.9, 0.8, 0.7, 0.1, 0.5]), np.array([0, 2, 0, 2, 1]), gt, gcls,
              gt_crowd=np.array([0, 0, 0, 1]))  # the crowd box is left out of the matrix
    cm = ev.compute().confusion_matrix
    expected = np.zeros((4, 4), np.int64)
    expected[0, 0] = 1
    expected[2, 1] = 1
    expected[0, 3] = 1
    expected[3, 2] = 1
    expected[1, 3] = 1
    np.testing.assert_array_equal(cm, expected)


def test_rejects_bad_class_index():
    ev = DetectionEvaluator(2)
    with pytest.raises(ValueError):
        ev.update(np.zeros((1, 4)), np.ones(1), np.array([5]), np.zeros((0, 4)), np.zeros(0))


def test_equal_iou_tie_goes_to_later_ground_truth():
    # d1 overlaps g1 and g2 with the same IoU (0.818); pycocotools gives it the later one (g2), which leaves g1 for
    # d2 (IoU 1.0). Taking g1 first would leave d2 only g2 at IoU 0.667 and change AP at thresholds > 0.65.
    gt = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [40, 40, 60, 60]], np.float32)
    pred = np.array([[1, 0, 11, 10], [0, 0, 10, 10], [41, 40, 60, 60]], np.float32)
    ev = DetectionEvaluator(1)
    ev.update(pred, np.array([0.9, 0.8, 0.7]), np.zeros(3), gt, np.zeros(3), gt_crowd=np.array([0, 0, 1]))
    ev.update(pred[::-1].copy(), np.array([0.9, 0.8, 0.7]), np.zeros(3), gt[::-1].copy(), np.zeros(3))
    m = ev.compute()
    ref = run_pycocotools(*ev.to_coco())
    np.testing.assert_allclose([getattr(m, n) for n in STAT_NAMES], ref.stats, atol=1e-12, rtol=0)
    assert m.map75 == pytest.approx(ref.stats[2]) and ref.stats[2] > 0.9


def test_nms_output_feeds_evaluator():
    """Validation path: raw head output -> non_max_suppression (spec settings) -> DetectionEvaluator."""
    from yolov12.ops.nms import non_max_suppression

    gen = torch.Generator().manual_seed(0)
    nc, a = 3, 400
    gt = torch.tensor([[10.0, 10, 60, 80], [100, 20, 180, 90], [30, 120, 90, 190]])
    gcls = torch.tensor([0, 1, 2])
    src = torch.randint(0, 3, (a,), generator=gen)
    boxes = gt[src] + torch.randn(a, 4, generator=gen) * 1.5
    xywh = torch.cat(((boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]), 1)
    scores = torch.rand(a, nc, generator=gen) * 0.05
    scores[torch.arange(a), gcls[src]] = 0.5 + 0.5 * torch.rand(a, generator=gen)
    pred = torch.cat((xywh, scores), 1).T[None]  # (1, 4 + nc, A)
    det = non_max_suppression(pred, conf=0.001, iou=0.7, multi_label=True, max_det=300)[0]
    ev = DetectionEvaluator(nc)
    ev.update(det[:, :4], det[:, 4], det[:, 5], gt, gcls)
    m = ev.compute()
    assert m.map50 == pytest.approx(1.0) and m.recall == pytest.approx(1.0)
    assert m.confusion_matrix[:nc, :nc].trace() == 3
