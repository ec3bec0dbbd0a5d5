"""COCO-format prediction records (the ``results.json`` that pycocotools ``loadRes`` and the COCO server read)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from yolov12.utils import atomic_write_text

__all__ = ["COCO80_TO_91", "detections_to_coco_json", "save_coco_json"]

# Contiguous class index (0..79) -> official COCO category id (1..90 with gaps).
COCO80_TO_91: tuple[int, ...] = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34,
    35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
    64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
)


def detections_to_coco_json(
    image_id: int,
    boxes_xyxy: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    category_ids: Sequence[int] | None = None,
    decimals: int | None = None,
) -> list[dict]:
    """Records ``{image_id, category_id, bbox: [x, y, w, h], score}`` for one image.

    Args:
        boxes_xyxy: (n, 4) boxes in original-image pixels; converted to top-left x, y, width, height in float64.
        scores: (n,) confidences.
        classes: (n,) contiguous class indices; mapped through ``category_ids`` when given (e.g. COCO80_TO_91).
        decimals: round bbox and score (smaller files); None keeps full precision, which is what makes an
            evaluation of the written file agree exactly with ``DetectionEvaluator``.
    """
    b = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    xywh = np.stack((b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]), 1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if decimals is not None:
        xywh, s = np.round(xywh, decimals), np.round(s, decimals)
    c = np.asarray(classes).reshape(-1).astype(np.int64)
    cat = [int(category_ids[i]) for i in c] if category_ids is not None else c.tolist()
    return [
        {"image_id": int(image_id), "category_id": cat[i], "bbox": xywh[i].tolist(), "score": float(s[i])}
        for i in range(len(c))
    ]


def save_coco_json(records: list[dict], path: str | Path) -> Path:
    """Write prediction records atomically as a JSON list; returns the path."""
    path = Path(path)
    atomic_write_text(path, json.dumps(records))
    return path
