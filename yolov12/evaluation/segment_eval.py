"""Instance-segmentation evaluation: COCO box and mask (iouType ``segm``) mAP in one pass.

Masks are compared at the original image resolution, as pycocotools does: per image the (detections x ground
truth) mask IoU matrix is computed once in :meth:`MaskEvaluator.update_masks` (a crowd ground truth: intersection
over the detection's mask area), the masks are dropped, and ``compute`` runs the same vectorised COCOeval matching
as the box evaluation (:mod:`yolov12.evaluation.coco_eval`) with that IoU and the detections' mask areas.
The masks are bit-packed once (:mod:`yolov12.ops.packed_masks`: areas and mask boxes by popcount); only pairs of
the same category (the only ones the matcher reads) whose mask boxes overlap are intersected, the others are
exactly 0. All counts are integers, so the IoU equals pycocotools' bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from yolov12.evaluation.coco_eval import (
    COCOEvalResult, COCOParams, DetectionSet, GroundTruthSet, accumulate, match_detections, summarize,
)
from yolov12.evaluation.metrics import DetectionEvaluator, DetectionMetrics
from yolov12.ops.packed_masks import pack_masks, packed_mask_iou

__all__ = ["MaskEvaluator", "SegmentEvaluator", "SegmentMetrics", "mask_iou"]


def _as_mask_array(masks: Any) -> np.ndarray:
    """Masks (torch or numpy, any device / dtype) -> numpy bool (n, H, W), zero-copy for CPU bool tensors."""
    if isinstance(masks, torch.Tensor):
        masks = masks.detach().cpu()
        return (masks if masks.dtype == torch.bool else masks != 0).numpy()
    masks = np.asarray(masks)
    return masks if masks.dtype == np.bool_ else masks != 0


def mask_iou(det: Any, gt: Any, crowd: np.ndarray | None = None) -> np.ndarray:
    """(n, H, W) and (m, H, W) binary masks -> (n, m) float64 IoU (pycocotools ``maskUtils.iou``: a crowd ground
    truth uses intersection / detection area; an empty union gives 0). Exact integer counts on bit-packed masks."""
    return packed_mask_iou(pack_masks(_as_mask_array(det)), pack_masks(_as_mask_array(gt)), crowd)


class MaskEvaluator(DetectionEvaluator):
    """COCO mask AP (iouType segm). ``update_masks`` adds one image: boxes are only used for the confusion matrix
    and the P/R/F1 bookkeeping of the base class; matching uses the mask IoU."""

    def reset(self) -> None:
        super().reset()
        self._iou: list[np.ndarray] = []  # per image (n_det, n_gt) mask IoU
        self._det_area: list[np.ndarray] = []

    def update_masks(self, pred_boxes, pred_scores, pred_classes, pred_masks: torch.Tensor, gt_boxes, gt_classes,
                     gt_masks: torch.Tensor, gt_crowd=None, gt_area=None, image_id: int | None = None) -> int:
        """One image: masks (n, H0, W0) / (m, H0, W0) bool in original pixels; ``gt_area`` defaults to the mask
        areas (COCO's ``area``)."""
        pred_np, gt_np = _as_mask_array(pred_masks), _as_mask_array(gt_masks)
        if pred_np.ndim != 3 or gt_np.ndim != 3:
            raise ValueError(f"masks must be (n, H, W), got {pred_np.shape} and {gt_np.shape}")
        if pred_np.shape[0] != len(pred_scores) or gt_np.shape[0] != len(gt_classes):
            raise ValueError("one mask per box expected (predictions and ground truth)")
        if pred_np.shape[0] and gt_np.shape[0] and pred_np.shape[1:] != gt_np.shape[1:]:
            raise ValueError(f"predicted masks {tuple(pred_np.shape[1:])} and ground-truth masks "
                             f"{tuple(gt_np.shape[1:])} differ in size")
        crowd = np.zeros(len(gt_classes), bool) if gt_crowd is None else np.asarray(gt_crowd).reshape(-1) != 0
        det, gt = pack_masks(pred_np), pack_masks(gt_np)
        if gt_area is None:
            gt_area = gt.area.astype(np.float64)
        image_id = self.update(pred_boxes, pred_scores, pred_classes, gt_boxes, gt_classes, crowd, gt_area, image_id)
        # only same-category pairs are ever matched: the others stay 0 and are never read
        same = self._dt[-1][1][:, None] == self._gt[-1][1][None, :]  # the classes update() stored
        self._iou.append(packed_mask_iou(det, gt, crowd, candidates=same))
        self._det_area.append(det.area.astype(np.float64))
        return image_id

    def _evaluate(self, gt: GroundTruthSet, dt: DetectionSet) -> COCOEvalResult:
        # row -> (entry, local index) for detections and ground truth, in _flat's concatenation order
        n_dt = np.array([len(d[1]) for d in self._dt], np.int64)
        n_gt = np.array([len(g[1]) for g in self._gt], np.int64)
        d_entry, g_entry = np.repeat(np.arange(len(n_dt)), n_dt), np.repeat(np.arange(len(n_gt)), n_gt)
        d_local = np.arange(n_dt.sum()) - np.repeat(np.cumsum(n_dt) - n_dt, n_dt)
        g_local = np.arange(n_gt.sum()) - np.repeat(np.cumsum(n_gt) - n_gt, n_gt)
        sizes = n_dt * n_gt
        offsets = np.cumsum(sizes) - sizes
        flat = np.concatenate([m.reshape(-1) for m in self._iou]) if self._iou else np.zeros(0)

        def pair_iou(d_rows: np.ndarray, g_rows: np.ndarray, crowd: np.ndarray) -> np.ndarray:
            e = d_entry[d_rows]  # a detection and the ground truth it is compared with share their image,
            same = g_entry[g_rows] == e  # except the matcher's padding entries (masked there): keep them in range
            at = np.where(same, offsets[e] + d_local[d_rows] * n_gt[e] + g_local[g_rows], 0)
            return np.where(same, flat[at], 0.0)

        det_area = np.concatenate(self._det_area) if self._det_area else np.zeros(0)
        match = match_detections(gt, dt, self.num_classes, self.params, pair_iou=pair_iou, det_area=det_area)
        precision, recall = accumulate(match, dt, self.num_classes, self.params)
        return COCOEvalResult(precision, recall, summarize(precision, recall, self.params), match)


@dataclass
class SegmentMetrics:
    """Box and mask metrics of a segmentation validation; the headline is ``mask.map50_95``."""

    box: DetectionMetrics
    mask: DetectionMetrics

    @property
    def fitness(self) -> float:
        """Box fitness + mask fitness (each 0.1 mAP50 + 0.9 mAP50-95), as YOLO segment training selects."""
        return self.box.fitness + self.mask.fitness

    def to_dict(self) -> dict[str, float]:
        d = {f"box_{k}": v for k, v in self.box.to_dict().items()}
        d.update({f"mask_{k}": v for k, v in self.mask.to_dict().items()})
        d["fitness"] = self.fitness
        return d

    def summary(self) -> str:
        return "box:\n" + self.box.summary() + "\nmask:\n" + self.mask.summary()


class SegmentEvaluator:
    """Task evaluator: ``update(SegPrediction, target)`` with target ``boxes`` (m, 4) xyxy, ``cls`` (m,), ``masks``
    (m, H0, W0) bool (original pixels), optional ``crowd`` and ``area``; ``compute() -> SegmentMetrics``."""

    def __init__(self, names: Sequence[str], params: COCOParams | None = None) -> None:
        self.mask = MaskEvaluator(len(names), names, params)
        self.box = DetectionEvaluator(len(names), names, params)

    def update(self, pred: Any, target: dict[str, Any]) -> int:
        b = pred.boxes
        crowd, area = target.get("crowd"), target.get("area")
        i = self.mask.update_masks(b[:, :4], b[:, 4], b[:, 5], pred.masks, target["boxes"], target["cls"],
                                   target["masks"], crowd, area)
        area = self.mask._gt[-1][3]  # the areas the mask evaluator used (default: the ground-truth mask areas)
        self.box.update(b[:, :4], b[:, 4], b[:, 5], target["boxes"], target["cls"], crowd, area, image_id=i)
        return i

    def compute(self) -> SegmentMetrics:
        return SegmentMetrics(self.box.compute(), self.mask.compute())
