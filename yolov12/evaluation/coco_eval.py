"""Vectorised COCO box evaluation with exactly the semantics of ``pycocotools.cocoeval.COCOeval`` (iouType bbox).

What is reproduced, step by step (names follow COCOeval):

* per (image, category): detections sorted by score (stable), truncated to ``maxDets[-1]``; IoU as in
  ``maskUtils.iou`` on xywh boxes in float64 (a crowd ground truth uses intersection / detection area);
* ``evaluateImg`` for each area range: a ground truth is ignored when crowd or when its ``area`` is outside the
  range; detections are matched greedily in score order, for every IoU threshold, to the unmatched (or crowd)
  ground truth with the highest IoU >= threshold, regular ground truths first, ignored ones only when no regular
  one qualifies, ties going to the later ground truth; a detection matched to an ignored ground truth is ignored, an
  unmatched detection whose own area is outside the range is ignored;
* ``accumulate``: per category / area / maxDets, detections of all images (image ids ascending, then score order)
  merged by a stable sort on score; precision envelope, 101 recall thresholds (``searchsorted`` left);
  categories without non-ignored ground truth stay -1;
* ``summarize``: the 12 standard numbers (means over entries > -1).

The only loop that cannot be vectorised is the greedy matching, which depends on earlier matches. It runs over the
detection rank (0 .. maxDets-1) and handles, at each rank, all (image, category) groups, area ranges and IoU
thresholds at once. pycocotools stores matches as annotation ids, so a ground truth with id 0 would count as
unmatched there; this engine has no such corner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["COCOParams", "GroundTruthSet", "DetectionSet", "MatchResult", "COCOEvalResult",
           "match_detections", "accumulate", "summarize", "evaluate", "STAT_NAMES"]

STAT_NAMES = ("map50_95", "map50", "map75", "map_small", "map_medium", "map_large",
              "ar1", "ar10", "ar100", "ar_small", "ar_medium", "ar_large")


def _iou_thresholds() -> np.ndarray:
    return np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)


def _rec_thresholds() -> np.ndarray:
    return np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


@dataclass(frozen=True)
class COCOParams:
    """COCOeval's default bbox parameters (areas in pixels^2)."""

    iou_thresholds: np.ndarray = field(default_factory=_iou_thresholds)  # (T,) .50:.05:.95
    rec_thresholds: np.ndarray = field(default_factory=_rec_thresholds)  # (R,) 0:.01:1
    max_dets: tuple[int, ...] = (1, 10, 100)  # (M,), ascending
    area_ranges: tuple[tuple[float, float], ...] = ((0.0, 1e5**2), (0.0, 32.0**2), (32.0**2, 96.0**2),
                                                    (96.0**2, 1e5**2))  # (A,) all, small, medium, large
    area_labels: tuple[str, ...] = ("all", "small", "medium", "large")


@dataclass
class GroundTruthSet:
    """All ground truth of a dataset, flat. ``image`` is the image's position in ascending image-id order."""

    image: np.ndarray  # (G,) int64
    cls: np.ndarray  # (G,) int64 in [0, K)
    xywh: np.ndarray  # (G, 4) float64 x, y (top-left), w, h in original-image pixels
    area: np.ndarray  # (G,) float64 pixels^2 (COCO's ``area`` field)
    crowd: np.ndarray  # (G,) bool


@dataclass
class DetectionSet:
    """All detections of a dataset, flat; within an image, earlier rows win score ties (like results-list order)."""

    image: np.ndarray  # (D,) int64
    cls: np.ndarray  # (D,) int64
    score: np.ndarray  # (D,) float64
    xywh: np.ndarray  # (D, 4) float64 x, y, w, h pixels


@dataclass
class MatchResult:
    """Per-detection outcome of ``evaluateImg`` for the detections that take part (rank < maxDets[-1])."""

    det_index: np.ndarray  # (N,) int64 row in the DetectionSet, sorted by (image, cls, -score, row)
    rank: np.ndarray  # (N,) int64 position within its (image, category) group
    matched: np.ndarray  # (A, T, N) bool, matched to some ground truth (dtMatches > 0)
    ignored: np.ndarray  # (A, T, N) bool, dtIgnore
    num_gt: np.ndarray  # (A, K) int64 non-ignored ground truths per area range and category (npig)


@dataclass
class COCOEvalResult:
    """``COCOeval.eval`` arrays and ``stats``; -1 marks undefined entries (no ground truth)."""

    precision: np.ndarray  # (T, R, K, A, M)
    recall: np.ndarray  # (T, K, A, M)
    stats: np.ndarray  # (12,) in STAT_NAMES order
    matches: MatchResult


def _bb_iou(d: np.ndarray, g: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """maskApi ``bbIou`` broadcast: d (..., 4), g (..., 4) xywh float64, crowd (...) bool -> IoU (...)."""
    w = np.minimum(d[..., 2] + d[..., 0], g[..., 2] + g[..., 0]) - np.maximum(d[..., 0], g[..., 0])
    h = np.minimum(d[..., 3] + d[..., 1], g[..., 3] + g[..., 1]) - np.maximum(d[..., 1], g[..., 1])
    pos = (w > 0) & (h > 0)
    inter = w * h
    da = d[..., 2] * d[..., 3]
    ga = g[..., 2] * g[..., 3]
    union = np.where(crowd, da, da + ga - inter)
    return np.where(pos, inter / np.where(pos, union, 1.0), 0.0)


def _group_starts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys (N,) -> (start of each run, rank of each element within its run)."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[starts, n])
    return starts, np.arange(n) - np.repeat(starts, counts)


def _pick(cond: np.ndarray, ig: np.ndarray, iou: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """evaluateImg's choice over the last (ground-truth) axis, laid out in *reverse* ground-truth order.

    Among candidates (``cond``), regular ground truths (``~ig``) win over ignored ones; within the chosen kind the
    highest IoU wins and ties go to the later ground truth, i.e. the first position in the reversed layout, which is
    what ``argmax`` returns. Returns (matched, matched-to-ignored, position) over the leading axes.
    """
    regular = cond & ~ig
    has_regular = regular.any(-1)
    pool = np.where(has_regular[..., None], regular, cond)
    return pool.any(-1), ~has_regular & pool.any(-1), np.where(pool, iou, -1.0).argmax(-1)


def match_detections(gt: GroundTruthSet, dt: DetectionSet, num_classes: int, params: COCOParams,
                     pair_iou=None, det_area: np.ndarray | None = None) -> MatchResult:
    """``computeIoU`` + ``evaluateImg`` for every image, category, area range and IoU threshold.

    Box IoU by default; ``pair_iou(det_rows, gt_rows, crowd) -> iou`` (broadcast arrays of DetectionSet and
    GroundTruthSet rows) replaces it (masks: iouType segm), and ``det_area`` (D,) the detections' own areas."""
    A, T, K = len(params.area_ranges), len(params.iou_thresholds), num_classes
    max_det = params.max_dets[-1]
    lo = np.array([r[0] for r in params.area_ranges])[:, None]
    hi = np.array([r[1] for r in params.area_ranges])[:, None]
    thr = params.iou_thresholds

    # ground truth sorted by (image, category, row); ignore flags per area range
    g_order = np.lexsort((np.arange(len(gt.cls)), gt.cls, gt.image))
    g_key = gt.image[g_order] * K + gt.cls[g_order]
    g_xywh, g_crowd, g_cls = gt.xywh[g_order], gt.crowd[g_order], gt.cls[g_order]
    g_area = gt.area[g_order]
    g_ig = g_crowd[None] | (g_area[None] < lo) | (g_area[None] > hi)  # (A, G)
    num_gt = np.zeros((A, K), np.int64)
    for a in range(A):
        num_gt[a] = np.bincount(g_cls[~g_ig[a]], minlength=K)[:K]

    # detections sorted by (image, category, -score, row), truncated per group
    d_order = np.lexsort((np.arange(len(dt.cls)), -dt.score, dt.cls, dt.image))
    d_key = dt.image[d_order] * K + dt.cls[d_order]
    _, rank = _group_starts(d_key)
    take = rank < max_det
    d_order, d_key, rank = d_order[take], d_key[take], rank[take]
    n = d_order.shape[0]
    d_xywh = dt.xywh[d_order]
    d_area = d_xywh[:, 2] * d_xywh[:, 3] if det_area is None else np.asarray(det_area, np.float64)[d_order]

    matched = np.zeros((A, T, n), bool)
    ignored = np.zeros((A, T, n), bool)
    gs = np.searchsorted(g_key, d_key, "left")
    ng = np.searchsorted(g_key, d_key, "right") - gs
    gt_taken = np.zeros((A, T, g_key.shape[0]), bool)  # gtMatches > 0

    active = np.flatnonzero(ng > 0)
    active = active[np.argsort(rank[active], kind="stable")]
    bounds = np.searchsorted(rank[active], np.arange(max_det + 1), "left")
    for r in range(max_det):
        idx = active[bounds[r]:bounds[r + 1]]  # at most one detection per group at rank r
        if idx.size == 0:
            break
        gmax = int(ng[idx].max())
        offs = np.arange(gmax)
        valid = offs[None] < ng[idx, None]  # (n, gmax)
        gi = np.where(valid, gs[idx, None] + ng[idx, None] - 1 - offs[None], 0)  # (n, gmax), group reversed
        crowd = g_crowd[gi]
        if pair_iou is None:
            iou = _bb_iou(d_xywh[idx, None, :], g_xywh[gi], crowd)  # (n, gmax)
        else:
            iou = pair_iou(np.broadcast_to(d_order[idx, None], gi.shape), g_order[gi], crowd)
        elig = valid[None, None] & (~gt_taken[:, :, gi] | crowd[None, None])  # (A, T, n, gmax)
        cond = elig & (iou[None, None] >= thr[None, :, None, None])
        ig = g_ig[:, gi][:, None]  # (A, 1, n, gmax)
        ok, to_ignored, m = _pick(cond, ig, iou)  # (A, T, n)
        matched[:, :, idx] = ok
        ignored[:, :, idx] = to_ignored
        a_i, t_i, n_i = np.nonzero(ok)
        gt_taken[a_i, t_i, gi[n_i, m[a_i, t_i, n_i]]] = True

    out_of_range = (d_area[None] < lo) | (d_area[None] > hi)  # (A, n)
    ignored |= ~matched & out_of_range[:, None]
    return MatchResult(det_index=d_order, rank=rank, matched=matched, ignored=ignored, num_gt=num_gt)


def accumulate(match: MatchResult, dt: DetectionSet, num_classes: int,
               params: COCOParams) -> tuple[np.ndarray, np.ndarray]:
    """``COCOeval.accumulate`` -> precision (T, R, K, A, M), recall (T, K, A, M), -1 where no ground truth."""
    T, R, K = len(params.iou_thresholds), len(params.rec_thresholds), num_classes
    A, M = len(params.area_ranges), len(params.max_dets)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    img = dt.image[match.det_index]
    cls = dt.cls[match.det_index]
    score = dt.score[match.det_index]
    # merged order of COCOeval: category, then stable sort on -score over (image asc, rank) concatenation
    order = np.lexsort((match.rank, img, -score, cls))
    rank_s, cls_s = match.rank[order], cls[order]
    for a in range(A):
        dm, di = match.matched[a], match.ignored[a]
        tp_a = (dm & ~di)[:, order]  # (T, n) in merged order
        fp_a = (~dm & ~di)[:, order]
        for mi, max_det in enumerate(params.max_dets):
            sel = rank_s < max_det
            full = bool(sel.all())
            seg = np.searchsorted(cls_s if full else cls_s[sel], np.arange(K + 1), "left")
            tps = np.cumsum(tp_a if full else tp_a[:, sel], axis=1, dtype=np.int32)  # int32: ~5x faster than int64
            fps = np.cumsum(fp_a if full else fp_a[:, sel], axis=1, dtype=np.int32)
            for k in range(K):
                npig = match.num_gt[a, k]
                if npig == 0:
                    continue
                s, e = seg[k], seg[k + 1]
                if e == s:
                    precision[:, :, k, a, mi] = 0.0
                    recall[:, k, a, mi] = 0.0
                    continue
                base_tp = tps[:, s - 1:s] if s else 0
                base_fp = fps[:, s - 1:s] if s else 0
                tp = (tps[:, s:e] - base_tp).astype(np.float64)
                fp = (fps[:, s:e] - base_fp).astype(np.float64)
                rc = tp / npig
                pr = tp / (fp + tp + np.spacing(1))
                pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
                recall[:, k, a, mi] = rc[:, -1]
                nd = e - s
                for t in range(T):
                    inds = np.searchsorted(rc[t], params.rec_thresholds, side="left")
                    q = np.zeros(R)
                    ok = inds < nd
                    q[ok] = pr[t, inds[ok]]
                    precision[t, :, k, a, mi] = q
    return precision, recall


def summarize(precision: np.ndarray, recall: np.ndarray, params: COCOParams) -> np.ndarray:
    """``COCOeval.summarize`` stats (12,) in STAT_NAMES order; -1 where nothing is defined."""
    m_last = len(params.max_dets) - 1
    t50 = int(np.flatnonzero(np.isclose(params.iou_thresholds, 0.5))[0])
    t75 = int(np.flatnonzero(np.isclose(params.iou_thresholds, 0.75))[0])

    def mean(s: np.ndarray) -> float:
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    stats = [
        mean(precision[:, :, :, 0, m_last]),
        mean(precision[t50, :, :, 0, m_last]),
        mean(precision[t75, :, :, 0, m_last]),
        mean(precision[:, :, :, 1, m_last]),
        mean(precision[:, :, :, 2, m_last]),
        mean(precision[:, :, :, 3, m_last]),
        *(mean(recall[:, :, 0, m]) for m in range(len(params.max_dets))),
        mean(recall[:, :, 1, m_last]),
        mean(recall[:, :, 2, m_last]),
        mean(recall[:, :, 3, m_last]),
    ]
    return np.array(stats, dtype=np.float64)


def evaluate(gt: GroundTruthSet, dt: DetectionSet, num_classes: int,
             params: COCOParams | None = None) -> COCOEvalResult:
    """Full COCOeval (evaluate + accumulate + summarize) for K = ``num_classes`` categories."""
    params = params or COCOParams()
    match = match_detections(gt, dt, num_classes, params)
    precision, recall = accumulate(match, dt, num_classes, params)
    return COCOEvalResult(precision=precision, recall=recall, stats=summarize(precision, recall, params),
                          matches=match)
