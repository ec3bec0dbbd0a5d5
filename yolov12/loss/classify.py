"""Classification loss: the mean cross-entropy of the logits against the class indices (optional label
smoothing). Unlike the other tasks' totals it is not multiplied by the batch size (as in the seed); item ``loss``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from yolov12.loss.detection import LossOutput


class ClassificationLoss(nn.Module):
    """``criterion(logits (B, nc), {"cls": (B,)}) -> LossOutput(total, {"loss": ...})``."""

    item_names = ("loss",)

    def __init__(self, label_smoothing: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, logits: torch.Tensor | tuple, targets: dict[str, torch.Tensor]) -> LossOutput:
        if isinstance(logits, (tuple, list)):  # an eval-mode output (probabilities, logits)
            logits = logits[1]
        loss = F.cross_entropy(logits.float(), targets["cls"].long().view(-1), label_smoothing=self.label_smoothing)
        return LossOutput(loss, {"loss": loss.detach()})
