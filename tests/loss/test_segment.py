"""SegmentLoss: parity with the yolo12n-seg reference (overlap masks on and off), edge cases, gradients."""

import pytest
import torch
from safetensors.torch import load_file

from yolov12.loss.segment import SegmentLoss, SegmentLossConfig
from yolov12.ops.masks import crop_masks

REL_TOL = 1e-4


@pytest.fixture(scope="module")
def ref(reference_dir):
    return {**load_file(reference_dir / "yolo12n-seg-reference.safetensors"),
            **load_file(reference_dir / "yolo12n-seg-reference-rect.safetensors")}


def _inputs(d, overlap):
    raw = ([d[f"raw.rect.{i}"] for i in range(3)], d["proto.rect"])
    targets = {"batch_idx": d["loss.batch_idx"], "cls": d["loss.cls"], "bboxes": d["loss.bboxes_xywhn"],
               "masks": d["loss.masks_overlap"] if overlap else d["loss.masks"]}
    return raw, targets


@pytest.mark.parametrize("overlap, key", [(True, "items"), (False, "items_no_overlap")])
def test_reference_parity(ref, overlap, key):
    raw, targets = _inputs(ref, overlap)
    out = SegmentLoss(80, cfg=SegmentLossConfig(overlap_mask=overlap))(raw, targets)
    want = ref[f"loss.{key}"]
    assert tuple(out.items) == ("box", "seg", "cls", "dfl", "sem")
    nz = want != 0
    rel = ((out.vector[nz] - want[nz]).abs() / want[nz].abs()).max().item()
    assert rel < REL_TOL, (out.vector.tolist(), want.tolist())
    assert out.vector[~nz].abs().max() == 0
    total = ref["loss.total" if overlap else "loss.total_no_overlap"].sum()
    assert abs(out.total.item() - total.item()) / total.item() < REL_TOL


def test_parity_is_sensitive(ref):
    """Swapping two instances' masks changes the seg item beyond the tolerance (the check is not vacuous)."""
    raw, targets = _inputs(ref, False)
    base = SegmentLoss(80, cfg=SegmentLossConfig(overlap_mask=False))(raw, targets).items["seg"]
    m = targets["masks"].clone()
    m[[0, 1]] = m[[1, 0]]
    swapped = SegmentLoss(80, cfg=SegmentLossConfig(overlap_mask=False))(raw, {**targets, "masks": m}).items["seg"]
    assert abs(swapped - base) / base > 10 * REL_TOL


def test_mask_resize_forms_agree_at_proto_size(ref):
    """Masks at twice the prototype size: resizing the masks (YOLOv12's engine) equals the loss at the prototype
    size exactly; upsampling the prototypes (newer Ultralytics) is a different, finite number."""
    raw, targets = _inputs(ref, True)
    big = targets["masks"].repeat_interleave(2, 1).repeat_interleave(2, 2)
    a = SegmentLoss(80, cfg=SegmentLossConfig(mask_resize="masks"))(raw, {**targets, "masks": big}).items["seg"]
    b = SegmentLoss(80, cfg=SegmentLossConfig(mask_resize="protos"))(raw, {**targets, "masks": big}).items["seg"]
    exact = SegmentLoss(80)(raw, targets).items["seg"]
    assert torch.isclose(a, exact, rtol=1e-6)
    assert torch.isfinite(b) and abs(b - a) / a > 1e-3


def test_crop_mask_half_open():
    m = torch.ones(1, 4, 4)
    out = crop_masks(m, torch.tensor([[1.0, 0.0, 3.0, 2.0]]))
    assert out[0].tolist() == [[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_no_targets_and_gradients():
    torch.manual_seed(0)
    nc = 3
    maps = [torch.randn(2, 64 + nc + 32, s, s, requires_grad=True) for s in (8, 4, 2)]
    protos = torch.randn(2, 32, 16, 16, requires_grad=True)
    empty = {"batch_idx": torch.zeros(0), "cls": torch.zeros(0), "bboxes": torch.zeros(0, 4),
             "masks": torch.zeros(2, 16, 16, dtype=torch.uint8)}
    out = SegmentLoss(nc)((maps, protos), empty)
    assert out.items["seg"] == 0 and out.items["box"] == 0 and torch.isfinite(out.total)
    out.total.backward()
    assert protos.grad is not None and maps[0].grad is not None
    # one object: the mask loss reaches the prototypes and the coefficients
    maps = [m.detach().requires_grad_() for m in maps]
    protos = protos.detach().requires_grad_()
    masks = torch.zeros(2, 16, 16, dtype=torch.uint8)
    masks[1, 4:12, 4:12] = 1
    one = {"batch_idx": torch.tensor([1.0]), "cls": torch.tensor([2.0]), "bboxes": torch.tensor([[0.5, 0.5, 0.5, 0.5]]),
           "masks": masks}
    out = SegmentLoss(nc)((maps, protos), one)
    assert out.items["seg"] > 0
    out.total.backward()
    assert protos.grad.abs().sum() > 0 and maps[0].grad[:, -32:].abs().sum() > 0


def test_wrong_channel_count_is_one_clear_error():
    maps = [torch.randn(1, 64 + 80, s, s) for s in (8, 4, 2)]
    with pytest.raises(ValueError, match="mask coefficients"):
        SegmentLoss(80)((maps, torch.randn(1, 32, 16, 16)), {"batch_idx": torch.zeros(0), "cls": torch.zeros(0),
                                                              "bboxes": torch.zeros(0, 4),
                                                              "masks": torch.zeros(1, 16, 16)})
