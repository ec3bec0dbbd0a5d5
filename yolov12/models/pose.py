"""The YOLOv12 pose model: the shared network (:mod:`yolov12.models.network`) ending in :class:`Pose` at row 21."""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.network import STRIDES, YOLOModel, neck_channels
from yolov12.nn.head_pose import Pose

__all__ = ["PoseModel"]


class PoseModel(YOLOModel):
    """YOLOv12 pose estimator (``cfg.task == 'pose'``, ``cfg.kpt_shape`` (K, D)). Input (B, 3, H, W) in [0, 1].

    Training mode: raw maps (B, 4 * 16 + nc + K * D, H / s, W / s) for s = 8, 16, 32.
    Eval mode: ``(pred, kpts)``, see :class:`~yolov12.nn.head_pose.Pose`.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        if cfg.task != "pose" or cfg.kpt_shape is None:
            raise ValueError(f"PoseModel needs a pose model config (task 'pose' with kpt_shape), got task {cfg.task!r}")
        super().__init__(cfg, lambda c: Pose(c.nc, c.kpt_shape, neck_channels(c), STRIDES, c.reg_max))

    @property
    def kpt_shape(self) -> tuple[int, int]:
        return self.cfg.kpt_shape
