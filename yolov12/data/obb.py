"""Oriented-box labels in the data pipeline: the 4 corners travel through every augmentation as the label's
polygon (``Labels.segments``), densified to points along the edges (corners kept exactly) so that clipping to the
image keeps the visible part; the rotated box is refit from the transformed points as their minimum-area
rectangle (``cv2.minAreaRect`` semantics, angle in [0, pi/2), :func:`yolov12.ops.rotated.corners_to_xywhr`)."""

from __future__ import annotations

import cv2
import numpy as np

from yolov12.ops.rotated import corners_to_xywhr

DEGENERATE_AREA = 1e-3  # a quadrilateral whose hull covers less than this share of its bounding box is degenerate


def quad_problem(corners: np.ndarray) -> str | None:
    """Why 4 corners (4, 2) are not a usable oriented box (zero area, collinear or repeated corners), else None."""
    pts = np.asarray(corners, np.float64).reshape(-1, 2)
    w, h = np.ptp(pts[:, 0]), np.ptp(pts[:, 1])
    if w <= 0 or h <= 0:
        return "degenerate oriented box (zero width or height)"
    hull = cv2.convexHull(pts.astype(np.float32))
    area = float(cv2.contourArea(hull))
    if area <= DEGENERATE_AREA * w * h or len(hull) < 3:
        return f"degenerate oriented box (collinear corners: hull area {area:.3g})"
    return None


def densify_quads(corners: np.ndarray, k: int) -> np.ndarray:
    """(n, 4, 2) corners -> (n, k, 2) points along the closed outline, k // 4 per edge starting at each corner
    (so every corner is a point and the hull, hence the minimum-area rectangle, is unchanged); k >= 4."""
    c = np.asarray(corners, np.float32).reshape(-1, 4, 2)
    per = k // 4
    t = np.linspace(0, 1, per, endpoint=False, dtype=np.float32)[None, None, :, None]  # (1, 1, per, 1)
    nxt = np.roll(c, -1, 1)
    pts = (c[:, :, None] + t * (nxt - c)[:, :, None]).reshape(len(c), 4 * per, 2)
    if 4 * per < k:  # pad with the first corner (repeats change no hull)
        pts = np.concatenate([pts, np.repeat(pts[:, :1], k - 4 * per, 1)], 1)
    return pts.astype(np.float32)


def rboxes_from_points(points: np.ndarray) -> np.ndarray:
    """(n, k, 2) pixel points per object (the transformed, clipped outline) -> (n, 5) xywhr pixels, angle in
    [0, pi/2): each object's minimum-area rectangle."""
    if len(points) == 0:
        return np.zeros((0, 5), np.float32)
    return corners_to_xywhr(points)
