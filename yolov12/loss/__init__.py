"""Detection loss: task-aligned assigner and the YOLOv12 criterion (box CIoU + BCE class + DFL)."""

from yolov12.loss.assigner import AssignResult, TaskAlignedAssigner
from yolov12.loss.detection import DetectionLoss, LossConfig, LossOutput

__all__ = ["AssignResult", "DetectionLoss", "LossConfig", "LossOutput", "TaskAlignedAssigner"]
