"""Rotated-box mAP: mAP50 and mAP50-95 over oriented boxes, matched with the EXACT polygon IoU.

Semantics (COCO's, on rotated boxes): per image and class, detections in descending score order each take the
unmatched ground-truth box of highest IoU at or above the threshold (10 thresholds 0.50:0.05:0.95); ground truth
marked ``difficult`` (DOTA) is ignored: a detection matched to it counts as neither TP nor FP, and it is not
counted in recall. AP per class and threshold = the area under the precision envelope sampled at the 101 recall
points 0:0.01:1 (COCO); mAP = mean over classes with (non-difficult) ground truth. The IoU is
:func:`yolov12.ops.rotated.rotated_iou_matrix` (intersection area of the two quadrilaterals over their union),
not Ultralytics' in-loop ProbIoU. Precision / recall: at the confidence of best mean F1, IoU 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from yolov12.ops.rotated import rotated_iou_matrix

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass
class OBBMetrics:
    map50: float
    map50_95: float
    precision: float
    recall: float
    per_class_ap: np.ndarray  # (nc,) AP50-95, NaN without ground truth
    per_class_ap50: np.ndarray
    per_class_num_gt: np.ndarray
    num_images: int
    class_names: tuple[str, ...] = field(default=())

    @property
    def fitness(self) -> float:
        return 0.1 * self.map50 + 0.9 * self.map50_95

    def to_dict(self) -> dict[str, float]:
        return {"map50": self.map50, "map50_95": self.map50_95, "precision": self.precision, "recall": self.recall,
                "fitness": self.fitness}

    def summary(self) -> str:
        lines = [f"OBB (exact polygon IoU), {self.num_images} images: mAP50 {self.map50:.4f}  mAP50-95 "
                 f"{self.map50_95:.4f}  P {self.precision:.4f}  R {self.recall:.4f}"]
        for c, (ap, ap50, n) in enumerate(zip(self.per_class_ap, self.per_class_ap50, self.per_class_num_gt)):
            if n:
                name = self.class_names[c] if c < len(self.class_names) else str(c)
                lines.append(f"  {name:>20s} {int(n):6d} gt  AP50 {ap50:.4f}  AP50-95 {ap:.4f}")
        return "\n".join(lines)


def match_image(iou: np.ndarray, pred_cls: np.ndarray, scores: np.ndarray, gt_cls: np.ndarray,
                difficult: np.ndarray, thresholds: np.ndarray = IOU_THRESHOLDS) -> tuple[np.ndarray, np.ndarray]:
    """Greedy score-ordered matching of one image. iou (n, m). Returns tp (n, T) bool and ignored (n, T) bool (a
    detection matched to a difficult box), rows in the input order."""
    n, m, T = len(pred_cls), len(gt_cls), len(thresholds)
    tp = np.zeros((n, T), bool)
    ign = np.zeros((n, T), bool)
    if n == 0 or m == 0:
        return tp, ign
    iou = np.where(pred_cls[:, None] == gt_cls[None], iou, -1.0)
    taken = np.zeros((T, m), bool)
    rows = np.arange(T)
    # as in COCO, a detection takes non-difficult ground truth first; difficult boxes only catch the rest
    for i in np.argsort(-scores, kind="stable"):
        done = np.zeros(T, bool)
        for pref in (~difficult, difficult):
            cand = (iou[i][None] >= thresholds[:, None] - 1e-12) & ~taken & pref[None] & ~done[:, None]  # (T, m)
            hit = cand.any(1)
            best = np.where(cand, iou[i][None], -2.0).argmax(1)
            taken[rows[hit], best[hit]] = True
            tp[i, hit] = ~difficult[best[hit]]
            ign[i, hit] = difficult[best[hit]]
            done |= hit
    return tp, ign


def average_precision(tp: np.ndarray, scores: np.ndarray, num_gt: int) -> float:
    """COCO 101-point AP of one class at one threshold from per-detection tp flags (ignored ones removed)."""
    if num_gt == 0:
        return float("nan")
    if len(tp) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    t = tp[order].astype(np.float64)
    ctp, cfp = np.cumsum(t), np.cumsum(1 - t)
    recall = ctp / num_gt
    precision = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    q = np.where(idx < len(envelope), envelope[np.minimum(idx, len(envelope) - 1)], 0.0)
    return float(q.mean())


class OBBEvaluator:
    """Accumulate per-image rotated predictions and ground truth; ``compute()`` -> :class:`OBBMetrics`.

    ``update(pred (n, 7) cx cy w h r conf cls, target {"rboxes": (m, 5), "cls": (m,), "difficult": (m,) opt.})``
    in original pixels."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.nc = len(self.names)
        self._tp: list[np.ndarray] = []
        self._ign: list[np.ndarray] = []
        self._scores: list[np.ndarray] = []
        self._cls: list[np.ndarray] = []
        self._num_gt = np.zeros(self.nc, np.int64)
        self._images = 0

    def update(self, pred: torch.Tensor, target: dict) -> int:
        pred = torch.as_tensor(pred, dtype=torch.float64).reshape(-1, 7)
        gt = torch.as_tensor(target["rboxes"], dtype=torch.float64).reshape(-1, 5)
        gc = np.asarray(torch.as_tensor(target["cls"]).reshape(-1).long())
        diff = target.get("difficult")
        diff = np.zeros(len(gc), bool) if diff is None else np.asarray(torch.as_tensor(diff).reshape(-1)).astype(bool)
        pc = pred[:, 6].round().long().numpy()
        for name, c in (("predicted", pc), ("ground-truth", gc)):
            if c.size and (c.min() < 0 or c.max() >= self.nc):
                raise ValueError(f"{name} class index outside [0, {self.nc})")
        iou = rotated_iou_matrix(pred[:, :5], gt, min_iou=float(IOU_THRESHOLDS.min()) - 1e-6).numpy()
        scores = pred[:, 5].numpy()
        tp, ign = match_image(iou, pc, scores, gc, diff)
        self._tp.append(tp)
        self._ign.append(ign)
        self._scores.append(scores)
        self._cls.append(pc)
        self._num_gt += np.bincount(gc[~diff], minlength=self.nc)[: self.nc]
        self._images += 1
        return self._images - 1

    def compute(self) -> OBBMetrics:
        T = len(IOU_THRESHOLDS)
        tp = np.concatenate(self._tp) if self._tp else np.zeros((0, T), bool)
        ign = np.concatenate(self._ign) if self._ign else np.zeros((0, T), bool)
        scores = np.concatenate(self._scores) if self._scores else np.zeros(0)
        cls = np.concatenate(self._cls) if self._cls else np.zeros(0, np.int64)
        ap = np.full((self.nc, T), np.nan)
        for c in range(self.nc):
            if self._num_gt[c] == 0:
                continue
            sel = cls == c
            for t in range(T):
                keep = sel & ~ign[:, t]
                ap[c, t] = average_precision(tp[keep, t], scores[keep], int(self._num_gt[c]))
        has = self._num_gt > 0
        map50 = float(np.nanmean(ap[has, 0])) if has.any() else 0.0
        map50_95 = float(np.nanmean(ap[has].mean(1))) if has.any() else 0.0
        p, r = self._pr(tp[:, 0], ign[:, 0], scores, cls, has)
        return OBBMetrics(map50, map50_95, p, r, ap.mean(1), ap[:, 0], self._num_gt.copy(), self._images, self.names)

    def _pr(self, tp: np.ndarray, ign: np.ndarray, scores: np.ndarray, cls: np.ndarray, has: np.ndarray):
        """Mean precision / recall over classes with ground truth at the confidence of best mean F1 (IoU 0.5)."""
        keep = ~ign
        tp, scores, cls = tp[keep], scores[keep], cls[keep]
        if not has.any() or len(scores) == 0:
            return 0.0, 0.0
        grid = np.linspace(0, 1, 1001)
        ps, rs = [], []
        for c in np.flatnonzero(has):
            sel = cls == c
            sc = np.sort(scores[sel])  # ascending
            order = np.argsort(scores[sel], kind="stable")
            ctp = np.concatenate([[0], np.cumsum(tp[sel][order][::-1])])  # tp among the k highest scores
            k = len(sc) - np.searchsorted(sc, grid, side="left")  # detections with score >= x
            t = ctp[k]
            ps.append(np.where(k > 0, t / np.maximum(k, 1), 0.0))
            rs.append(t / self._num_gt[c])
        p, r = np.mean(ps, 0), np.mean(rs, 0)
        f1 = 2 * p * r / np.maximum(p + r, 1e-16)
        i = int(f1.argmax())
        return float(p[i]), float(r[i])
