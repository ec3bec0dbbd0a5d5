"""The YOLOv12 oriented-box detector: the shared network ending in :class:`~yolov12.nn.head_obb.OBB` at row 21."""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.network import STRIDES, YOLOModel, neck_channels
from yolov12.nn.head_obb import OBB

__all__ = ["OBBModel"]


class OBBModel(YOLOModel):
    """Input (B, 3, H, W) float in [0, 1], H and W multiples of 32.

    Training mode: raw maps (B, 4 * 16 + nc + 1, H / s, W / s) for s = 8, 16, 32 (box, class, angle logits).
    Eval mode: (B, 4 + nc + 1, A): rotated cx, cy, w, h (input pixels), sigmoid class scores, angle (radians).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg, lambda c: OBB(c.nc, neck_channels(c), STRIDES, c.reg_max))
