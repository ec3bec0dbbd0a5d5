"""A toy task for the registry test: one module, a Task subclass and its loss, nothing edited elsewhere.

Its network is the detector's; its loss renames and regroups the detection items, and its results.csv takes one
metric column of its own, so a test can see that the trainer, progress bar, results.csv and checkpoints take
everything from the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from yolov12.loss import DetectionLoss, LossOutput
from yolov12.models.detection import STRIDES
from yolov12.tasks.detect import DetectTask


class ToyLoss(nn.Module):
    item_names = ("toy_box", "toy_rest")

    def __init__(self, nc: int) -> None:
        super().__init__()
        self.inner = DetectionLoss(nc, STRIDES)

    def forward(self, raw, targets) -> LossOutput:
        out = self.inner(raw, targets)
        return LossOutput(out.total, {"toy_box": out.items["box"], "toy_rest": out.items["cls"] + out.items["dfl"]})


class ToyTask(DetectTask):
    name = "toy"
    suffix = "-toy"
    metric_columns = {"toyAP50": "map50"}

    def build_loss(self, model: nn.Module, hyp: Mapping[str, Any]) -> ToyLoss:
        return ToyLoss(model.nc)
