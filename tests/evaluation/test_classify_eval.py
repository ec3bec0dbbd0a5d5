"""Top-1 / top-5, per-class accuracy and the confusion matrix on fixtures built by hand."""

import numpy as np
import torch

from yolov12.evaluation.classify_eval import ClassifyEvaluator, plot_classify_metrics


def _probs(order, nc=7):
    """Probabilities whose ranking is ``order`` (most probable first)."""
    p = torch.zeros(nc)
    for rank, c in enumerate(order):
        p[c] = 1.0 - 0.1 * rank
    return p / p.sum()


def test_top1_top5_per_class_confusion(tmp_path):
    ev = ClassifyEvaluator([f"c{i}" for i in range(7)])
    cases = [([0, 1, 2, 3, 4], 0),  # top-1 hit
             ([1, 0, 2, 3, 4], 0),  # top-5 hit only
             ([1, 2, 3, 4, 5], 0),  # miss (0 ranked 6th)
             ([2, 1, 0, 3, 4], 2),  # top-1 hit
             ([6, 5, 4, 3, 1], 1)]  # top-5 hit only (5th)
    for order, t in cases:
        ev.update(_probs(order), t)
    m = ev.compute()
    assert m.top1 == 2 / 5 and m.top5 == 4 / 5 and m.fitness == m.top1 and m.n == 5
    assert m.confusion_matrix.sum() == 5 and m.confusion_matrix[1, 0] == 2 and m.confusion_matrix[6, 1] == 1
    np.testing.assert_allclose(m.per_class_acc[[0, 1, 2]], [1 / 3, 0, 1])
    assert np.isnan(m.per_class_acc[3]) and m.per_class_n.tolist() == [3, 1, 1, 0, 0, 0, 0]
    assert m.to_dict() == {"top1": 0.4, "top5": 0.8, "fitness": 0.4}
    assert "all" in m.summary()
    plot_classify_metrics(m, ev.names, tmp_path)
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 0 and (tmp_path / "per_class_accuracy.png").exists()


def test_fewer_than_five_classes_and_empty():
    ev = ClassifyEvaluator(["a", "b"])
    assert ev.compute().top1 == 0 and ev.compute().n == 0
    ev.update(torch.tensor([0.3, 0.7]), 0)
    m = ev.compute()
    assert m.top1 == 0 and m.top5 == 1  # top-k with k = nc
