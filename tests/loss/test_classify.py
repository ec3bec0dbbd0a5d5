"""Classification loss against the reference (``loss.items`` = mean CE of ``raw.rect`` on ``loss.cls``)."""

import math

import pytest
import torch
from safetensors.torch import load_file

from yolov12.loss.classify import ClassificationLoss


def test_reference_loss(reference_dir):
    ref = load_file(reference_dir / "yolo12n-cls-reference.safetensors")
    out = ClassificationLoss()(ref["raw.rect"], {"cls": ref["loss.cls"]})
    assert list(out.items) == ["loss"]
    exp = ref["loss.items"]
    assert abs(out.vector - exp).max() <= 1e-4 * exp.abs().max()
    assert abs(out.total - ref["loss.total"]).max() <= 1e-4 * ref["loss.total"].abs().max()  # not times batch size


def test_label_smoothing_and_grad():
    logits = torch.tensor([[10.0, 0.0, 0.0]], requires_grad=True)
    plain = ClassificationLoss()(logits, {"cls": torch.tensor([0])})
    smooth = ClassificationLoss(0.3)(logits, {"cls": torch.tensor([0])})
    assert smooth.total > plain.total  # smoothing penalises a confident correct answer
    p = torch.log_softmax(logits.detach(), 1)[0]
    assert math.isclose(float(smooth.total.detach()), float(-(0.8 * p[0] + 0.1 * p[1] + 0.1 * p[2])), rel_tol=1e-6)
    smooth.total.backward()
    assert logits.grad is not None
    with pytest.raises(ValueError, match="label_smoothing"):
        ClassificationLoss(1.0)
