"""Geometric augmentation: random affine/perspective warp with box filtering, and flips."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from yolov12.data.augment.instances import Labels, clip_segments, hide_outside


def box_candidates(
    box1: np.ndarray, box2: np.ndarray, wh_thr: float = 2, ar_thr: float = 100, area_thr: float = 0.1,
    eps: float = 1e-16,
) -> np.ndarray:
    """Which warped boxes to keep. box1: (n, 4) xyxy before (already scaled by the warp's scale), box2 after.

    Keeps boxes with w and h > ``wh_thr`` pixels, aspect ratio < ``ar_thr`` and area ratio after/before >
    ``area_thr``. Returns (n,) bool.
    """
    w1, h1 = box1[:, 2] - box1[:, 0], box1[:, 3] - box1[:, 1]
    w2, h2 = box2[:, 2] - box2[:, 0], box2[:, 3] - box2[:, 1]
    ar = np.maximum(w2 / (h2 + eps), h2 / (w2 + eps))
    return (w2 > wh_thr) & (h2 > wh_thr) & (w2 * h2 / (w1 * h1 + eps) > area_thr) & (ar < ar_thr)


def random_affine(
    img: np.ndarray,
    labels: Labels,
    rng: np.random.Generator,
    degrees: float = 0.0,
    translate: float = 0.1,
    scale: float = 0.5,
    shear: float = 0.0,
    perspective: float = 0.0,
    border: tuple[int, int] = (0, 0),
) -> tuple[np.ndarray, Labels]:
    """Warp a (H, W, 3) image and its pixel labels by a random rotation/scale/shear/translation/perspective.

    ``border`` (bh, bw) grows (positive) or shrinks (negative) the output: out = (H + 2 bh, W + 2 bw); a mosaic
    of 2s x 2s uses border (-s/2, -s/2) to come out s x s. Pad value 114. Boxes are recomputed from the warped
    corners (or polygon points, tighter), clipped to the output and filtered with :func:`box_candidates`.
    """
    height, width = img.shape[0] + border[0] * 2, img.shape[1] + border[1] * 2

    C = np.eye(3, dtype=np.float32)  # centre
    C[0, 2] = -img.shape[1] / 2
    C[1, 2] = -img.shape[0] / 2
    P = np.eye(3, dtype=np.float32)  # perspective
    P[2, 0] = rng.uniform(-perspective, perspective)
    P[2, 1] = rng.uniform(-perspective, perspective)
    R = np.eye(3, dtype=np.float32)  # rotation and scale
    a = rng.uniform(-degrees, degrees)
    s = rng.uniform(1 - scale, 1 + scale)
    R[:2] = cv2.getRotationMatrix2D(angle=a, center=(0, 0), scale=s)
    S = np.eye(3, dtype=np.float32)  # shear
    S[0, 1] = math.tan(rng.uniform(-shear, shear) * math.pi / 180)
    S[1, 0] = math.tan(rng.uniform(-shear, shear) * math.pi / 180)
    T = np.eye(3, dtype=np.float32)  # translation
    T[0, 2] = rng.uniform(0.5 - translate, 0.5 + translate) * width
    T[1, 2] = rng.uniform(0.5 - translate, 0.5 + translate) * height
    M = T @ S @ R @ P @ C

    if border[0] != 0 or border[1] != 0 or (M != np.eye(3)).any():
        if perspective:
            img = cv2.warpPerspective(img, M, dsize=(width, height), borderValue=(114, 114, 114))
        else:
            img = cv2.warpAffine(img, M[:2], dsize=(width, height), borderValue=(114, 114, 114))
    n = len(labels)
    if n == 0:
        return img, labels

    def apply(xy: np.ndarray) -> np.ndarray:  # (m, 2) -> (m, 2)
        xy1 = np.concatenate([xy, np.ones((len(xy), 1), np.float32)], 1) @ M.T
        return xy1[:, :2] / xy1[:, 2:3] if perspective else xy1[:, :2]

    if labels.segments is not None:
        k = labels.segments.shape[1]
        segs = apply(labels.segments.reshape(-1, 2)).reshape(n, k, 2).astype(np.float32)
        pts = segs.copy()  # the boxes come from the points clipped to the output, as for detection
        pts[..., 0] = pts[..., 0].clip(0, width)
        pts[..., 1] = pts[..., 1].clip(0, height)
        new_boxes = np.concatenate([pts.min(1), pts.max(1)], 1)
        segs, inside = clip_segments(segs, height, width)  # the polygons are clipped as shapes
    else:
        segs = None
        b = labels.boxes
        corners = b[:, [0, 1, 2, 3, 2, 1, 0, 3]].reshape(n * 4, 2)  # x1y1, x2y2, x2y1, x1y2
        xy = apply(corners).reshape(n, 8)
        x, y = xy[:, [0, 2, 4, 6]], xy[:, [1, 3, 5, 7]]
        new_boxes = np.stack([x.min(1), y.min(1), x.max(1), y.max(1)], 1)
        new_boxes[:, [0, 2]] = new_boxes[:, [0, 2]].clip(0, width)
        new_boxes[:, [1, 3]] = new_boxes[:, [1, 3]].clip(0, height)
    keep = box_candidates(labels.boxes * s, new_boxes, area_thr=0.01 if segs is not None else 0.10)
    if segs is not None:
        keep &= inside  # nothing of the polygon left in the output
    kpts = None
    if labels.keypoints is not None:
        kpts = labels.keypoints.copy()
        k = kpts.shape[1]
        kpts[..., :2] = apply(kpts[..., :2].reshape(-1, 2)).reshape(n, k, 2)
        kpts = hide_outside(kpts, height, width)  # keypoints leaving the image become unlabelled
    out = Labels(labels.cls[keep], new_boxes[keep].astype(np.float32), None if segs is None else segs[keep],
                 None if kpts is None else kpts[keep])
    return img, out


def flip(img: np.ndarray, labels: Labels, horizontal: bool, flip_idx: Sequence[int] | None = None
         ) -> tuple[np.ndarray, Labels]:
    """Mirror left-right (``horizontal``) or top-bottom. (H, W, 3) image and pixel labels -> new arrays.

    Keypoints are mirrored too; a left-right flip also reorders them by ``flip_idx`` (keypoint j of the flipped
    object is keypoint ``flip_idx[j]`` of the original: left and right swap). Without ``flip_idx`` a left-right
    flip of objects with 2+ keypoints is a ValueError (the left/right labels would silently swap meaning).
    """
    axis = 0 if horizontal else 1  # coordinate that changes: x (0) or y (1)
    size = img.shape[1 - axis]
    boxes = labels.boxes.copy()
    boxes[:, [axis, axis + 2]] = size - labels.boxes[:, [axis + 2, axis]]
    seg = None
    if labels.segments is not None:
        seg = labels.segments.copy()
        seg[..., axis] = size - seg[..., axis]
    kpt = None
    if labels.keypoints is not None:
        kpt = labels.keypoints.copy()
        if horizontal and kpt.shape[1] > 1:
            if flip_idx is None:
                raise ValueError("a left-right flip of keypoints needs flip_idx (data.yaml): which keypoint each "
                                 "one becomes when mirrored; set fliplr=0 or add flip_idx")
            if sorted(flip_idx) != list(range(kpt.shape[1])):
                raise ValueError(f"flip_idx must be a permutation of 0..{kpt.shape[1] - 1}, got {list(flip_idx)}")
            kpt = kpt[:, list(flip_idx)]
        lab = kpt[..., 2] > 0
        kpt[..., axis] = np.where(lab, size - kpt[..., axis], 0.0)
    return cv2.flip(img, 1 if horizontal else 0), Labels(labels.cls, boxes, seg, kpt)


def flip_lr(img: np.ndarray, labels: Labels, flip_idx: Sequence[int] | None = None) -> tuple[np.ndarray, Labels]:
    return flip(img, labels, horizontal=True, flip_idx=flip_idx)


def flip_ud(img: np.ndarray, labels: Labels) -> tuple[np.ndarray, Labels]:
    return flip(img, labels, horizontal=False)
