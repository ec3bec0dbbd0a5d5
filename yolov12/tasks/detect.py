"""Object detection: Detect head, box/cls/dfl loss, NMS + rescale, COCO box metrics, ``Results.boxes``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.data import DataConfig, LabelFormat
from yolov12.data.labels import DETECT_LABELS
from yolov12.evaluation.coco_json import detections_to_coco_json
from yolov12.evaluation.metrics import DetectionEvaluator, DetectionMetrics
from yolov12.evaluation.plots import plot_confusion_matrix, plot_per_class_ap
from yolov12.inference.postprocess import NMSConfig, RatioPad, detect_postprocess
from yolov12.inference.results import Results
from yolov12.inference.tiling import merge_box_tiles
from yolov12.loss import DetectionLoss, LossConfig
from yolov12.models.detection import STRIDES, DetectionModel
from yolov12.ops.boxes import scale_boxes, xywh2xyxy
from yolov12.tasks.base import Task, first_tensor


class BoxEvaluator:
    """:class:`DetectionEvaluator` behind the task evaluator interface: ``update(pred (n, 6), target)``."""

    def __init__(self, names: list[str]) -> None:
        self.inner = DetectionEvaluator(len(names), names)

    def update(self, pred: torch.Tensor, target: dict[str, torch.Tensor]) -> int:
        return self.inner.update(pred[:, :4], pred[:, 4], pred[:, 5].long(), target["boxes"], target["cls"])

    def compute(self) -> DetectionMetrics:
        return self.inner.compute()


class DetectTask(Task):
    name = "detect"
    suffix = ""
    result_fields = ("boxes",)
    modes = ("train", "val", "predict", "export")
    metric_columns = {"precision": "precision", "recall": "recall", "mAP50": "map50", "mAP50-95": "map50_95"}
    tiles = True

    def build_model(self, cfg: ModelConfig) -> DetectionModel:
        return DetectionModel(cfg)

    def build_loss(self, model: nn.Module, hyp: Mapping[str, Any]) -> DetectionLoss:
        known = {f.name for f in fields(LossConfig)}
        return DetectionLoss(model.nc, STRIDES, LossConfig(**{k: v for k, v in hyp.items() if k in known}))

    def label_format(self, data: DataConfig) -> LabelFormat:
        return DETECT_LABELS

    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                    ratio_pads: Sequence[RatioPad | None], nms: NMSConfig) -> list[torch.Tensor]:
        return detect_postprocess(first_tensor(output), in_hw, orig_shapes, ratio_pads, nms)

    def results(self, orig_img: np.ndarray, path: str, names: dict[int, str], pred: torch.Tensor,
                speed: dict[str, float], frame: int) -> Results:
        return Results(orig_img, path, names, pred, speed=speed, frame=frame)

    def merge_tiles(self, preds: Sequence[torch.Tensor], windows: Sequence[tuple[int, int, int, int]],
                    hw: tuple[int, int], nms: NMSConfig, overlap: int) -> torch.Tensor:
        return merge_box_tiles(preds, windows, hw, nms, overlap)

    def eval_targets(self, batch: dict[str, Any], i: int, in_hw: tuple[int, int]) -> dict[str, torch.Tensor]:
        """Boxes (n, 4) xyxy in original pixels and classes (n,) of image ``i`` of a letterboxed batch."""
        H, W = in_hw
        sel = batch["batch_idx"] == i
        gt = xywh2xyxy(batch["bboxes"][sel].clone()) * torch.tensor([W, H, W, H])
        gt = scale_boxes(gt, (H, W), batch["ori_shape"][i], batch["ratio_pad"][i])
        return {"boxes": gt, "cls": batch["cls"][sel].long().view(-1)}

    def evaluator(self, names: list[str]) -> BoxEvaluator:
        return BoxEvaluator(names)

    def json_records(self, image_id: int | str, pred: torch.Tensor) -> list[dict]:
        return detections_to_coco_json(image_id, pred[:, :4].numpy(), pred[:, 4].numpy(),
                                       pred[:, 5].numpy().astype(int))

    def plot_metrics(self, metrics: DetectionMetrics, names: list[str], save_dir: Path) -> None:
        plot_confusion_matrix(metrics.confusion_matrix, names, save_dir / "confusion_matrix.png")
        plot_per_class_ap(metrics, names, save_dir / "per_class_ap.png")
