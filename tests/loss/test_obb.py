"""OBB loss: items equal to the reference v8OBBLoss on its fixed targets, plus behaviour checks."""

import math

import pytest
import torch
from safetensors.torch import load_file

from yolov12.loss.obb import OBBLoss, OBBLossConfig, RotatedTaskAlignedAssigner, rbox2dist, select_candidates_in_rboxes


@pytest.fixture(scope="module")
def ref(reference_dir):
    t = {**load_file(reference_dir / "yolo12n-obb-reference.safetensors"),
         **load_file(reference_dir / "yolo12n-obb-reference-rect.safetensors")}
    raw = [t[f"raw.rect.{i}"] for i in range(3)]
    targets = {"batch_idx": t["loss.batch_idx"], "cls": t["loss.cls"], "rboxes": t["loss.rboxes_xywhr"]}
    return raw, targets, t


def test_obb_loss_matches_reference(ref):
    raw, targets, t = ref
    out = OBBLoss(80)(raw, targets)
    assert tuple(out.items) == ("box", "cls", "dfl", "angle")
    rel = ((out.vector - t["loss.items"]) / t["loss.items"]).abs().max()
    assert rel <= 1e-4, (out.vector, t["loss.items"])
    assert abs(float(out.total) - float(t["loss.total"])) <= 1e-4 * float(t["loss.total"])
    # float64 computation agrees too
    out64 = OBBLoss(80).double()(raw, targets)
    assert ((out64.vector - t["loss.items"]) / t["loss.items"]).abs().max() <= 1e-4


def test_obb_loss_can_fail(ref):
    raw, targets, t = ref
    plain = OBBLoss(80, cfg=OBBLossConfig(var_eps=0.0))(raw, targets)  # ProbIoU without the loss's +0.01 variance
    assert ((plain.vector - t["loss.items"]) / t["loss.items"]).abs().max() > 1e-4
    turned = dict(targets, rboxes=targets["rboxes"] + torch.tensor([0, 0, 0, 0, 0.3]))
    assert (OBBLoss(80)(raw, turned).vector[3] - t["loss.items"][3]).abs() > 1e-3


def test_tiny_boxes_dropped_and_representation(ref):
    raw, targets, t = ref
    loss = OBBLoss(80)
    base = loss(raw, targets).vector
    w_px = targets["rboxes"][:, 2] * 640
    keep = w_px >= 2
    assert (~keep).sum() == 1  # the reference's 1.5 px box
    sub = {k: v[keep] for k, v in targets.items()}
    assert torch.allclose(loss(raw, sub).vector, base)
    # the same rectangles written with w/h swapped and the angle a quarter turn on: box loss unchanged (ProbIoU is
    # representation-free), angle loss unchanged (sin^2(2 x) has period pi/2)
    rb = targets["rboxes"].clone()
    sw = rb.clone()
    sw[:, 2] = rb[:, 3] * 384 / 640
    sw[:, 3] = rb[:, 2] * 640 / 384
    sw[:, 4] = rb[:, 4] + math.pi / 2
    # (sides are normalised by W and H respectively, so swapping them rescales)
    other = loss(raw, dict(targets, rboxes=sw)).vector
    assert torch.allclose(other[[0, 1, 3]], base[[0, 1, 3]], rtol=1e-4)


def test_empty_targets_and_gradients(ref):
    raw, targets, _ = ref
    raw = [r[:1].clone().requires_grad_(True) for r in raw]
    empty = {"batch_idx": torch.zeros(0), "cls": torch.zeros(0), "rboxes": torch.zeros(0, 5)}
    out = OBBLoss(80)(raw, empty)
    assert out.vector[[0, 2, 3]].abs().sum() == 0 and out.vector[1] > 0
    out.total.backward()
    sel = targets["batch_idx"] == 0
    raw2 = [r.detach().clone().requires_grad_(True) for r in raw]
    out = OBBLoss(80)(raw2, {k: v[sel] for k, v in targets.items()})
    out.total.backward()
    assert raw2[0].grad[:, -1].abs().sum() > 0  # the angle logit is trained


def test_rotated_candidates_and_distances():
    pts = torch.tensor([[0.0, 0.0], [12.0, 0.0], [0.0, 3.0], [6.0, 6.0]])
    box = torch.tensor([[[0.0, 0.0, 20.0, 4.0, math.pi / 4]]])  # a 20 x 4 bar on the diagonal
    inside = select_candidates_in_rboxes(pts, box)[0, 0]
    assert inside.tolist() == [1.0, 0.0, 0.0, 1.0]
    # widened for the test only: a 4-px-thick bar takes anchors within 8 px of its axis
    a = RotatedTaskAlignedAssigner(tiny_box_strides=(8, 16, 32))
    m = a._candidates(pts, box, torch.ones(1, 1, 1))[0, 0]
    assert m.tolist() == [1.0, 0.0, 1.0, 1.0]
    d = rbox2dist(torch.tensor([[5.0, 5.0, 8.0, 4.0, math.pi / 2]]), torch.tensor([[5.0, 6.0]]), 15)
    assert torch.allclose(d, torch.tensor([[5.0, 2.0, 3.0, 2.0]]))  # anchor 1 px along the turned x: l 5, r 3
