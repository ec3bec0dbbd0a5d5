"""Copy-paste ('flip' mode): paste mirrored copies of an image's own polygon instances into free space."""

from __future__ import annotations

import cv2
import numpy as np

from yolov12.data.augment.instances import Labels


def box_ioa(box1: np.ndarray, box2: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """Intersection over the area of box2: (n, 4) and (m, 4) xyxy -> (n, m)."""
    iw = (np.minimum(box1[:, None, 2], box2[None, :, 2]) - np.maximum(box1[:, None, 0], box2[None, :, 0])).clip(0)
    ih = (np.minimum(box1[:, None, 3], box2[None, :, 3]) - np.maximum(box1[:, None, 1], box2[None, :, 1])).clip(0)
    area2 = (box2[:, 2] - box2[:, 0]) * (box2[:, 3] - box2[:, 1])
    return iw * ih / (area2[None] + eps)


def copy_paste_flip(
    img: np.ndarray, labels: Labels, p: float, rng: np.random.Generator, ioa_thr: float = 0.3
) -> tuple[np.ndarray, Labels]:
    """Paste a left-right mirrored copy of round(p * n) instances whose mirrored box overlaps existing boxes by
    IoA < ``ioa_thr``. Needs polygons (``labels.segments``); returns the inputs unchanged without them.

    ``img`` (H, W, 3) uint8 is modified in place; labels are pixel xyxy.
    """
    n = len(labels)
    if not p or not n or labels.segments is None:
        return img, labels
    w = img.shape[1]
    flipped_boxes = labels.boxes.copy()
    flipped_boxes[:, [0, 2]] = w - labels.boxes[:, [2, 0]]
    flipped_segs = labels.segments.copy()
    flipped_segs[..., 0] = w - flipped_segs[..., 0]
    ioa = box_ioa(flipped_boxes, labels.boxes)
    candidates = np.nonzero((ioa < ioa_thr).all(1))[0]
    k = min(round(p * n), len(candidates))
    if k == 0:
        return img, labels
    chosen = np.sort(rng.choice(candidates, size=k, replace=False))
    mask = np.zeros(img.shape[:2], np.uint8)
    for j in chosen:
        cv2.drawContours(mask, [labels.segments[j].astype(np.int32)], -1, 1, cv2.FILLED)
    mask = cv2.flip(mask, 1).astype(bool)
    img[mask] = cv2.flip(img, 1)[mask]
    added = Labels(labels.cls[chosen], flipped_boxes[chosen], flipped_segs[chosen])
    return img, Labels.concat([labels, added])
