"""Detection metrics with COCO semantics: accumulate per-image results, compute everything once at the end.

``DetectionEvaluator`` collects ground truth and predictions image by image (original-image pixels, xyxy) and
``compute()`` returns a ``DetectionMetrics``: the 12 COCO numbers (equal to pycocotools' ``COCOeval`` stats, see
``coco_eval``), per-class AP, YOLO-style precision / recall / F1 at the best-F1 confidence and a confusion matrix.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from yolov12.evaluation.coco_eval import (
    STAT_NAMES, COCOEvalResult, COCOParams, DetectionSet, GroundTruthSet, MatchResult, evaluate,
)
from yolov12.evaluation.confusion import ConfusionMatrix
from yolov12.utils import LOGGER

__all__ = ["DetectionMetrics", "DetectionEvaluator", "precision_recall_f1"]


@dataclass
class DetectionMetrics:
    """Dataset-level results. COCO numbers are in [0, 1]; -1 (as in pycocotools) when no ground truth defines them."""

    map50_95: float  # AP @ IoU .50:.05:.95, area all, 100 dets
    map50: float
    map75: float
    map_small: float  # area < 32^2
    map_medium: float  # 32^2 .. 96^2
    map_large: float  # > 96^2
    ar1: float  # AR @ IoU .50:.95 with 1 / 10 / 100 detections per image
    ar10: float
    ar100: float
    ar_small: float
    ar_medium: float
    ar_large: float
    precision: float  # mean over classes with ground truth, at the confidence of best mean F1 (IoU 0.5)
    recall: float
    f1: float
    best_conf: float  # that confidence
    per_class_ap: np.ndarray  # (nc,) AP .50:.95; NaN for classes without (non-crowd) ground truth
    per_class_ap50: np.ndarray  # (nc,)
    per_class_num_gt: np.ndarray  # (nc,) int64 non-crowd ground-truth boxes
    confusion_matrix: np.ndarray  # (nc + 1, nc + 1) int64, rows predicted, cols true, index nc = background
    num_images: int
    class_names: tuple[str, ...] = field(default=())

    @property
    def fitness(self) -> float:
        """Checkpoint-selection score: 0.1 * mAP50 + 0.9 * mAP50-95."""
        return 0.1 * self.map50 + 0.9 * self.map50_95

    def to_dict(self) -> dict[str, float]:
        """Scalar metrics (COCO stats, P, R, F1, fitness) as plain floats."""
        d = {name: float(getattr(self, name)) for name in STAT_NAMES}
        d.update(precision=self.precision, recall=self.recall, f1=self.f1, best_conf=self.best_conf,
                 fitness=self.fitness)
        return d

    def summary(self) -> str:
        """pycocotools-style 12-line block, then P/R/F1 and a per-class table."""
        rows = [
            ("Average Precision", "0.50:0.95", "all", 100, self.map50_95),
            ("Average Precision", "0.50", "all", 100, self.map50),
            ("Average Precision", "0.75", "all", 100, self.map75),
            ("Average Precision", "0.50:0.95", "small", 100, self.map_small),
            ("Average Precision", "0.50:0.95", "medium", 100, self.map_medium),
            ("Average Precision", "0.50:0.95", "large", 100, self.map_large),
            ("Average Recall", "0.50:0.95", "all", 1, self.ar1),
            ("Average Recall", "0.50:0.95", "all", 10, self.ar10),
            ("Average Recall", "0.50:0.95", "all", 100, self.ar100),
            ("Average Recall", "0.50:0.95", "small", 100, self.ar_small),
            ("Average Recall", "0.50:0.95", "medium", 100, self.ar_medium),
            ("Average Recall", "0.50:0.95", "large", 100, self.ar_large),
        ]
        lines = [f" {t:<18} ({'AP' if 'Prec' in t else 'AR'}) @[ IoU={i:<9} | area={a:>6} | maxDets={m:>3} ] = {v:0.3f}"
                 for t, i, a, m, v in rows]
        lines.append(f" P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f} (conf {self.best_conf:.3f})"
                     f"  fitness {self.fitness:.4f}  images {self.num_images}")
        names = self.class_names or tuple(str(i) for i in range(len(self.per_class_ap)))
        lines.append(f" {'class':>20} {'gt':>7} {'AP50':>7} {'AP50-95':>8}")
        for i, name in enumerate(names):
            if self.per_class_num_gt[i]:
                lines.append(f" {name:>20} {self.per_class_num_gt[i]:>7d} {self.per_class_ap50[i]:>7.3f}"
                             f" {self.per_class_ap[i]:>8.3f}")
        return "\n".join(lines)


def precision_recall_f1(scores: np.ndarray, tp: np.ndarray, cls: np.ndarray, num_gt: np.ndarray,
                        grid: int = 1000) -> tuple[float, float, float, float]:
    """Precision, recall and F1 (means over classes with ground truth) at the confidence of best mean F1.

    The operating point at confidence ``x`` keeps the detections with score >= ``x``; per class P = TP / kept
    (0 when nothing is kept), R = TP / ground truth, F1 = 2PR / (P + R). ``x`` runs over ``grid`` points in
    [0, 1] and the first maximum of the class-mean F1 is taken, so the reported numbers are one achievable
    operating point (YOLO tools additionally interpolate and smooth these curves, which moves them slightly).

    Args:
        scores: (n,) detection confidences (ignored detections already removed).
        tp: (n,) bool, true positive at IoU 0.5.
        cls: (n,) int class of each detection.
        num_gt: (nc,) ground-truth count per class; classes with 0 are left out of the means.

    Returns:
        (precision, recall, f1, confidence); zeros when no class has ground truth.
    """
    classes = np.flatnonzero(num_gt > 0)
    if classes.size == 0:
        return 0.0, 0.0, 0.0, 0.0
    x = np.linspace(0, 1, grid)
    p = np.zeros((classes.size, grid))
    r = np.zeros((classes.size, grid))
    order = np.lexsort((-scores, cls))
    scores, tp, cls = scores[order], tp[order], cls[order]
    starts = np.searchsorted(cls, classes, "left")
    ends = np.searchsorted(cls, classes, "right")
    for j, c in enumerate(classes):
        s, e = starts[j], ends[j]
        if s == e:
            continue
        tpc = np.cumsum(tp[s:e])
        kept = np.searchsorted(-scores[s:e], -x, side="right")  # detections with score >= x
        tp_at = np.where(kept > 0, tpc[np.maximum(kept - 1, 0)], 0)
        p[j] = np.where(kept > 0, tp_at / np.maximum(kept, 1), 0.0)
        r[j] = tp_at / num_gt[c]
    f1 = 2 * p * r / np.maximum(p + r, 1e-16)
    i = int(f1.mean(0).argmax())
    return float(p[:, i].mean()), float(r[:, i].mean()), float(f1[:, i].mean()), float(x[i])


def _np(x, dtype) -> np.ndarray:
    """Tensor / array / sequence -> numpy array of ``dtype`` (detaches and moves torch tensors to CPU)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


class DetectionEvaluator:
    """Accumulates detections and ground truth per image; ``compute()`` gives ``DetectionMetrics``.

    Args:
        num_classes: classes are contiguous indices 0 .. num_classes - 1.
        class_names: optional names for the summary table.
        params: COCO evaluation parameters (default: COCOeval's bbox defaults).
        cm_conf, cm_iou: score threshold and IoU threshold of the confusion matrix.
    """

    def __init__(self, num_classes: int, class_names: Sequence[str] | None = None, params: COCOParams | None = None,
                 cm_conf: float = 0.25, cm_iou: float = 0.45) -> None:
        self.num_classes = num_classes
        self.class_names = tuple(class_names) if class_names is not None else ()
        self.params = params or COCOParams()
        self.cm_conf, self.cm_iou = cm_conf, cm_iou
        self.reset()

    def reset(self) -> None:
        """Forget everything accumulated so far."""
        self._gt: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._dt: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self._next_id = 0
        self.confusion = ConfusionMatrix(self.num_classes, self.cm_conf, self.cm_iou)

    def update(
        self,
        pred_boxes,
        pred_scores,
        pred_classes,
        gt_boxes,
        gt_classes,
        gt_crowd=None,
        gt_area=None,
        image_id: int | None = None,
    ) -> int:
        """Add one image (tensors or arrays; boxes xyxy in original-image pixels).

        Args:
            pred_boxes: (n, 4) predicted boxes; pred_scores (n,); pred_classes (n,) class indices.
            gt_boxes: (m, 4) ground-truth boxes; gt_classes (m,).
            gt_crowd: (m,) bool/int iscrowd flags (crowd boxes are ignored, detections on them are not penalised).
            gt_area: (m,) object areas in pixels^2 used for the small/medium/large ranges (COCO's ``area``, the
                segmentation area); default: box width * height.
            image_id: integer id (COCO's ``image_id``); images are ordered by id, which decides score ties across
                images exactly as in pycocotools. Default: a running counter.

        Returns:
            The image id used.
        """
        if image_id is None:
            image_id = self._next_id
        self._next_id = max(self._next_id, int(image_id) + 1)
        pb = _np(pred_boxes, np.float64).reshape(-1, 4)
        ps = _np(pred_scores, np.float64).reshape(-1)
        pc = _np(pred_classes, np.float64).reshape(-1).astype(np.int64)
        gb = _np(gt_boxes, np.float64).reshape(-1, 4)
        gc = _np(gt_classes, np.float64).reshape(-1).astype(np.int64)
        crowd = np.zeros(len(gc), bool) if gt_crowd is None else _np(gt_crowd, np.float64).reshape(-1) != 0
        gxywh = np.stack((gb[:, 0], gb[:, 1], gb[:, 2] - gb[:, 0], gb[:, 3] - gb[:, 1]), 1)
        area = gxywh[:, 2] * gxywh[:, 3] if gt_area is None else _np(gt_area, np.float64).reshape(-1)
        pxywh = np.stack((pb[:, 0], pb[:, 1], pb[:, 2] - pb[:, 0], pb[:, 3] - pb[:, 1]), 1)
        for name, c in (("predicted", pc), ("ground-truth", gc)):
            if c.size and (c.min() < 0 or c.max() >= self.num_classes):
                raise ValueError(f"{name} class index outside [0, {self.num_classes})")
        if not (len(pb) == len(ps) == len(pc)) or not (len(gb) == len(gc) == len(crowd) == len(area)):
            raise ValueError("per-image arrays disagree in length")
        self._gt.append((int(image_id), gc, gxywh, area, crowd))
        self._dt.append((int(image_id), pc, ps, pxywh))
        self.confusion.update(pb, ps, pc, gb[~crowd], gc[~crowd])
        return int(image_id)

    @property
    def num_images(self) -> int:
        return len({g[0] for g in self._gt})

    def _flat(self) -> tuple[GroundTruthSet, DetectionSet]:
        ids = np.array([g[0] for g in self._gt], np.int64)
        _, order = np.unique(ids, return_inverse=True)  # image position in ascending-id order
        n_gt = np.array([len(g[1]) for g in self._gt], np.int64)
        n_dt = np.array([len(d[1]) for d in self._dt], np.int64)
        cat = (lambda xs, shape: np.concatenate(xs) if xs else np.zeros(shape))
        gt = GroundTruthSet(
            image=np.repeat(order, n_gt),
            cls=cat([g[1] for g in self._gt], (0,)).astype(np.int64),
            xywh=cat([g[2] for g in self._gt], (0, 4)).astype(np.float64),
            area=cat([g[3] for g in self._gt], (0,)).astype(np.float64),
            crowd=cat([g[4] for g in self._gt], (0,)).astype(bool),
        )
        dt = DetectionSet(
            image=np.repeat(order, n_dt),
            cls=cat([d[1] for d in self._dt], (0,)).astype(np.int64),
            score=cat([d[2] for d in self._dt], (0,)).astype(np.float64),
            xywh=cat([d[3] for d in self._dt], (0, 4)).astype(np.float64),
        )
        return gt, dt

    def compute(self) -> DetectionMetrics:
        """Evaluate everything accumulated so far."""
        t0 = time.perf_counter()
        gt, dt = self._flat()
        res = self._evaluate(gt, dt)
        p_all = res.precision[:, :, :, 0, -1]  # (T, R, K)
        valid = (p_all > -1).all(axis=(0, 1))
        ap = np.where(valid, np.where(p_all > -1, p_all, 0).mean(axis=(0, 1)), np.nan)
        ap50 = np.where(valid, np.where(p_all[0] > -1, p_all[0], 0).mean(axis=0), np.nan)
        p, r, f1, conf = self._pr_f1(res.matches, dt)
        stats = dict(zip(STAT_NAMES, (float(s) for s in res.stats)))
        LOGGER.debug("COCO evaluation of %d images, %d gt, %d detections: %.2f s", self.num_images, len(gt.cls),
                      len(dt.cls), time.perf_counter() - t0)
        return DetectionMetrics(
            **stats, precision=p, recall=r, f1=f1, best_conf=conf, per_class_ap=ap, per_class_ap50=ap50,
            per_class_num_gt=np.bincount(gt.cls[~gt.crowd], minlength=self.num_classes)[: self.num_classes],
            confusion_matrix=self.confusion.matrix.copy(), num_images=self.num_images, class_names=self.class_names,
        )

    def _evaluate(self, gt: GroundTruthSet, dt: DetectionSet) -> COCOEvalResult:
        """The COCO evaluation of the flat sets (boxes; a subclass may match by another IoU)."""
        return evaluate(gt, dt, self.num_classes, self.params)

    def _pr_f1(self, match: MatchResult, dt: DetectionSet) -> tuple[float, float, float, float]:
        """P/R/F1 from the COCO matching at IoU 0.50, area 'all', maxDets[-1]; ignored detections dropped."""
        t50 = int(np.flatnonzero(np.isclose(self.params.iou_thresholds, 0.5))[0])
        keep = ~match.ignored[0, t50]
        tp = match.matched[0, t50][keep]
        rows = match.det_index[keep]
        return precision_recall_f1(dt.score[rows], tp, dt.cls[rows], match.num_gt[0])

    def to_coco(self, category_ids: Sequence[int] | None = None) -> tuple[dict, list[dict]]:
        """The accumulated data in COCO form: (ground-truth dataset dict, prediction records) for pycocotools.

        Annotation ids start at 1 (pycocotools treats id 0 as 'unmatched'); categories are ``category_ids`` (or
        the class indices) for every class.
        """
        cats = list(category_ids) if category_ids is not None else list(range(self.num_classes))
        images, anns, results = [], [], []
        for (img_id, gc, gxywh, area, crowd), (_, pc, ps, pxywh) in zip(self._gt, self._dt):
            images.append({"id": img_id})
            for j in range(len(gc)):
                anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": cats[gc[j]],
                             "bbox": gxywh[j].tolist(), "area": float(area[j]), "iscrowd": int(crowd[j])})
            results += [{"image_id": img_id, "category_id": cats[pc[j]], "bbox": pxywh[j].tolist(),
                         "score": float(ps[j])} for j in range(len(pc))]
        unique = list({im["id"]: im for im in images}.values())
        dataset = {"images": unique, "annotations": anns, "categories": [{"id": c} for c in cats]}
        return dataset, results
