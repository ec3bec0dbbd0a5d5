"""COCO keypoint evaluation (pycocotools ``COCOeval`` with iouType 'keypoints'), vectorised, and the pose task's
evaluator: box mAP (:class:`~yolov12.evaluation.metrics.DetectionEvaluator`) and OKS mAP.

Semantics reproduced (names follow COCOeval):

* OKS (``computeOks``): vars = (2 sigma)^2; with k1 > 0 labelled ground-truth keypoints (v > 0),
  e = ((x_d - x_g)^2 + (y_d - y_g)^2) / vars / (area + eps) / 2 over those keypoints; with none, the distances
  are measured to the ground-truth box grown by its size on each side (x0 = x - w, x1 = x + 2w), over all
  keypoints; OKS = mean(exp(-e)). ``area`` is the annotation's area;
* a ground truth is ignored when crowd, when it has no labelled keypoint (``num_keypoints == 0``) or when its area
  is outside the range; only crowd ground truths can be matched more than once;
* a detection's area (for the area ranges) is the area of its keypoints' bounding box (``loadRes``);
* parameters: maxDets 20, area ranges all / medium (32^2..96^2) / large; 10 OKS thresholds .50:.05:.95;
  matching, accumulation and the 101-point precision as for boxes (:mod:`~yolov12.evaluation.coco_eval`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from yolov12.evaluation.coco_eval import COCOParams, DetectionSet, MatchResult, _group_starts, _pick, accumulate
from yolov12.evaluation.metrics import DetectionEvaluator, DetectionMetrics
from yolov12.loss.pose import default_sigmas

__all__ = ["KEYPOINT_PARAMS", "KEYPOINT_STAT_NAMES", "KeypointGroundTruth", "KeypointDetections", "oks",
           "evaluate_keypoints", "PoseEvaluator", "PoseMetrics"]

KEYPOINT_PARAMS = COCOParams(max_dets=(20,), area_ranges=((0.0, 1e5**2), (32.0**2, 96.0**2), (96.0**2, 1e5**2)),
                             area_labels=("all", "medium", "large"))
KEYPOINT_STAT_NAMES = ("map50_95", "map50", "map75", "map_medium", "map_large",
                       "ar", "ar50", "ar75", "ar_medium", "ar_large")
IN_LOOP_AREA = 0.53  # in-loop OKS area = 0.53 x box area (Ultralytics' convention; YOLO labels have no area)


@dataclass
class KeypointGroundTruth:
    """All ground truth, flat; ``image`` = the image's position in ascending image-id order."""

    image: np.ndarray  # (G,) int64
    cls: np.ndarray  # (G,) int64
    keypoints: np.ndarray  # (G, K, 3) float64 x, y pixels, v (0 unlabelled)
    xywh: np.ndarray  # (G, 4) float64 box x, y (top-left), w, h pixels
    area: np.ndarray  # (G,) float64
    crowd: np.ndarray  # (G,) bool


@dataclass
class KeypointDetections:
    image: np.ndarray  # (D,) int64
    cls: np.ndarray  # (D,) int64
    score: np.ndarray  # (D,) float64
    keypoints: np.ndarray  # (D, K, >=2) float64 x, y pixels (a third column is ignored, as pycocotools does)


def oks(d: np.ndarray, g: np.ndarray, g_xywh: np.ndarray, g_area: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """computeOks broadcast: d (..., K, >=2), g (..., K, 3), g_xywh (..., 4), g_area (...) -> OKS (...)."""
    var = (np.asarray(sigmas, np.float64) * 2) ** 2
    vis = g[..., 2] > 0
    k1 = vis.sum(-1)
    dx, dy = d[..., 0] - g[..., 0], d[..., 1] - g[..., 1]
    x0 = (g_xywh[..., 0] - g_xywh[..., 2])[..., None]
    x1 = (g_xywh[..., 0] + g_xywh[..., 2] * 2)[..., None]
    y0 = (g_xywh[..., 1] - g_xywh[..., 3])[..., None]
    y1 = (g_xywh[..., 1] + g_xywh[..., 3] * 2)[..., None]
    z = np.zeros_like(dx)
    bx = np.maximum(z, x0 - d[..., 0]) + np.maximum(z, d[..., 0] - x1)
    by = np.maximum(z, y0 - d[..., 1]) + np.maximum(z, d[..., 1] - y1)
    has = (k1 > 0)[..., None]
    dx, dy = np.where(has, dx, bx), np.where(has, dy, by)
    e = (dx**2 + dy**2) / var / (g_area[..., None] + np.spacing(1)) / 2
    w = np.where(has, vis, True)
    return (np.exp(-e) * w).sum(-1) / w.sum(-1)


def _match(gt: KeypointGroundTruth, dt: KeypointDetections, num_classes: int, sigmas: np.ndarray,
           params: COCOParams) -> MatchResult:
    A, T, K = len(params.area_ranges), len(params.iou_thresholds), num_classes
    max_det = params.max_dets[-1]
    lo = np.array([r[0] for r in params.area_ranges])[:, None]
    hi = np.array([r[1] for r in params.area_ranges])[:, None]
    thr = params.iou_thresholds
    g_order = np.lexsort((np.arange(len(gt.cls)), gt.cls, gt.image))
    g_key = gt.image[g_order] * K + gt.cls[g_order]
    g_kpt, g_xywh, g_crowd, g_cls, g_area = (gt.keypoints[g_order], gt.xywh[g_order], gt.crowd[g_order],
                                             gt.cls[g_order], gt.area[g_order])
    no_kpt = (g_kpt[..., 2] > 0).sum(-1) == 0
    g_ig = (g_crowd | no_kpt)[None] | (g_area[None] < lo) | (g_area[None] > hi)  # (A, G)
    num_gt = np.zeros((A, K), np.int64)
    for a in range(A):
        num_gt[a] = np.bincount(g_cls[~g_ig[a]], minlength=K)[:K]

    d_order = np.lexsort((np.arange(len(dt.cls)), -dt.score, dt.cls, dt.image))
    d_key = dt.image[d_order] * K + dt.cls[d_order]
    _, rank = _group_starts(d_key)
    take = rank < max_det
    d_order, d_key, rank = d_order[take], d_key[take], rank[take]
    n = d_order.shape[0]
    d_kpt = dt.keypoints[d_order]
    d_area = ((d_kpt[..., 0].max(-1) - d_kpt[..., 0].min(-1)) * (d_kpt[..., 1].max(-1) - d_kpt[..., 1].min(-1))
              if n else np.zeros(0))

    matched = np.zeros((A, T, n), bool)
    ignored = np.zeros((A, T, n), bool)
    gs = np.searchsorted(g_key, d_key, "left")
    ng = np.searchsorted(g_key, d_key, "right") - gs
    gt_taken = np.zeros((A, T, g_key.shape[0]), bool)
    active = np.flatnonzero(ng > 0)
    active = active[np.argsort(rank[active], kind="stable")]
    bounds = np.searchsorted(rank[active], np.arange(max_det + 1), "left")
    for r in range(max_det):
        idx = active[bounds[r]:bounds[r + 1]]
        if idx.size == 0:
            break
        gmax = int(ng[idx].max())
        offs = np.arange(gmax)
        valid = offs[None] < ng[idx, None]
        gi = np.where(valid, gs[idx, None] + ng[idx, None] - 1 - offs[None], 0)  # group reversed
        crowd = g_crowd[gi]
        sim = oks(d_kpt[idx, None], g_kpt[gi], g_xywh[gi], g_area[gi], sigmas)  # (n, gmax)
        elig = valid[None, None] & (~gt_taken[:, :, gi] | crowd[None, None])
        cond = elig & (sim[None, None] >= np.minimum(thr, 1 - 1e-10)[None, :, None, None])
        ok, to_ignored, m = _pick(cond, g_ig[:, gi][:, None], sim)
        matched[:, :, idx] = ok
        ignored[:, :, idx] = to_ignored
        a_i, t_i, n_i = np.nonzero(ok)
        gt_taken[a_i, t_i, gi[n_i, m[a_i, t_i, n_i]]] = True
    out_of_range = (d_area[None] < lo) | (d_area[None] > hi)
    ignored |= ~matched & out_of_range[:, None]
    return MatchResult(det_index=d_order, rank=rank, matched=matched, ignored=ignored, num_gt=num_gt)


def _summarize(precision: np.ndarray, recall: np.ndarray, params: COCOParams) -> np.ndarray:
    t50 = int(np.flatnonzero(np.isclose(params.iou_thresholds, 0.5))[0])
    t75 = int(np.flatnonzero(np.isclose(params.iou_thresholds, 0.75))[0])

    def mean(s: np.ndarray) -> float:
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    p, r = precision[..., -1], recall[..., -1]  # maxDets 20
    return np.array([mean(p[:, :, :, 0]), mean(p[t50, :, :, 0]), mean(p[t75, :, :, 0]), mean(p[:, :, :, 1]),
                     mean(p[:, :, :, 2]), mean(r[:, :, 0]), mean(r[t50, :, 0]), mean(r[t75, :, 0]),
                     mean(r[:, :, 1]), mean(r[:, :, 2])])


def evaluate_keypoints(gt: KeypointGroundTruth, dt: KeypointDetections, num_classes: int, sigmas,
                       params: COCOParams = KEYPOINT_PARAMS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COCOeval(iouType='keypoints') evaluate + accumulate + summarize -> (precision, recall, stats (10,)) in
    :data:`KEYPOINT_STAT_NAMES` order, -1 where undefined."""
    match = _match(gt, dt, num_classes, np.asarray(sigmas, np.float64), params)
    dset = DetectionSet(dt.image, dt.cls, dt.score, np.zeros((len(dt.cls), 4)))
    precision, recall = accumulate(match, dset, num_classes, params)
    return precision, recall, _summarize(precision, recall, params)


@dataclass
class PoseMetrics:
    """Box metrics (``box``) and OKS keypoint metrics; the headline is the OKS mAP50-95."""

    box: DetectionMetrics
    pose_stats: np.ndarray  # (10,) KEYPOINT_STAT_NAMES
    num_images: int
    class_names: tuple[str, ...] = field(default=())

    @property
    def map50_95(self) -> float:
        return float(self.pose_stats[0])

    @property
    def map50(self) -> float:
        return float(self.pose_stats[1])

    @property
    def fitness(self) -> float:
        """Checkpoint selection: 0.1 mAP50 + 0.9 mAP50-95 of the boxes plus the same of the keypoints."""
        return self.box.fitness + 0.1 * max(self.map50, 0.0) + 0.9 * max(self.map50_95, 0.0)

    def to_dict(self) -> dict[str, float]:
        d = {f"box_{k}": v for k, v in self.box.to_dict().items() if k != "fitness"}
        d.update({f"pose_{k}": float(v) for k, v in zip(KEYPOINT_STAT_NAMES, self.pose_stats)})
        d["fitness"] = self.fitness
        return d

    def summary(self) -> str:
        s = self.pose_stats
        return (f"pose (OKS): mAP50-95 {s[0]:.4f}  mAP50 {s[1]:.4f}  mAP75 {s[2]:.4f}  AR {s[5]:.4f}  |  box: "
                f"mAP50-95 {self.box.map50_95:.4f}  mAP50 {self.box.map50:.4f}  ({self.num_images} images)")


class PoseEvaluator:
    """Task evaluator: ``update(pred, target) -> image id``, ``compute() -> PoseMetrics``.

    ``pred``: ``boxes`` (n, 6) x1, y1, x2, y2, conf, cls and ``keypoints`` (n, K, D) (a
    :class:`~yolov12.inference.keypoints.PosePrediction`); ``target``: dict with ``boxes`` (m, 4) xyxy, ``cls``
    (m,), ``keypoints`` (m, K, 3), all original pixels. OKS area = 0.53 x box area (no annotation areas in YOLO
    labels, as Ultralytics' validator); ``sigmas`` as the loss's.
    """

    def __init__(self, names: Sequence[str], sigmas=None) -> None:
        self.names = list(names)
        self.sigmas = None if sigmas is None else np.asarray(sigmas, np.float64)  # None: the default rule
        self.box = DetectionEvaluator(len(self.names), self.names)
        self._gt: list[tuple] = []
        self._dt: list[tuple] = []
        self._n = 0

    def update(self, pred, target: dict) -> int:
        image_id = self.box.update(pred.boxes[:, :4], pred.boxes[:, 4], pred.boxes[:, 5].long(), target["boxes"],
                                   target["cls"])
        i = self._n
        self._n += 1
        if self.sigmas is None:  # the default rule for the predictions' layout (K, D)
            self.sigmas = np.asarray(default_sigmas(tuple(pred.keypoints.shape[1:3])), np.float64)
        k = len(self.sigmas)
        gk = np.asarray(target["keypoints"], np.float64).reshape(-1, k, 3)
        gb = np.asarray(target["boxes"], np.float64).reshape(-1, 4)
        xywh = np.concatenate([gb[:, :2], gb[:, 2:] - gb[:, :2]], 1)
        self._gt.append((np.full(len(gb), i), np.asarray(target["cls"]).reshape(-1).astype(np.int64), gk, xywh,
                         IN_LOOP_AREA * xywh[:, 2] * xywh[:, 3]))
        pk = np.asarray(pred.keypoints, np.float64)
        pb = np.asarray(pred.boxes, np.float64).reshape(-1, 6)
        self._dt.append((np.full(len(pb), i), pb[:, 5].astype(np.int64), pb[:, 4], pk.reshape(len(pb), k, pk.shape[-1] if pk.ndim == 3 else 3)))
        return image_id

    def compute(self) -> PoseMetrics:
        box = self.box.compute()
        if self.sigmas is None:
            return PoseMetrics(box, np.full(len(KEYPOINT_STAT_NAMES), -1.0), self._n, tuple(self.names))
        k = len(self.sigmas)
        cat = lambda parts, j, shape: np.concatenate([p[j] for p in parts]) if parts else np.zeros(shape)  # noqa: E731
        gt = KeypointGroundTruth(cat(self._gt, 0, 0).astype(np.int64), cat(self._gt, 1, 0).astype(np.int64),
                                 cat(self._gt, 2, (0, k, 3)), cat(self._gt, 3, (0, 4)), cat(self._gt, 4, 0),
                                 np.zeros(sum(len(p[0]) for p in self._gt), bool))
        dt = KeypointDetections(cat(self._dt, 0, 0).astype(np.int64), cat(self._dt, 1, 0).astype(np.int64),
                                cat(self._dt, 2, 0), cat(self._dt, 3, (0, k, 3)))
        _, _, stats = evaluate_keypoints(gt, dt, len(self.names), self.sigmas)
        return PoseMetrics(box, stats, self._n, tuple(self.names))
