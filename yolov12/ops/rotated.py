"""Rotated (oriented) boxes: conversions, angle regularisation, ProbIoU, exact polygon IoU and rotated NMS.

A rotated box is ``xywhr`` = (cx, cy, w, h, r): centre, side lengths and the angle ``r`` in radians by which the
box's ``w`` side is turned from the x axis (image coordinates, y down, so a positive ``r`` turns x towards y).
Corners go in the order centre + R(r) (+w/2, +h/2), (-w/2, +h/2)... i.e. a closed polygon, either winding.

Two canonical forms of the same rectangle (every rectangle has exactly one in each):

- ``regularize_rboxes(b, "half_pi")``: angle in [0, pi/2), w and h swapped when the angle moves by pi/2. This is
  what ``cv2.minAreaRect`` reports and the form of the training labels (and of the reference loss targets).
- ``regularize_rboxes(b, "long_side")``: w the longer side, angle in [-pi/4, 3pi/4) (the range of the head's angle
  output, tasks.md's reading of a label); what predictions report.

IoUs: :func:`probiou` (the Gaussian/Bhattacharyya overlap of the training loss and assigner) and
:func:`rotated_iou` / :func:`rotated_iou_matrix` (exact: the area of the intersection of the two convex
quadrilaterals, all in torch, batched). :func:`rotated_nms` is greedy NMS on the exact IoU.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "candidate_pairs", "corners_to_xywhr", "probiou", "probiou_matrix", "regularize_rboxes", "rotated_iou", "rotated_iou_matrix",
    "rotated_nms", "xywhr_to_corners", "xywhr_to_xyxy",
]


def xywhr_to_corners(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 5) xywhr -> (..., 4, 2) corners: centre + R(r) applied to (w/2, h/2), (-w/2, h/2), (-w/2, -h/2),
    (w/2, -h/2). Works for numpy arrays too (returns numpy)."""
    if isinstance(boxes, np.ndarray):
        return xywhr_to_corners(torch.from_numpy(boxes)).numpy()
    ctr = boxes[..., :2]
    w, h, r = boxes[..., 2:3], boxes[..., 3:4], boxes[..., 4:5]
    cos, sin = torch.cos(r), torch.sin(r)
    vec1 = torch.cat((w / 2 * cos, w / 2 * sin), -1)  # half the w side, turned
    vec2 = torch.cat((-h / 2 * sin, h / 2 * cos), -1)  # half the h side, turned
    return torch.stack((ctr + vec1 + vec2, ctr - vec1 + vec2, ctr - vec1 - vec2, ctr + vec1 - vec2), -2)


def xywhr_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 5) xywhr -> (..., 4) the axis-aligned box enclosing each rotated box."""
    c = xywhr_to_corners(boxes)
    if isinstance(c, np.ndarray):
        return np.concatenate((c.min(-2), c.max(-2)), -1)
    return torch.cat((c.amin(-2), c.amax(-2)), -1)


def regularize_rboxes(boxes: torch.Tensor, mode: str = "half_pi") -> torch.Tensor:
    """The canonical xywhr of each rectangle (a new tensor): ``half_pi`` angle in [0, pi/2) with w/h swapped on
    each quarter turn (cv2.minAreaRect); ``long_side`` w >= h and angle in [-pi/4, 3pi/4)."""
    b = boxes.clone()
    w, h, r = boxes[..., 2], boxes[..., 3], boxes[..., 4]
    if mode == "half_pi":
        q = torch.floor(r / (math.pi / 2) + 1e-6)  # an angle a hair under a quarter turn (float32 input) is 0
        r2 = (r - q * (math.pi / 2)).clamp(min=0)
        odd = torch.remainder(q, 2) == 1
        b[..., 2], b[..., 3], b[..., 4] = torch.where(odd, h, w), torch.where(odd, w, h), r2
    elif mode == "long_side":
        swap = h > w
        r2 = torch.where(swap, r + math.pi / 2, r)
        r2 = torch.remainder(r2 + math.pi / 4, math.pi) - math.pi / 4
        b[..., 2], b[..., 3], b[..., 4] = torch.maximum(w, h), torch.minimum(w, h), r2
    else:
        raise ValueError(f"regularize_rboxes: mode must be 'half_pi' or 'long_side', got {mode!r}")
    return b


def corners_to_xywhr(corners: np.ndarray) -> np.ndarray:
    """(n, 4, 2) or (n, 8) points (pixels) -> (n, 5) xywhr of each point set's minimum-area rectangle
    (``cv2.minAreaRect``), angle in [0, pi/2) (``half_pi`` form). Any number of points per row works: the
    rectangle fits the convex hull."""
    import cv2

    pts = np.asarray(corners, dtype=np.float32).reshape(len(corners), -1, 2)
    out = np.zeros((len(pts), 5), dtype=np.float32)
    for i, p in enumerate(pts):
        (cx, cy), (w, h), a = cv2.minAreaRect(p)
        out[i] = (cx, cy, w, h, float(a) / 180 * math.pi)
    if len(out):
        out = regularize_rboxes(torch.from_numpy(out).double(), "half_pi").float().numpy()
    return out


# ----------------------------------------------------------------------------------------------- ProbIoU
def _covariance(boxes: torch.Tensor, var_eps: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    a = boxes[..., 2].pow(2) / 12 + var_eps
    b = boxes[..., 3].pow(2) / 12 + var_eps
    r = boxes[..., 4]
    cos, sin = r.cos(), r.sin()
    cos2, sin2 = cos.pow(2), sin.pow(2)
    return a * cos2 + b * sin2, a * sin2 + b * cos2, (a - b) * cos * sin


def probiou(b1: torch.Tensor, b2: torch.Tensor, var_eps: float = 0.0, eps: float = 1e-7) -> torch.Tensor:
    """ProbIoU (Llerena et al. 2021) of broadcastable (..., 5) xywhr boxes -> (...,): each box is the Gaussian with
    covariance R diag(w^2/12 + var_eps, h^2/12 + var_eps) R^T; Bhattacharyya distance clamped to [eps, 100];
    iou = 1 - sqrt(1 - exp(-bd) + eps)."""
    x1, y1, x2, y2 = b1[..., 0], b1[..., 1], b2[..., 0], b2[..., 1]
    a1, bb1, c1 = _covariance(b1, var_eps)
    a2, bb2, c2 = _covariance(b2, var_eps)
    a, b, c = a1 + a2, bb1 + bb2, c1 + c2
    den = a * b - c.pow(2) + eps
    t1 = (a * (y1 - y2).pow(2) + b * (x1 - x2).pow(2)) / den * 0.25
    t2 = (c * (x2 - x1) * (y1 - y2)) / den * 0.5
    det1 = (a1 * bb1 - c1.pow(2)).clamp(min=0)
    det2 = (a2 * bb2 - c2.pow(2)).clamp(min=0)
    t3 = ((a * b - c.pow(2)) / (4 * (det1 * det2).sqrt() + eps) + eps).log() * 0.5
    bd = (t1 + t2 + t3).clamp(eps, 100.0)
    return 1 - (1.0 - (-bd).exp() + eps).sqrt()


def probiou_matrix(b1: torch.Tensor, b2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """(N, 5) x (M, 5) -> (N, M) ProbIoU."""
    return probiou(b1[:, None], b2[None], eps=eps)


# ------------------------------------------------------------------------------------------ exact polygon IoU
def _cross(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _inside(points: torch.Tensor, quad: torch.Tensor, tol: torch.Tensor) -> torch.Tensor:
    """(P, k, 2) points inside or on the convex quadrilateral (P, 4, 2) (either winding) -> (P, k) bool."""
    edges = torch.roll(quad, -1, 1) - quad  # (P, 4, 2)
    rel = points[:, :, None] - quad[:, None]  # (P, k, 4, 2)
    s = _cross(edges[:, None].expand_as(rel), rel)  # (P, k, 4)
    t = tol[:, None, None]
    return (s >= -t).all(-1) | (s <= t).all(-1)


def _intersection_area(q1: torch.Tensor, q2: torch.Tensor) -> torch.Tensor:
    """Area of the intersection of convex quadrilaterals (P, 4, 2) and (P, 4, 2) -> (P,).

    The intersection polygon's vertices are among: corners of each quad inside the other, and the crossing points
    of their edges (16 pairs). These (at most 24) points are ordered by angle about their mean and the shoelace
    formula gives the area; invalid points are replaced by the first valid one (zero-area repeats)."""
    p = q1.shape[0]
    scale = torch.maximum(q1.abs().amax((1, 2)), q2.abs().amax((1, 2))).clamp(min=1.0)
    tol = 1e-9 * scale * scale if q1.dtype == torch.float64 else 1e-5 * scale * scale
    in1 = _inside(q1, q2, tol)  # corners of q1 in q2
    in2 = _inside(q2, q1, tol)
    # edge i of q1: a + s (b - a); edge j of q2: c + u (d - c)
    a, d1 = q1[:, :, None], (torch.roll(q1, -1, 1) - q1)[:, :, None]  # (P, 4, 1, 2)
    c, d2 = q2[:, None], (torch.roll(q2, -1, 1) - q2)[:, None]  # (P, 1, 4, 2)
    den = _cross(d1.expand(-1, 4, 4, -1), d2.expand(-1, 4, 4, -1))  # (P, 4, 4)
    ac = c - a
    den_safe = torch.where(den.abs() > 0, den, torch.ones_like(den))
    s = _cross(ac, d2.expand(-1, 4, 4, -1)) / den_safe
    u = _cross(ac, d1.expand(-1, 4, 4, -1)) / den_safe
    ok = (den.abs() > tol[:, None, None] * 1e-3) & (s >= 0) & (s <= 1) & (u >= 0) & (u <= 1)
    cross_pts = (a + s[..., None] * d1).reshape(p, 16, 2)
    pts = torch.cat((q1, q2, cross_pts), 1)  # (P, 24, 2)
    valid = torch.cat((in1, in2, ok.reshape(p, 16)), 1)  # (P, 24)
    n = valid.sum(1)
    w = valid.to(pts.dtype)
    centre = (pts * w[..., None]).sum(1) / n.clamp(min=1)[:, None].to(pts.dtype)
    ang = torch.atan2(pts[..., 1] - centre[:, None, 1], pts[..., 0] - centre[:, None, 0])
    ang = torch.where(valid, ang, torch.full_like(ang, 10.0))  # invalid points last
    order = ang.argsort(1)
    pts = torch.gather(pts, 1, order[..., None].expand(-1, -1, 2))
    valid = torch.gather(valid, 1, order)
    pts = torch.where(valid[..., None], pts, pts[:, :1])  # repeats of the first point add no area
    area = 0.5 * _cross(pts, torch.roll(pts, -1, 1)).sum(1).abs()
    return torch.where(n >= 3, area, torch.zeros_like(area))


def rotated_iou(b1: torch.Tensor, b2: torch.Tensor, chunk: int = 1 << 18) -> torch.Tensor:
    """Exact IoU of paired rotated boxes (P, 5) and (P, 5) xywhr -> (P,) (the polygon intersection over union)."""
    if b1.shape != b2.shape or b1.shape[-1] != 5:
        raise ValueError(f"rotated_iou: expected two (P, 5) xywhr tensors, got {tuple(b1.shape)} and {tuple(b2.shape)}")
    out = []
    for i in range(0, max(b1.shape[0], 1), chunk):
        x, y = b1[i:i + chunk], b2[i:i + chunk]
        inter = _intersection_area(xywhr_to_corners(x), xywhr_to_corners(y))
        union = x[:, 2] * x[:, 3] + y[:, 2] * y[:, 3] - inter
        out.append(torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter)))
    return torch.cat(out) if out else b1.new_zeros(0)


def candidate_pairs(b1: torch.Tensor, b2: torch.Tensor, min_iou: float = 0.0, upper: bool = False,
                    chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Index pairs (i, j) of (N, 5) and (M, 5) xywhr boxes whose exact IoU may exceed ``min_iou``: the enclosing
    axis-aligned boxes overlap and the bound IoU <= (enclosing-box intersection) / max(area_i, area_j) (each box
    lies inside its enclosing box, and the union is at least the larger area) exceeds ``min_iou``. ``upper``: only
    i < j (one matrix, b1 = b2). With ``min_iou`` > 0 also IoU <= smaller area / larger area. Rows are processed ``chunk`` at a time; pairs come out sorted by i."""
    e1, e2 = xywhr_to_xyxy(b1), xywhr_to_xyxy(b2)
    a1, a2 = b1[:, 2] * b1[:, 3], b2[:, 2] * b2[:, 3]
    ii, jj = [], []
    for s in range(0, b1.shape[0], chunk):
        e = e1[s:s + chunk]
        wx = (torch.minimum(e[:, None, 2], e2[None, :, 2]) - torch.maximum(e[:, None, 0], e2[None, :, 0])).clamp(min=0)
        wy = (torch.minimum(e[:, None, 3], e2[None, :, 3]) - torch.maximum(e[:, None, 1], e2[None, :, 1])).clamp(min=0)
        inter = wx * wy
        big = torch.maximum(a1[s:s + chunk, None], a2[None])
        ok = (inter > 0) & (inter > min_iou * big)
        if min_iou > 0:  # IoU <= smaller area / larger area too
            ok &= torch.minimum(a1[s:s + chunk, None], a2[None]) > min_iou * big
        if upper:
            ok &= torch.arange(s, s + e.shape[0], device=b1.device)[:, None] < torch.arange(b2.shape[0],
                                                                                          device=b1.device)[None]
        i, j = ok.nonzero(as_tuple=True)
        ii.append(i + s)
        jj.append(j)
    if not ii:
        z = torch.zeros(0, dtype=torch.long, device=b1.device)
        return z, z
    return torch.cat(ii), torch.cat(jj)


def rotated_iou_matrix(b1: torch.Tensor, b2: torch.Tensor, min_iou: float = 0.0) -> torch.Tensor:
    """(N, 5) x (M, 5) xywhr -> (N, M) exact IoU. Only pairs that can overlap are clipped (:func:`candidate_pairs`);
    with ``min_iou`` > 0 pairs whose IoU cannot exceed it may be reported as 0 (callers that only compare with a
    threshold of at least ``min_iou``)."""
    n, m = b1.shape[0], b2.shape[0]
    out = b1.new_zeros((n, m))
    if n == 0 or m == 0:
        return out
    i, j = candidate_pairs(b1, b2, min_iou)
    if i.numel():
        out[i, j] = rotated_iou(b1[i], b2[j])
    return out
# ------------------------------------------------------------------------------------------------ rotated NMS
def rotated_nms(boxes: torch.Tensor, scores: torch.Tensor, iou: float, max_keep: int | None = None,
                idxs: torch.Tensor | None = None) -> torch.Tensor:
    """Greedy NMS on the exact rotated IoU: repeatedly keep the best remaining box and drop every remaining box
    overlapping it by more than ``iou``. (N, 5) xywhr, (N,) scores -> kept indices, best first (ties: lower index
    first). ``idxs`` (N,): only boxes of the same index (class) suppress each other. Same result as the textbook
    one-pair-at-a-time loop (tested): the pairs that may overlap by more than ``iou`` are found once
    (:func:`candidate_pairs`) and their exact IoU computed in one batch, then one vector step per kept box."""
    n = boxes.shape[0]
    if n == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    b = boxes[order]
    i, j = candidate_pairs(b, b, iou, upper=True)  # sparse, sorted by i
    if idxs is not None:
        c = idxs[order]
        same = c[i] == c[j]
        i, j = i[same], j[same]
    if i.numel():  # one batched exact-IoU call (cheaper than one call per kept box)
        hit = rotated_iou(b[i], b[j]) > iou
        i, j = i[hit], j[hit]
    rowptr = torch.searchsorted(i, torch.arange(n + 1, device=boxes.device))  # pairs of row k: rowptr[k]:rowptr[k+1]
    remaining = torch.ones(n, dtype=torch.bool, device=boxes.device)
    keep: list[int] = []
    limit = n if max_keep is None else max_keep
    idx = 0
    while len(keep) < limit:
        nz = remaining[idx:].nonzero()
        if nz.numel() == 0:
            break
        idx = idx + int(nz[0])
        keep.append(idx)
        remaining[j[rowptr[idx]:rowptr[idx + 1]]] = False
        remaining[idx] = False
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]

