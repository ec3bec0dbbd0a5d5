"""The YOLOv12 detector: the shared network (:mod:`yolov12.models.network`) ending in :class:`Detect` at row 21."""

from __future__ import annotations

from yolov12.config import ModelConfig
from yolov12.models.network import STRIDES, YOLOModel, check_input, neck_channels
from yolov12.nn import Detect

__all__ = ["STRIDES", "DetectionModel", "build_model", "check_input"]


class DetectionModel(YOLOModel):
    """YOLOv12 detector. Input (B, 3, H, W) float in [0, 1], H and W multiples of 32.

    Training mode: list of raw maps (B, 4 * 16 + nc, H / s, W / s) for s = 8, 16, 32.
    Eval mode: (B, 4 + nc, A) decoded boxes (cx, cy, w, h, input pixels) then sigmoid class scores.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg, lambda c: Detect(c.nc, neck_channels(c), STRIDES, c.reg_max))


def build_model(scale: str = "n", nc: int = 80, variant: str = "v1", **knobs) -> DetectionModel:
    """Untrained detector of ``scale`` (n/s/m/l/x). ``knobs`` are :class:`ModelConfig` fields (ablations)."""
    return DetectionModel(ModelConfig(scale=scale, nc=nc, variant=variant, **knobs))
