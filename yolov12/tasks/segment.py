"""Instance segmentation: Segment head (Detect + 32 mask coefficients + prototypes at stride 4), the mask loss,
NMS + masks in original pixels, COCO box and mask mAP, ``Results.masks``.

Labels: ``class x1 y1 x2 y2 ...`` normalised polygons (3+ points), read strictly (a box line is a counted, named
problem). Training batches carry ``masks`` at imgsz / ``mask_ratio`` (see :mod:`yolov12.data.dataset`).
"""

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
from yolov12.evaluation.coco_json import detections_to_coco_json
from yolov12.evaluation.plots import plot_confusion_matrix, plot_per_class_ap
from yolov12.evaluation.segment_eval import SegmentEvaluator, SegmentMetrics
from yolov12.inference.masks import SegPrediction, segment_postprocess
from yolov12.inference.postprocess import NMSConfig, RatioPad
from yolov12.inference.results import Results
from yolov12.loss.segment import SegmentLoss, SegmentLossConfig
from yolov12.models.detection import STRIDES
from yolov12.models.segmentation import NM, SegmentationModel
from yolov12.ops.boxes import scale_boxes, xywh2xyxy
from yolov12.ops.masks import polygons_to_masks, rle_encode
from yolov12.tasks.base import Task

SEGMENT_LABELS = LabelFormat("segment")


class SegmentTask(Task):
    name = "segment"
    suffix = "-seg"
    target_keys = ("batch_idx", "cls", "bboxes", "masks")
    result_fields = ("boxes", "masks")
    modes = ("train", "val", "predict", "export")
    export_outputs = ("output0", "output1")  # (B, 4 + nc + 32, A) predictions, (B, 32, H / 4, W / 4) prototypes
    export_nms_extra = NM  # detections carry their mask coefficients; the prototypes are a third output
    metric_columns = {
        "precision(B)": "box_precision", "recall(B)": "box_recall", "mAP50(B)": "box_map50",
        "mAP50-95(B)": "box_map50_95", "precision(M)": "mask_precision", "recall(M)": "mask_recall",
        "mAP50(M)": "mask_map50", "mAP50-95(M)": "mask_map50_95",
    }

    def build_model(self, cfg: ModelConfig) -> SegmentationModel:
        return SegmentationModel(cfg)

    def build_loss(self, model: nn.Module, hyp: Mapping[str, Any]) -> SegmentLoss:
        known = {f.name for f in fields(SegmentLossConfig)}
        return SegmentLoss(model.nc, STRIDES, SegmentLossConfig(**{k: v for k, v in hyp.items() if k in known}), NM)

    def label_format(self, data: DataConfig) -> LabelFormat:
        return SEGMENT_LABELS

    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                    ratio_pads: Sequence[RatioPad | None], nms: NMSConfig) -> list[SegPrediction]:
        if not isinstance(output, list | tuple) or len(output) != 2:
            raise ValueError("segment post-processing expects the model's (predictions, prototypes) output")
        return segment_postprocess(output, in_hw, orig_shapes, ratio_pads, nms)

    def results(self, orig_img: np.ndarray, path: str, names: dict[int, str], pred: SegPrediction,
                speed: dict[str, float], frame: int) -> Results:
        return Results(orig_img, path, names, pred.boxes, speed=speed, frame=frame, masks=pred.masks)

    def eval_targets(self, batch: dict[str, Any], i: int, in_hw: tuple[int, int]) -> dict[str, Any]:
        """Boxes (xyxy), classes and masks (m, H0, W0) bool of image ``i`` in original pixels (the polygons of the
        letterboxed batch mapped back and rasterised at the original resolution)."""
        H, W = in_hw
        sel = batch["batch_idx"] == i
        gt = xywh2xyxy(batch["bboxes"][sel].clone()) * torch.tensor([W, H, W, H])
        shape = tuple(batch["ori_shape"][i])
        gain, (pw, ph) = batch["ratio_pad"][i]
        gt = scale_boxes(gt, (H, W), shape, batch["ratio_pad"][i])
        segs = batch.get("segments", [None] * (i + 1))[i]
        if segs is None or not len(segs):
            masks = torch.zeros((0, *shape), dtype=torch.bool)
        else:
            pts = (segs.numpy() * np.array([W, H], np.float32) - np.array([pw, ph], np.float32)) / gain
            masks = torch.from_numpy(polygons_to_masks(pts, shape).astype(bool))
        return {"boxes": gt, "cls": batch["cls"][sel].long().view(-1), "masks": masks}

    def evaluator(self, names: list[str]) -> SegmentEvaluator:
        return SegmentEvaluator(names)

    def json_records(self, image_id: int | str, pred: SegPrediction) -> list[dict]:
        b = pred.boxes
        records = detections_to_coco_json(image_id, b[:, :4].numpy(), b[:, 4].numpy(), b[:, 5].numpy().astype(int))
        for r, m in zip(records, pred.masks.numpy(), strict=True):
            r["segmentation"] = rle_encode(m)
        return records

    def plot_metrics(self, metrics: SegmentMetrics, names: list[str], save_dir: Path) -> None:
        plot_confusion_matrix(metrics.box.confusion_matrix, names, save_dir / "confusion_matrix.png")
        plot_per_class_ap(metrics.mask, names, save_dir / "per_class_ap_mask.png")
