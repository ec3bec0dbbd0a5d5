"""Inference: prediction sources, the predictor pipeline, per-image Results and drawing.

>>> from yolov12.inference import Predictor, PredictConfig
>>> results = Predictor(model, names, PredictConfig(conf=0.3))("images/")
>>> results[0].boxes.xyxy, results[0].verbose()
"""

from __future__ import annotations

from yolov12.inference.plotting import PALETTE_BGR, class_color, draw_boxes
from yolov12.inference.results import Boxes, Results
from yolov12.inference.sources import IMG_FORMATS, VID_FORMATS, SourceItem, VideoInfo, iter_source

__all__ = [
    "IMG_FORMATS",
    "PALETTE_BGR",
    "VID_FORMATS",
    "Boxes",
    "PredictConfig",
    "Predictor",
    "Results",
    "SourceItem",
    "VideoInfo",
    "class_color",
    "draw_boxes",
    "iter_source",
]


def __getattr__(name: str):
    # Lazy: the predictor pulls in the model-side stack (letterbox, NMS); sources/results/plotting stay light.
    if name in ("Predictor", "PredictConfig"):
        from yolov12.inference import predictor

        return getattr(predictor, name)
    raise AttributeError(f"module 'yolov12.inference' has no attribute {name!r}")
