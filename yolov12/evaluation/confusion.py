"""Detection confusion matrix with a background row/column (YOLO convention: rows predicted, columns true)."""

from __future__ import annotations

import numpy as np

__all__ = ["ConfusionMatrix", "box_iou_np"]


def box_iou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M) float64 (0 where the union is empty)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


class ConfusionMatrix:
    """(nc + 1, nc + 1) counts; ``matrix[p, t]``: predicted class p for true class t, index nc = background.

    Per image, detections with score > ``conf`` are matched one-to-one to ground truth of any class, greedily by
    descending IoU (pairs with IoU > ``iou``). A matched pair counts at [det class, gt class]; an unmatched ground
    truth at [nc, gt class] (missed); an unmatched detection at [det class, nc] (false positive). Crowd ground truth
    is left out.
    """

    def __init__(self, num_classes: int, conf: float = 0.25, iou: float = 0.45) -> None:
        self.nc, self.conf, self.iou = num_classes, conf, iou
        self.matrix = np.zeros((num_classes + 1, num_classes + 1), np.int64)

    def update(self, det_xyxy: np.ndarray, det_scores: np.ndarray, det_cls: np.ndarray,
               gt_xyxy: np.ndarray, gt_cls: np.ndarray) -> None:
        """Add one image: detections (n, 4) xyxy / (n,) / (n,) int, non-crowd ground truth (m, 4) / (m,) int."""
        keep = det_scores > self.conf
        det_xyxy, det_cls = det_xyxy[keep], det_cls[keep].astype(np.int64)
        gt_cls = gt_cls.astype(np.int64)
        det_used = np.zeros(len(det_cls), bool)
        gt_used = np.zeros(len(gt_cls), bool)
        if len(det_cls) and len(gt_cls):
            iou = box_iou_np(gt_xyxy, det_xyxy)  # (m, n)
            gi, di = np.nonzero(iou > self.iou)
            for k in np.argsort(-iou[gi, di], kind="stable"):
                g, d = gi[k], di[k]
                if not gt_used[g] and not det_used[d]:
                    gt_used[g] = det_used[d] = True
                    self.matrix[det_cls[d], gt_cls[g]] += 1
        np.add.at(self.matrix, (self.nc, gt_cls[~gt_used]), 1)
        np.add.at(self.matrix, (det_cls[~det_used], self.nc), 1)
