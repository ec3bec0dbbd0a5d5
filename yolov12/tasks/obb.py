"""Oriented boxes: OBB head (angle branch), ProbIoU / rotated DFL / angle loss, rotated NMS + rescale, rotated
mAP with exact polygon IoU, ``Results.obb``."""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.obb import OBBModel
from yolov12.tasks.base import Task


class OBBTask(Task):
    name = "obb"
    suffix = "-obb"
    result_fields = ("obb",)
    target_keys = ("batch_idx", "cls", "rboxes")
    modes = ()

    def build_model(self, cfg: ModelConfig) -> OBBModel:
        return OBBModel(cfg)
