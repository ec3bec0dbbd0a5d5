"""Evaluation: COCO-semantics detection metrics (``metrics``, ``coco_eval``), confusion matrix, COCO JSON output."""

from yolov12.evaluation.coco_eval import COCOParams
from yolov12.evaluation.coco_json import COCO80_TO_91, detections_to_coco_json, save_coco_json
from yolov12.evaluation.confusion import ConfusionMatrix
from yolov12.evaluation.metrics import DetectionEvaluator, DetectionMetrics

__all__ = ["COCO80_TO_91", "COCOParams", "ConfusionMatrix", "DetectionEvaluator", "DetectionMetrics",
           "detections_to_coco_json", "save_coco_json"]
