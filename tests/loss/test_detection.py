"""DetectionLoss: parity with the reference numbers, edge cases, gradients."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from yolov12.loss import DetectionLoss, LossConfig, LossOutput

REF_NAMES = ["yolo12n-reference", "yolov12n-turbo-reference", "yolov12n-v1release-reference"]
REL_TOL = 1e-4


def _load_ref(reference_dir: Path, name: str) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(reference_dir / f"{name}.safetensors"))


def _ref_inputs(d: dict[str, torch.Tensor]) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    raw = [d[f"raw.rect.{i}"] for i in range(3)]
    targets = {"batch_idx": d["loss.batch_idx"], "cls": d["loss.cls"], "bboxes": d["loss.bboxes_xywhn"]}
    return raw, targets


@pytest.mark.parametrize("name", REF_NAMES)
@pytest.mark.parametrize("cls_shape", ["flat", "column"])
def test_reference_parity(reference_dir: Path, name: str, cls_shape: str) -> None:
    d = _load_ref(reference_dir, name)
    raw, targets = _ref_inputs(d)
    if cls_shape == "column":
        targets["cls"] = targets["cls"].view(-1, 1)
    out = DetectionLoss(nc=80, strides=(8, 16, 32), cfg=LossConfig())(raw, targets)
    ref = d["loss.items"]
    rel = ((out.vector - ref).abs() / ref.abs()).max().item()
    assert rel < REL_TOL, f"{name}: items {out.vector.tolist()} vs {ref.tolist()} (max rel {rel:.2e})"
    # loss.total is stored as (1,) = sum(items) * B (an (3,) = items * B variant is summed the same way)
    total_ref = d["loss.total"].sum()
    torch.testing.assert_close(total_ref, ref.sum() * raw[0].shape[0], rtol=1e-6, atol=0)
    assert abs(out.total.item() - total_ref.item()) / total_ref.item() < REL_TOL
    assert out.vector.shape == (3,) and not out.vector.requires_grad
    assert tuple(out.items) == DetectionLoss.item_names == ("box", "cls", "dfl")


@pytest.mark.parametrize("name", REF_NAMES)
def test_reference_parity_tiny_box_option_is_inert_for_large_boxes(reference_dir: Path, name: str) -> None:
    """All reference boxes are >= 20 px, so the Ultralytics-8.4 tiny-box widening must not change anything."""
    d = _load_ref(reference_dir, name)
    raw, targets = _ref_inputs(d)
    a = DetectionLoss(80, cfg=LossConfig())(raw, targets).vector
    b = DetectionLoss(80, cfg=LossConfig(expand_tiny_boxes=True))(raw, targets).vector
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_reference_parity_is_sensitive(reference_dir: Path) -> None:
    """The parity check can fail: a wrong gain or a moved box is detected."""
    d = _load_ref(reference_dir, REF_NAMES[1])
    raw, targets = _ref_inputs(d)
    ref = d["loss.items"]
    wrong_gain = DetectionLoss(80, cfg=LossConfig(dfl=1.0))(raw, targets).vector
    assert ((wrong_gain - ref).abs() / ref).max() > 1e-2
    moved = dict(targets, bboxes=targets["bboxes"] + torch.tensor([0.01, 0.0, 0.0, 0.0]))
    assert ((DetectionLoss(80)(raw, moved).vector - ref).abs() / ref).max() > 1e-3


# ----------------------------------------------------------------------------------------------------------
# synthetic inputs


def _raw(batch: int = 2, nc: int = 5, hw: tuple[int, int] = (8, 12), seed: int = 0, reg_max: int = 16):
    """Random raw maps for strides 8/16/32 on an input of (hw[0] * 8, hw[1] * 8) pixels."""
    g = torch.Generator().manual_seed(seed)
    h, w = hw
    return [
        torch.randn(batch, 4 * reg_max + nc, h // f, w // f, generator=g).requires_grad_(True) for f in (1, 2, 4)
    ]


def _targets(rows: list[tuple[int, int, float, float, float, float]]) -> dict[str, torch.Tensor]:
    t = torch.tensor(rows, dtype=torch.float32).view(-1, 6)
    return {"batch_idx": t[:, 0], "cls": t[:, 1], "bboxes": t[:, 2:]}


def _check(out: LossOutput, raw: list[torch.Tensor], expect_box: bool = True) -> None:
    assert isinstance(out, LossOutput)
    assert out.total.dim() == 0 and torch.isfinite(out.total)
    assert torch.isfinite(out.vector).all()
    if expect_box:
        assert (out.vector > 0).all(), out.vector
    out.total.backward()
    for x in raw:
        assert x.grad is not None and torch.isfinite(x.grad).all()
    grad_abs = sum(x.grad.abs().sum() for x in raw)
    assert grad_abs > 0


def test_gradients_flow_to_box_and_class_channels() -> None:
    raw = _raw(nc=5)
    targets = _targets([(0, 1, 0.5, 0.5, 0.4, 0.5), (1, 3, 0.3, 0.6, 0.3, 0.3)])
    out = DetectionLoss(nc=5)(raw, targets)
    _check(out, raw)
    box_grad = sum(x.grad[:, :64].abs().sum() for x in raw)
    cls_grad = sum(x.grad[:, 64:].abs().sum() for x in raw)
    assert box_grad > 0 and cls_grad > 0


def test_image_without_objects() -> None:
    raw = _raw(batch=3, nc=4)
    targets = _targets([(0, 1, 0.5, 0.5, 0.4, 0.5), (2, 2, 0.5, 0.5, 0.2, 0.2)])  # image 1 empty
    _check(DetectionLoss(nc=4)(raw, targets), raw)


@pytest.mark.parametrize("cls_shape", [(0,), (0, 1)])
def test_batch_without_objects(cls_shape: tuple[int, ...]) -> None:
    raw = _raw(batch=2, nc=3)
    targets = {"batch_idx": torch.zeros(0), "cls": torch.zeros(cls_shape), "bboxes": torch.zeros(0, 4)}
    out = DetectionLoss(nc=3)(raw, targets)
    assert out.vector[0] == 0 and out.vector[2] == 0 and out.vector[1] > 0
    # with no targets the class loss is plain BCE against zeros, summed (target-score sum clamped to 1)
    pred = torch.cat([x.detach().flatten(2) for x in raw], 2)[:, 64:]
    expected = torch.nn.functional.softplus(pred).sum() * 0.5
    torch.testing.assert_close(out.vector[1], expected, rtol=1e-5, atol=0)
    _check(out, raw, expect_box=False)


def _set_p3_box_distance(raw: list[torch.Tensor], d: float) -> None:
    """Make every P3 anchor predict all four side distances = d cells (0 < d < 1) via bins 0 and 1."""
    with torch.no_grad():
        box = torch.full((4, 16), -30.0)
        box[:, 0], box[:, 1] = torch.tensor(1 - d).log(), torch.tensor(d).log()
        raw[0][:, :64] = box.reshape(64, 1, 1)


def test_one_tiny_box() -> None:
    raw = _raw(nc=2, hw=(8, 8))
    # 64x64 input; a 3x3 px box around the anchor centre (4, 4) of stride 8 still holds that anchor. Make P3
    # predict 2.4 px boxes (side distance 0.15 cells) so that the pair has a positive CIoU and thus a weight.
    _set_p3_box_distance(raw, 0.15)
    targets = _targets([(0, 1, 4 / 64, 4 / 64, 3 / 64, 3 / 64)])
    _check(DetectionLoss(nc=2)(raw, targets), raw)
    # a 3 px box between anchor centres has no candidate: no box loss in the 8.3.63 default ...
    raw2 = _raw(nc=2, hw=(8, 8))
    _set_p3_box_distance(raw2, 0.5)  # 8 px boxes: positive CIoU with the box at anchors 28 and 36
    between = _targets([(0, 1, 30 / 64, 30 / 64, 3 / 64, 3 / 64)])  # no anchor of any level in 28.5..31.5
    out = DetectionLoss(nc=2)(raw2, between)
    assert out.vector[0] == 0 and out.vector[2] == 0
    # ... but the Ultralytics-8.4 option widens it to 16 px, which takes in four anchors
    out84 = DetectionLoss(nc=2, cfg=LossConfig(expand_tiny_boxes=True))(raw2, between)
    assert out84.vector[0] > 0 and out84.vector[2] > 0


def test_many_overlapping_boxes() -> None:
    raw = _raw(batch=2, nc=6, hw=(16, 16), seed=3)
    g = torch.Generator().manual_seed(1)
    n = 40
    centre = 0.5 + 0.05 * torch.randn(n, 2, generator=g)
    size = 0.2 + 0.3 * torch.rand(n, 2, generator=g)
    rows = [(i % 2, i % 6, *centre[i].tolist(), *size[i].tolist()) for i in range(n)]
    _check(DetectionLoss(nc=6)(raw, _targets(rows)), raw)


def test_boxes_touching_the_border() -> None:
    raw = _raw(nc=3, hw=(8, 12))
    rows = [
        (0, 0, 0.1, 0.5, 0.2, 1.0),  # full height, touches top and bottom
        (0, 1, 0.9, 0.1, 0.2, 0.2),  # top-right corner
        (1, 2, 0.5, 0.5, 1.0, 1.0),  # the whole image
    ]
    _check(DetectionLoss(nc=3)(raw, _targets(rows)), raw)


def test_any_batch_size_and_nc_and_permutation_invariance() -> None:
    """Objects of one image may come in any order relative to other images' objects."""
    raw = _raw(batch=4, nc=7, seed=5)
    rows = [(3, 6, 0.5, 0.5, 0.3, 0.4), (0, 0, 0.2, 0.3, 0.2, 0.3), (3, 2, 0.7, 0.6, 0.3, 0.3)]
    crit = DetectionLoss(nc=7)
    a = crit(raw, _targets(rows)).vector
    b = crit(raw, _targets([rows[1], rows[0], rows[2]])).vector
    torch.testing.assert_close(a, b)


def test_autocast_computes_in_float32() -> None:
    raw = _raw(nc=4)
    targets = _targets([(0, 1, 0.5, 0.5, 0.4, 0.5), (1, 3, 0.3, 0.6, 0.3, 0.3)])
    crit = DetectionLoss(nc=4)
    ref = crit(raw, targets).vector
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        out = crit(raw, targets)
    assert out.total.dtype == torch.float32
    torch.testing.assert_close(out.vector, ref)
    # half-precision raw maps (as an autocast model emits them) are upcast, not computed in half
    half = [x.detach().bfloat16() for x in raw]
    out_half = crit(half, targets)
    assert out_half.total.dtype == torch.float32
    expected = crit([x.float() for x in half], targets).vector
    torch.testing.assert_close(out_half.vector, expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu() -> None:
    d = _load_ref(REF_NAMES[0])
    raw, targets = _ref_inputs(d)
    cpu = DetectionLoss(80)(raw, targets).vector
    crit = DetectionLoss(80).cuda()
    with torch.autocast(device_type="cuda", dtype=torch.float16):
        gpu = crit([x.cuda() for x in raw], {k: v.cuda() for k, v in targets.items()}).vector.cpu()
    torch.testing.assert_close(gpu, cpu, rtol=1e-4, atol=0)


def test_targets_to_padded_keeps_input_order_per_image() -> None:
    """Objects of interleaved images land in their image's row in input order; padding rows stay zero."""
    from yolov12.loss.detection import targets_to_padded

    batch_idx = torch.tensor([2.0, 0.0, 2.0, 2.0, 0.0])
    cls = torch.tensor([5.0, 1.0, 6.0, 7.0, 2.0])
    boxes = torch.tensor([[0.5, 0.5, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2], [0.6, 0.6, 0.2, 0.2], [0.7, 0.7, 0.2, 0.2],
                          [0.3, 0.3, 0.2, 0.2]])
    labels, bboxes, mask = targets_to_padded(batch_idx, cls, boxes, 4, (100, 200))
    assert labels.shape == (4, 3, 1) and mask[..., 0].tolist() == [[1, 1, 0], [0, 0, 0], [1, 1, 1], [0, 0, 0]]
    assert labels[2, :, 0].tolist() == [5.0, 6.0, 7.0] and labels[0, :2, 0].tolist() == [1.0, 2.0]
    torch.testing.assert_close(bboxes[2, 0], torch.tensor([90.0, 45.0, 110.0, 55.0]))  # cxcywh * (w, h) -> xyxy
    torch.testing.assert_close(bboxes[0, 1], torch.tensor([40.0, 20.0, 80.0, 40.0]))
    assert bboxes[1].abs().sum() == 0 and bboxes[0, 2].abs().sum() == 0
