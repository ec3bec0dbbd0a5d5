"""Box format conversions and overlap measures.

Formats: ``xyxy`` = (x1, y1, x2, y2) corners, ``xywh`` = (cx, cy, w, h) centre and size. Units are whatever
the caller passes (pixels or normalised); every function here is unit-agnostic unless it says otherwise.
Functions accept torch tensors; the conversions also accept numpy arrays.
"""

from __future__ import annotations

import math

import numpy as np
import torch

Array = torch.Tensor | np.ndarray


def _empty_like(x: Array) -> Array:
    return x.clone() if isinstance(x, torch.Tensor) else np.copy(x)


def xywh2xyxy(x: Array) -> Array:
    """(..., 4) cx, cy, w, h -> (..., 4) x1, y1, x2, y2."""
    y = _empty_like(x)
    half_w, half_h = x[..., 2] / 2, x[..., 3] / 2
    y[..., 0] = x[..., 0] - half_w
    y[..., 1] = x[..., 1] - half_h
    y[..., 2] = x[..., 0] + half_w
    y[..., 3] = x[..., 1] + half_h
    return y


def xyxy2xywh(x: Array) -> Array:
    """(..., 4) x1, y1, x2, y2 -> (..., 4) cx, cy, w, h."""
    y = _empty_like(x)
    y[..., 0] = (x[..., 0] + x[..., 2]) / 2
    y[..., 1] = (x[..., 1] + x[..., 3]) / 2
    y[..., 2] = x[..., 2] - x[..., 0]
    y[..., 3] = x[..., 3] - x[..., 1]
    return y


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) xyxy -> (...) area (negative sizes count as zero)."""
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M)."""
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    return inter / (union + eps)


def bbox_iou(box1: torch.Tensor, box2: torch.Tensor, ciou: bool = False, eps: float = 1e-7) -> torch.Tensor:
    """Element-wise IoU (or Complete-IoU) of broadcastable (..., 4) xyxy boxes -> (..., 1).

    CIoU = IoU - (centre distance^2 / enclosing diagonal^2 + alpha * v), v the aspect-ratio consistency term
    (Zheng et al., 2020). The arithmetic follows the order used by the published YOLO training code so that
    losses agree to float32 rounding.
    """
    b1_x1, b1_y1, b1_x2, b1_y2 = box1.chunk(4, -1)
    b2_x1, b2_y1, b2_x2, b2_y2 = box2.chunk(4, -1)
    w1, h1 = b1_x2 - b1_x1, b1_y2 - b1_y1 + eps
    w2, h2 = b2_x2 - b2_x1, b2_y2 - b2_y1 + eps

    inter = (b1_x2.minimum(b2_x2) - b1_x1.maximum(b2_x1)).clamp_(0) * (
        b1_y2.minimum(b2_y2) - b1_y1.maximum(b2_y1)
    ).clamp_(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    if not ciou:
        return iou
    cw = b1_x2.maximum(b2_x2) - b1_x1.minimum(b2_x1)  # enclosing box width
    ch = b1_y2.maximum(b2_y2) - b1_y1.minimum(b2_y1)
    c2 = cw.pow(2) + ch.pow(2) + eps  # enclosing diagonal squared
    rho2 = ((b2_x1 + b2_x2 - b1_x1 - b1_x2).pow(2) + (b2_y1 + b2_y2 - b1_y1 - b1_y2).pow(2)) / 4
    v = (4 / math.pi**2) * ((w2 / h2).atan() - (w1 / h1).atan()).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def clip_boxes(boxes: Array, shape: tuple[int, int]) -> Array:
    """Clip xyxy boxes in place to an image of shape (height, width); returns them."""
    h, w = shape[:2]
    if isinstance(boxes, torch.Tensor):
        boxes[..., 0].clamp_(0, w)
        boxes[..., 1].clamp_(0, h)
        boxes[..., 2].clamp_(0, w)
        boxes[..., 3].clamp_(0, h)
    else:
        boxes[..., [0, 2]] = boxes[..., [0, 2]].clip(0, w)
        boxes[..., [1, 3]] = boxes[..., [1, 3]].clip(0, h)
    return boxes


def scale_boxes(
    boxes: torch.Tensor,
    from_shape: tuple[int, int],
    to_shape: tuple[int, int],
    ratio_pad: tuple[float, tuple[float, float]] | None = None,
) -> torch.Tensor:
    """Map xyxy pixel boxes from a letterboxed image of ``from_shape`` (h, w) back to the original ``to_shape``.

    ``ratio_pad`` = (gain, (pad_w, pad_h)) as recorded by the letterbox; computed from the shapes when omitted
    (centred padding). Returns the boxes (modified in place), clipped to ``to_shape``.
    """
    if ratio_pad is None:
        gain = min(from_shape[0] / to_shape[0], from_shape[1] / to_shape[1])
        pad = ((from_shape[1] - to_shape[1] * gain) / 2, (from_shape[0] - to_shape[0] * gain) / 2)
    else:
        gain, pad = ratio_pad[0], ratio_pad[1]
    boxes[..., [0, 2]] -= pad[0]
    boxes[..., [1, 3]] -= pad[1]
    boxes[..., :4] /= gain
    return clip_boxes(boxes, to_shape)
