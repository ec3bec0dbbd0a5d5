"""Pose / keypoints: Pose head, box + OKS keypoint loss, NMS carrying keypoints, OKS mAP, ``Results.keypoints``."""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.pose import PoseModel
from yolov12.tasks.base import Task


class PoseTask(Task):
    name = "pose"
    suffix = "-pose"
    result_fields = ("boxes", "keypoints")
    modes: tuple[str, ...] = ()

    def build_model(self, cfg: ModelConfig) -> PoseModel:
        return PoseModel(cfg)
