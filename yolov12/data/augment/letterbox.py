"""Letterbox: resize keeping the aspect ratio and pad to a target shape (shared with inference)."""

from __future__ import annotations

import cv2
import numpy as np


def letterbox(
    img: np.ndarray,
    new_shape: int | tuple[int, int] = 640,
    auto: bool = False,
    scaleup: bool = True,
    stride: int = 32,
    color: tuple[int, int, int] = (114, 114, 114),
) -> tuple[np.ndarray, float, tuple[float, float]]:
    """Resize ``img`` (H, W, C) to fit ``new_shape`` (h, w) and pad the rest with ``color``, split evenly.

    Args:
        auto: pad only up to the next multiple of ``stride`` (minimum rectangle) instead of the full shape.
        scaleup: allow enlarging; when False the image is only shrunk (better mAP at evaluation).

    Returns:
        (image, gain, (pad_w, pad_h)): the letterboxed uint8 image, the resize gain r (new = old * r) and the
        left/top padding in pixels. A pixel point maps as ``x_new = x_old * r + pad_w``.
    """
    shape = img.shape[:2]
    if isinstance(new_shape, int):
        new_shape = (new_shape, new_shape)
    r = min(new_shape[0] / shape[0], new_shape[1] / shape[1])
    if not scaleup:
        r = min(r, 1.0)
    # at least one pixel per side: an extreme aspect ratio (1 x 10000) must not round a side to zero
    new_unpad = (max(1, min(new_shape[1], int(round(shape[1] * r)))), max(1, min(new_shape[0], int(round(shape[0] * r)))))
    dw, dh = new_shape[1] - new_unpad[0], new_shape[0] - new_unpad[1]
    if auto:
        dw, dh = dw % stride, dh % stride
    dw, dh = dw / 2, dh / 2
    if (shape[1], shape[0]) != new_unpad:
        img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    if top or bottom or left or right:
        img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=color)
    return img, r, (float(left), float(top))
