"""Photometric augmentation: HSV jitter through lookup tables (one pass over the pixels)."""

from __future__ import annotations

import cv2
import numpy as np

from yolov12.data.augment.instances import Labels


HUE_MODES = ("add", "scale")


def augment_hsv(img: np.ndarray, rng: np.random.Generator, hgain: float, sgain: float, vgain: float,
                hue_mode: str = "add") -> np.ndarray:
    """Random HSV jitter, applied in place to a (H, W, 3) uint8 BGR image.

    Saturation and value are multiplied by gains in 1 +/- gain. The hue (OpenCV's 0..179 circle) is rotated by
    +/- ``hgain`` of the full circle (``hue_mode='add'``, Ultralytics >= 8.3.79), or multiplied by 1 +/- ``hgain``
    (``'scale'``, YOLOv12's own code: a shift that grows with the hue, so reds barely move and violets move most).
    """
    if hue_mode not in HUE_MODES:
        raise ValueError(f"hue_mode must be one of {', '.join(HUE_MODES)}; got {hue_mode!r}")
    if not (hgain or sgain or vgain):
        return img
    r = rng.uniform(-1, 1, 3) * np.array([hgain, sgain, vgain]) + 1
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_BGR2HSV))
    x = np.arange(0, 256, dtype=r.dtype)
    lut_hue = (((x + (r[0] - 1) * 180) if hue_mode == "add" else (x * r[0])) % 180).astype(np.uint8)
    lut_sat = np.clip(x * r[1], 0, 255).astype(np.uint8)
    lut_val = np.clip(x * r[2], 0, 255).astype(np.uint8)
    im_hsv = cv2.merge((cv2.LUT(hue, lut_hue), cv2.LUT(sat, lut_sat), cv2.LUT(val, lut_val)))
    cv2.cvtColor(im_hsv, cv2.COLOR_HSV2BGR, dst=img)
    return img


def mixup(
    img1: np.ndarray, labels1: Labels, img2: np.ndarray, labels2: Labels, rng: np.random.Generator,
    alpha: float = 32.0,
) -> tuple[np.ndarray, Labels]:
    """Blend two same-size (H, W, 3) uint8 images with weight r ~ Beta(alpha, alpha); keep both label sets."""
    r = rng.beta(alpha, alpha)
    img = (img1.astype(np.float32) * r + img2.astype(np.float32) * (1 - r)).astype(np.uint8)
    return img, Labels.concat([labels1, labels2])
