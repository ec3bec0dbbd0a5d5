"""Labels of one image in pixel coordinates, as the augmentations pass them along."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEGMENT_POINTS = 100  # polygons are resampled to this many points so they stack into one array


@dataclass
class Labels:
    """Objects of one image, in pixels of the image they travel with.

    Attributes:
        cls: (n,) int64 class ids.
        boxes: (n, 4) float32 xyxy pixels.
        segments: (n, SEGMENT_POINTS, 2) float32 xy pixels, or None when the image has no polygons.
        keypoints: (n, K, 3) float32 pose keypoints: x, y pixels and visibility (0 unlabelled, 1 occluded,
            2 visible), or None. A keypoint that leaves the image becomes unlabelled (v = 0, at (0, 0)); it is
            never clipped into the image (:meth:`clip`).
    """

    cls: np.ndarray
    boxes: np.ndarray
    segments: np.ndarray | None = None
    keypoints: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.cls)

    @staticmethod
    def empty(with_segments: bool = False) -> "Labels":
        seg = np.zeros((0, SEGMENT_POINTS, 2), np.float32) if with_segments else None
        return Labels(np.zeros(0, np.int64), np.zeros((0, 4), np.float32), seg)

    def select(self, keep: np.ndarray) -> "Labels":
        seg = None if self.segments is None else self.segments[keep]
        kpt = None if self.keypoints is None else self.keypoints[keep]
        return Labels(self.cls[keep], self.boxes[keep], seg, kpt)

    def transformed(self, sx: float, sy: float, dx: float, dy: float) -> "Labels":
        """Scale by (sx, sy) then shift by (dx, dy) pixels."""
        boxes = self.boxes * np.array([sx, sy, sx, sy], np.float32) + np.array([dx, dy, dx, dy], np.float32)
        seg = None
        if self.segments is not None:
            seg = self.segments * np.array([sx, sy], np.float32) + np.array([dx, dy], np.float32)
        kpt = None
        if self.keypoints is not None:
            kpt = self.keypoints.copy()
            kpt[..., :2] = kpt[..., :2] * np.array([sx, sy], np.float32) + np.array([dx, dy], np.float32)
            kpt[kpt[..., 2] == 0, :2] = 0.0  # unlabelled points stay at (0, 0)
        return Labels(self.cls, boxes.astype(np.float32), None if seg is None else seg.astype(np.float32), kpt)

    @staticmethod
    def concat(parts: list["Labels"]) -> "Labels":
        if not parts:
            return Labels.empty()
        with_seg = all(p.segments is not None for p in parts)
        with_kpt = [p.keypoints is not None for p in parts]
        if any(with_kpt) and not all(with_kpt):
            raise ValueError("cannot combine labels with and without keypoints")
        return Labels(
            np.concatenate([p.cls for p in parts]),
            np.concatenate([p.boxes for p in parts]).astype(np.float32),
            np.concatenate([p.segments for p in parts]).astype(np.float32) if with_seg else None,
            np.concatenate([p.keypoints for p in parts]).astype(np.float32) if all(with_kpt) else None,
        )

    def clip(self, h: int, w: int) -> "Labels":
        """Clip boxes and polygons to an image of h x w pixels, in place; returns self.

        Polygons are clipped as shapes (:func:`clip_segments`); an object whose polygon has nothing inside gets an
        empty box (0, 0, 0, 0), which the callers' zero-size box filter drops."""
        self.boxes[:, [0, 2]] = self.boxes[:, [0, 2]].clip(0, w)
        self.boxes[:, [1, 3]] = self.boxes[:, [1, 3]].clip(0, h)
        if self.segments is not None and len(self.segments):
            self.segments, nonempty = clip_segments(self.segments, h, w)
            self.boxes[~nonempty] = 0.0
        if self.keypoints is not None:
            self.keypoints = hide_outside(self.keypoints, h, w)
        return self


def hide_outside(keypoints: np.ndarray, h: int, w: int) -> np.ndarray:
    """(n, K, 3) pixel keypoints: those outside [0, w) x [0, h) become unlabelled (v = 0, moved to (0, 0)),
    not clipped into the image. Returns a new array."""
    kpt = np.array(keypoints, np.float32, copy=True)
    x, y = kpt[..., 0], kpt[..., 1]
    out = (x < 0) | (y < 0) | (x >= w) | (y >= h) | (kpt[..., 2] == 0)
    kpt[out] = 0.0
    return kpt


def resample_polygon(poly: np.ndarray, n: int = SEGMENT_POINTS) -> np.ndarray:
    """(k, 2) closed polygon -> (n, 2) points evenly spaced along its perimeter."""
    poly = np.asarray(poly, np.float32).reshape(-1, 2)
    closed = np.concatenate([poly, poly[:1]], 0)
    seg_len = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    if cum[-1] <= 0:
        return np.repeat(poly[:1], n, 0)
    t = np.linspace(0, cum[-1], n, endpoint=False)
    x = np.interp(t, cum, closed[:, 0])
    y = np.interp(t, cum, closed[:, 1])
    return np.stack([x, y], 1).astype(np.float32)


def clip_polygon(poly: np.ndarray, h: float, w: float) -> np.ndarray:
    """Clip a (k, 2) closed polygon to the rectangle [0, w] x [0, h] (Sutherland-Hodgman against its 4 edges).

    Returns the (m, 2) float32 clipped polygon, (0, 2) when nothing of it is inside. An object cut into several
    parts by the rectangle stays one polygon whose parts are joined by zero-width runs along the border (even-odd
    filling leaves them empty)."""
    pts = np.asarray(poly, np.float64).reshape(-1, 2)
    for axis, bound, keep_below in ((0, 0.0, False), (0, float(w), True), (1, 0.0, False), (1, float(h), True)):
        if len(pts) == 0:
            break
        nxt = np.roll(pts, -1, 0)
        a, b = pts[:, axis], nxt[:, axis]
        in_a = a <= bound if keep_below else a >= bound
        in_b = b <= bound if keep_below else b >= bound
        cross = in_a != in_b
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(cross, (bound - a) / (b - a), 0.0)
        hit = pts + t[:, None] * (nxt - pts)
        hit[:, axis] = bound  # exactly on the edge
        both = np.stack([pts, hit], 1)  # (k, 2, 2): the vertex if inside, then the crossing after it
        pts = both[np.stack([in_a, cross], 1)]
    return pts.astype(np.float32)


def fit_points(poly: np.ndarray, n: int = SEGMENT_POINTS) -> np.ndarray:
    """(m, 2) closed polygon -> exactly n points tracing the same shape: with m <= n every vertex is kept and the
    extra points are spread along the perimeter on its edges; with m > n the vertices whose triangle with their
    neighbours has the least area are dropped (collinear or repeated ones first)."""
    poly = np.asarray(poly, np.float32).reshape(-1, 2)
    m = len(poly)
    if m > n:
        prev, nxt = np.roll(poly, 1, 0), np.roll(poly, -1, 0)
        area = np.abs((poly[:, 0] - prev[:, 0]) * (nxt[:, 1] - prev[:, 1])
                      - (nxt[:, 0] - prev[:, 0]) * (poly[:, 1] - prev[:, 1]))
        keep = np.sort(np.argsort(area, kind="stable")[m - n:])
        return poly[keep]
    if m == n:
        return poly
    closed = np.concatenate([poly, poly[:1]], 0).astype(np.float64)
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))])
    if cum[-1] <= 0:
        return np.repeat(poly[:1], n, 0)
    extra = np.linspace(0, cum[-1], n - m, endpoint=False) + cum[-1] / (2 * (n - m))
    t = np.concatenate([cum[:-1], extra])
    t = t[np.argsort(t, kind="stable")]  # vertices before extra points at the same position
    return np.stack([np.interp(t, cum, closed[:, 0]), np.interp(t, cum, closed[:, 1])], 1).astype(np.float32)


def clip_segments(segments: np.ndarray, h: float, w: float) -> tuple[np.ndarray, np.ndarray]:
    """(n, K, 2) pixel polygons -> (clipped (n, K, 2) float32, (n,) bool: something of the polygon is inside).

    Polygons with every point inside [0, w] x [0, h] are returned unchanged; the others are clipped to the image
    (:func:`clip_polygon`, not their vertices moved onto the border, which would smear the mask along it) and
    refit to K points (:func:`fit_points`). An object with nothing inside keeps its vertex-clipped points and
    False."""
    segs = np.asarray(segments, np.float32)
    n, k = segs.shape[:2]
    out = segs.copy()
    nonempty = np.ones(n, bool)
    x, y = segs[..., 0], segs[..., 1]
    outside = ((x < 0) | (x > w) | (y < 0) | (y > h)).any(1)
    for i in np.flatnonzero(outside):
        clipped = clip_polygon(segs[i], h, w)
        if len(clipped) < 3 or _area(clipped) <= 0:
            nonempty[i] = False
            out[i, :, 0] = x[i].clip(0, w)
            out[i, :, 1] = y[i].clip(0, h)
        else:
            out[i] = fit_points(clipped, k)
    return out, nonempty


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0].astype(np.float64), poly[:, 1].astype(np.float64)
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2
