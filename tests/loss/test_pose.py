"""PoseLoss: parity with the reference loss items, the sigma rule, edge cases, gradients, bad targets."""

import pytest
import torch
from safetensors.torch import load_file

from yolov12.loss.pose import COCO_SIGMAS, PoseLoss, PoseLossConfig, default_sigmas


@pytest.fixture(scope="module")
def ref(reference_dir):
    return {**load_file(reference_dir / "yolo12n-pose-reference.safetensors"),
            **load_file(reference_dir / "yolo12n-pose-reference-rect.safetensors")}


def _inputs(ref):
    raw = [ref[f"raw.rect.{i}"].clone() for i in range(3)]
    targets = {"batch_idx": ref["loss.batch_idx"], "cls": ref["loss.cls"], "bboxes": ref["loss.bboxes_xywhn"],
               "keypoints": ref["loss.keypoints"]}
    return raw, targets


def test_reference_parity(ref):
    raw, targets = _inputs(ref)
    out = PoseLoss(80, (17, 3))(raw, targets)
    want = ref["loss.items"]
    assert list(out.items) == ["box", "pose", "kobj", "cls", "dfl"]
    assert ((out.vector - want).abs() / want.abs()).max() <= 1e-4
    assert torch.allclose(out.total.reshape(1), ref["loss.total"], rtol=1e-4)


def test_reference_parity_float64_inputs(ref):
    raw, targets = _inputs(ref)
    out = PoseLoss(80, (17, 3))([r.double() for r in raw], targets)
    assert ((out.vector - ref["loss.items"]).abs() / ref["loss.items"].abs()).max() <= 1e-4


def test_parity_is_sensitive_to_keypoints_and_sigmas(ref):
    raw, targets = _inputs(ref)
    base = PoseLoss(80, (17, 3))(raw, targets).vector
    moved = dict(targets, keypoints=targets["keypoints"] + torch.tensor([0.01, 0.0, 0.0]))
    a = PoseLoss(80, (17, 3))(raw, moved).vector
    assert abs(a[1] - base[1]) / base[1] > 1e-3 and torch.equal(a[[0, 2, 3, 4]], base[[0, 2, 3, 4]])
    b = PoseLoss(80, (17, 3), sigmas=[0.05] * 17)(raw, targets).vector
    assert abs(b[1] - base[1]) / base[1] > 1e-3


def test_sigma_rule():
    assert default_sigmas((17, 3)) == tuple(s / 10 for s in COCO_SIGMAS)
    assert default_sigmas((17, 2)) == (1 / 17,) * 17
    assert default_sigmas((4, 3)) == (0.25,) * 4
    with pytest.raises(ValueError, match="sigmas"):
        PoseLoss(1, (4, 3), sigmas=[0.1] * 3)


def _toy(kpt_shape=(4, 3), b=2, h=64, w=64, nc=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    k, d = kpt_shape
    no = 64 + nc + k * d
    raw = [torch.randn(b, no, h // s, w // s, generator=g, requires_grad=True) for s in (8, 16, 32)]
    targets = {"batch_idx": torch.tensor([0.0, 1.0, 1.0]), "cls": torch.tensor([0.0, 1.0, 0.0]),
               "bboxes": torch.tensor([[0.5, 0.5, 0.5, 0.4], [0.3, 0.3, 0.3, 0.3], [0.7, 0.7, 0.4, 0.4]]),
               "keypoints": torch.rand(3, k, 3, generator=g)}
    targets["keypoints"][..., 2] = torch.tensor([[2.0, 1, 0, 2], [0, 0, 0, 0], [2, 2, 2, 1]])[:, :k]
    return raw, targets


def test_gradients_reach_keypoint_channels():
    raw, targets = _toy()
    out = PoseLoss(2, (4, 3))(raw, targets)
    out.total.backward()
    kp_grad = sum(r.grad[:, 66:].abs().sum() for r in raw)
    assert kp_grad > 0 and all(torch.isfinite(r.grad).all() for r in raw)
    assert out.items["pose"] > 0 and out.items["kobj"] > 0


def test_two_value_keypoints_have_no_kobj():
    raw, targets = _toy((4, 2))
    out = PoseLoss(2, (4, 2))(raw, targets)
    assert out.items["kobj"] == 0 and out.items["pose"] > 0


def test_no_objects_and_no_labelled_keypoints():
    raw, _ = _toy()
    empty = {"batch_idx": torch.zeros(0), "cls": torch.zeros(0), "bboxes": torch.zeros(0, 4),
             "keypoints": torch.zeros(0, 4, 3)}
    out = PoseLoss(2, (4, 3))(raw, empty)
    assert out.items["pose"] == 0 and out.items["kobj"] == 0 and torch.isfinite(out.total)
    raw, targets = _toy()
    targets["keypoints"][..., 2] = 0
    out = PoseLoss(2, (4, 3))(raw, targets)
    assert out.items["pose"] == 0 and out.items["kobj"] > 0  # the visibility logits still learn "unlabelled"


def test_mismatched_kpt_shape_is_a_clear_error():
    raw, targets = _toy((4, 3))
    with pytest.raises(ValueError, match="kpt_shape"):
        PoseLoss(2, (5, 3))(raw, targets)
    with pytest.raises(ValueError, match="keypoints"):
        PoseLoss(2, (4, 3))(raw, dict(targets, keypoints=torch.zeros(3, 5, 3)))


def test_gains():
    raw, targets = _toy()
    a = PoseLoss(2, (4, 3))(raw, targets).vector
    b = PoseLoss(2, (4, 3), cfg=PoseLossConfig(pose=24.0, kobj=0.5))(raw, targets).vector
    assert torch.allclose(b[1], 2 * a[1]) and torch.allclose(b[2], a[2] / 2)
