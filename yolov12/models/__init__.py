"""Networks assembled from the scale table, their size/FLOP accounting, fusing."""

from yolov12.models.classification import ClassificationModel
from yolov12.models.detection import DetectionModel, build_model
from yolov12.models.network import YOLOModel
from yolov12.models.info import ModelInfo, model_info
from yolov12.models.optimize import prepare_for_inference

__all__ = ["ClassificationModel", "DetectionModel", "ModelInfo", "build_model", "model_info", "prepare_for_inference",
           "YOLOModel"]
