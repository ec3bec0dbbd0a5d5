"""OKS evaluation equals pycocotools COCOeval(iouType='keypoints'); the pose task evaluator end to end."""

import numpy as np
import pytest
import torch

from tests.evaluation._pose_fixtures import make_pose_data, pycocotools_keypoints, to_coco
from yolov12.evaluation.pose_eval import PoseEvaluator, evaluate_keypoints, oks
from yolov12.inference.keypoints import PosePrediction
from yolov12.loss.pose import default_sigmas

pytest.importorskip("pycocotools")


@pytest.mark.parametrize("k, nc, seed, ties", [(17, 1, 0, False), (17, 3, 1, True), (4, 2, 2, False),
                                               (17, 1, 3, True)])
def test_equals_pycocotools(k, nc, seed, ties):
    n = 40
    gt, dt = make_pose_data(n, nc, k, seed, tie_scores=ties)
    assert gt.crowd.any() and ((gt.keypoints[..., 2] > 0).sum(1) == 0).any() and (gt.area < 32**2).any()
    assert (gt.keypoints[..., 2] == 0).any() and (gt.keypoints[..., 2] == 1).any()
    sigmas = default_sigmas((k, 3)) if k == 17 else [0.05, 0.08, 0.1, 0.12]
    _, _, ours = evaluate_keypoints(gt, dt, nc, sigmas)
    ref = pycocotools_keypoints(*to_coco(gt, dt, n, nc), sigmas)
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    assert ref[0] > 0.05  # the fixture is not degenerate


def test_sigmas_matter_and_check_can_fail():
    gt, dt = make_pose_data(30, 1, 17, 5)
    _, _, a = evaluate_keypoints(gt, dt, 1, default_sigmas((17, 3)))
    _, _, b = evaluate_keypoints(gt, dt, 1, np.full(17, 0.2))
    assert abs(a[0] - b[0]) > 1e-3


def test_oks_by_hand():
    g = np.array([[10.0, 10, 2], [20, 20, 0]])
    d = np.array([[12.0, 10, 0.9], [50, 50, 0.9]])
    s = np.array([0.1, 0.1])
    got = oks(d, g, np.array([0.0, 0, 30, 30]), np.array(400.0), s)
    assert np.isclose(got, np.exp(-4 / (0.2**2) / (400 + np.spacing(1)) / 2))  # only the labelled keypoint counts


def test_pose_evaluator_perfect_and_empty():
    ev = PoseEvaluator(["a", "b"], default_sigmas((4, 3)))
    kp = torch.tensor([[[10.0, 10, 2], [60, 10, 2], [60, 60, 1], [10, 60, 0]]])
    tgt = {"boxes": torch.tensor([[5.0, 5, 65, 65]]), "cls": torch.tensor([1]), "keypoints": kp}
    pred = PosePrediction(torch.tensor([[5.0, 5, 65, 65, 0.9, 1]]), kp.clone())
    ev.update(pred, tgt)
    ev.update(PosePrediction(torch.zeros(0, 6), torch.zeros(0, 4, 3)),
              {"boxes": torch.zeros(0, 4), "cls": torch.zeros(0), "keypoints": torch.zeros(0, 4, 3)})
    m = ev.compute()
    assert m.map50_95 == pytest.approx(1.0) and m.box.map50_95 == pytest.approx(1.0)
    d = m.to_dict()
    assert d["pose_map50_95"] == pytest.approx(1.0) and "box_map50" in d and "fitness" in d
    assert "OKS" in m.summary()
