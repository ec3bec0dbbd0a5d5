"""YOLOv12-seg: the shared network (:mod:`yolov12.models.network`) ending in :class:`Segment` at row 21."""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.network import STRIDES, YOLOModel, neck_channels
from yolov12.nn.head_segment import Segment

__all__ = ["NM", "SegmentationModel"]

NM = 32  # mask coefficients per anchor = prototype maps


class SegmentationModel(YOLOModel):
    """YOLOv12 instance segmenter. Input (B, 3, H, W) float in [0, 1], H and W multiples of 32.

    Training mode: ``(maps, protos)``: raw maps (B, 64 + nc + 32, H / s, W / s) for s = 8, 16, 32 and prototypes
    (B, 32, H / 4, W / 4). Eval mode: ``(pred, protos)``, pred (B, 4 + nc + 32, A) = boxes cx, cy, w, h (input
    pixels), sigmoid class scores, mask coefficients. The prototype width is 256 x the scale's width (npr: 64 n,
    128 s, 256 m / l, 384 x).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg, lambda c: Segment(c.nc, neck_channels(c), STRIDES, c.reg_max, NM, c.channels(256)))
