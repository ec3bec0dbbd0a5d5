"""Drawing detections on images with OpenCV: a fixed colour palette, box outlines and filled labels.

All images are (H, W, 3) uint8 BGR, as OpenCV reads them. Boxes are xyxy in pixels of that image.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

# 20 distinct colours (hex RGB); class i gets PALETTE_HEX[i % 20], so a class keeps its colour across images.
PALETTE_HEX = (
    "E6194B", "3CB44B", "FFE119", "4363D8", "F58231", "911EB4", "46F0F0", "F032E6", "BCF60C", "FABEBE",
    "008080", "E6BEFF", "9A6324", "FFFAC8", "800000", "AAFFC3", "808000", "FFD8B1", "000075", "A9A9A9",
)  # fmt: skip


def _hex_to_bgr(h: str) -> tuple[int, int, int]:
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r


PALETTE_BGR: tuple[tuple[int, int, int], ...] = tuple(_hex_to_bgr(h) for h in PALETTE_HEX)


def class_color(index: int) -> tuple[int, int, int]:
    """BGR colour for class ``index`` (wraps around the 20-colour palette)."""
    return PALETTE_BGR[int(index) % len(PALETTE_BGR)]


def default_line_width(shape: tuple[int, ...]) -> int:
    """Line width in pixels that scales with the image: ~0.3 % of the mean side, at least 2 px."""
    return max(round((shape[0] + shape[1]) / 2 * 0.003), 2)


def _text_color(bg: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white text, whichever reads better on a BGR background."""
    b, g, r = bg
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (255, 255, 255)


def draw_boxes(
    img: np.ndarray,
    boxes: np.ndarray | Sequence[Sequence[float]],
    labels: Sequence[str] | None = None,
    colors: Sequence[tuple[int, int, int]] | None = None,
    line_width: int | None = None,
) -> np.ndarray:
    """Draw boxes (and optional text labels) on ``img`` in place; returns ``img``.

    Args:
        img: (H, W, 3) uint8 BGR image, modified in place (pass a copy to keep the original).
        boxes: (n, 4) xyxy in pixels of ``img``; drawn after rounding to integers.
        labels: n strings drawn in a filled box above each box's top-left corner (inside when at the top edge);
            ``None`` or an empty string draws no label.
        colors: n BGR colours; ``None`` uses palette colour i for box i.
        line_width: outline thickness in pixels; ``None`` picks :func:`default_line_width`.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(boxes)
    if labels is not None and len(labels) != n:
        raise ValueError(f"draw_boxes: {n} boxes but {len(labels)} labels")
    if colors is not None and len(colors) != n:
        raise ValueError(f"draw_boxes: {n} boxes but {len(colors)} colours")
    lw = line_width or default_line_width(img.shape)
    font_thickness = max(lw - 1, 1)
    font_scale = lw / 3
    h, w = img.shape[:2]
    for i, box in enumerate(boxes):
        color = tuple(int(c) for c in (colors[i] if colors is not None else class_color(i)))
        p1 = (int(round(box[0])), int(round(box[1])))
        p2 = (int(round(box[2])), int(round(box[3])))
        cv2.rectangle(img, p1, p2, color, thickness=lw, lineType=cv2.LINE_8)  # axis-aligned: crisp
        label = labels[i] if labels is not None else ""
        if not label:
            continue
        (tw, th), baseline = cv2.getTextSize(label, 0, fontScale=font_scale, thickness=font_thickness)
        th += baseline
        outside = p1[1] - th - 3 >= 0  # room for the label above the box?
        x1 = min(max(p1[0], 0), max(w - tw, 0))
        y_top = p1[1] - th - 3 if outside else p1[1]
        y_bottom = p1[1] if outside else p1[1] + th + 3
        cv2.rectangle(img, (x1, y_top), (x1 + tw, y_bottom), color, thickness=-1, lineType=cv2.LINE_8)
        cv2.putText(
            img,
            label,
            (x1, y_bottom - baseline - 1),
            0,
            font_scale,
            _text_color(color),
            thickness=font_thickness,
            lineType=cv2.LINE_AA,
        )
    return img
