"""Image classification: the backbone with the Classify head at row 9 (network only so far).

Training, validation (top-1 / top-5), prediction (``Results.probs``) and export arrive with the classification
issue; until then those modes stop with :class:`~yolov12.tasks.base.TaskNotAvailable`.
"""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.classification import ClassificationModel
from yolov12.tasks.base import Task


class ClassifyTask(Task):
    name = "classify"
    suffix = "-cls"
    default_nc = 1000
    target_keys = ("cls",)
    result_fields = ("probs",)

    def build_model(self, cfg: ModelConfig) -> ClassificationModel:
        return ClassificationModel(cfg)
