"""Instance segmentation: Segment head (Detect + mask coefficients + prototypes)."""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.segmentation import SegmentationModel
from yolov12.tasks.base import Task


class SegmentTask(Task):
    name = "segment"
    suffix = "-seg"
    target_keys = ("batch_idx", "cls", "bboxes", "masks")
    result_fields = ("boxes", "masks")

    def build_model(self, cfg: ModelConfig) -> SegmentationModel:
        return SegmentationModel(cfg)
