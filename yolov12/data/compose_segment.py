"""The digits segmentation set: the detection set's images, each digit's instance mask = its own ink pixels.

:func:`compose_digit_image` pastes real MNIST strokes; the pixels counted as ink for a digit's box (intensity above
``INK_THRESHOLD``) are its mask, written as one YOLO segment polygon per digit. A digit with holes (0, 6, 8, 9) or
several strokes keeps them: its contours are joined into one polygon by zero-width bridges (there and back along
the shortest link), so an even-odd fill of the polygon (cv2.fillPoly, COCO's polygon rasteriser) gives back the
ink shape with its holes. Same seed, same images and boxes as the detection set.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from yolov12.data.compose import DIGIT_NAMES, compose_digit_image, digit_splits, write_data_yaml
from yolov12.data.labels import format_label_lines
from yolov12.utils import LOGGER, atomic_write_text


def mask_to_bridged_polygon(mask: np.ndarray) -> np.ndarray:
    """(h, w) bool mask -> one (k, 2) float32 polygon in pixel-edge coordinates: every outer and hole contour,
    joined by zero-width bridges. Empty mask: (0, 2)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    parts = [c.reshape(-1, 2).astype(np.float32) for c in contours if len(c) >= 1]
    if not parts:
        return np.zeros((0, 2), np.float32)
    parts.sort(key=lambda p: -len(p))
    poly = parts[0]
    for c in parts[1:]:
        d = ((poly[:, None, :] - c[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(int(d.argmin()), d.shape)
        poly = np.concatenate([poly[: i + 1], c[j:], c[: j + 1], poly[i:]])
    return poly + 0.5  # contour points are pixel centres; +0.5: the pixel-edge coordinate system of the labels


def build_digits_seg_dataset(
    digits: np.ndarray, labels: np.ndarray, out_dir: str | Path, n_train: int = 160, n_val: int = 40,
    size_range: tuple[int, int] = (224, 320), seed: int = 0, val_fraction_digits: float = 0.2,
) -> Path:
    """Compose the digits segmentation dataset (YOLO segment format, PNG); returns the data.yaml path."""
    out_dir = Path(out_dir)
    for split, n, idir, ldir, srng, pool in digit_splits(len(digits), out_dir, n_train, n_val, seed,
                                                          val_fraction_digits):
        for k in range(n):
            size = tuple(int(v) for v in srng.integers(size_range[0], size_range[1] + 1, 2))
            inks: list = []
            img, cls, boxes = compose_digit_image(digits[pool], labels[pool], srng, size, inks=inks)
            h, w = size
            polys = []
            for x0, y0, ink in inks:
                p = mask_to_bridged_polygon(ink) + np.array([x0, y0], np.float32)
                polys.append(p / np.array([w, h], np.float32))
            cv2.imwrite(str(idir / f"{split}_{k:05d}.png"), img)
            atomic_write_text(ldir / f"{split}_{k:05d}.txt", format_label_lines(cls, boxes, polys))
    LOGGER.info(f"digits segmentation dataset: {n_train} train + {n_val} val images in {out_dir}")
    return write_data_yaml(out_dir, DIGIT_NAMES, ["train", "val"])
