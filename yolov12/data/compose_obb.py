"""An oriented-box dataset from real data: the shipped MNIST digits pasted at random angles.

Each digit's ink is cropped tight, scaled, turned by an angle drawn uniformly in +/- ``max_degrees`` (60 by
default: beyond 90 a '6' turned half a turn is a '9') and pasted without overlap on a smooth random background.
Its oriented box is, by construction, the digit's tight upright ink box carried by the same rotation: the four
corners are the upright box's corners mapped through the paste's affine matrix. Labels are in the OBB label format
(``class x1 y1 x2 y2 x3 y3 x4 y4``, normalised corners). Deterministic for a seed.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from yolov12.data.compose import (
    DIGIT_NAMES, INK_THRESHOLD, _background, digit_splits, ink_crop, scaled_alpha, write_data_yaml,
)
from yolov12.utils import LOGGER, atomic_write_text


def compose_digit_obb_image(
    digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator, size: tuple[int, int],
    n_range: tuple[int, int] = (1, 5), px_range: tuple[int, int] = (32, 96), max_degrees: float = 60.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> ((h, w, 3) uint8 BGR image, (n,) classes, (n, 4, 2) corners in pixels of each digit's turned ink box)."""
    h, w = size
    img = _background(rng, h, w).astype(np.float32)
    occupied = np.zeros((h, w), bool)
    cls, quads = [], []
    for _ in range(int(rng.integers(n_range[0], n_range[1] + 1))):
        j = int(rng.integers(len(digits)))
        crop = ink_crop(digits[j])
        if crop is None:
            continue
        side = int(rng.integers(px_range[0], min(px_range[1], h // 2, w // 2) + 1))
        alpha = scaled_alpha(crop, side)
        ch, cw = alpha.shape
        ys, xs = np.nonzero(alpha > INK_THRESHOLD)  # the tight ink box of the scaled, upright digit
        x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        deg = float(rng.uniform(-max_degrees, max_degrees))
        diag = int(np.ceil(np.hypot(ch, cw))) + 2  # the turned digit fits a diag x diag patch
        M = cv2.getRotationMatrix2D((cw / 2, ch / 2), deg, 1.0)
        M[:, 2] += (diag - cw) / 2, (diag - ch) / 2
        patch = cv2.warpAffine(alpha, M, (diag, diag), flags=cv2.INTER_LINEAR, borderValue=0)
        if diag >= min(h, w):
            continue
        for _try in range(20):
            x0, y0 = int(rng.integers(0, w - diag + 1)), int(rng.integers(0, h - diag + 1))
            if not (occupied[y0:y0 + diag, x0:x0 + diag] & (patch > 0.02)).any():
                break
        else:
            continue
        region = img[y0:y0 + diag, x0:x0 + diag]
        bgmean = region.reshape(-1, 3).mean(0)
        colour = np.where(bgmean > 127, rng.integers(0, 70, 3), rng.integers(185, 256, 3)).astype(np.float32)
        region[:] = region * (1 - patch[..., None]) + colour * patch[..., None]
        occupied[y0:y0 + diag, x0:x0 + diag] |= cv2.dilate((patch > 0.02).astype(np.uint8), np.ones((5, 5))) > 0
        box = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float64)
        quads.append(box @ M[:, :2].T + M[:, 2] + [x0, y0])
        cls.append(int(labels[j]))
    return img.astype(np.uint8), np.array(cls, np.int64), np.array(quads, np.float32).reshape(-1, 4, 2)


def obb_label_lines(cls: np.ndarray, corners: np.ndarray, w: int, h: int) -> str:
    """(n,) classes, (n, 4, 2) pixel corners of a (h, w) image -> OBB label text (normalised corners)."""
    lines = []
    for c, q in zip(cls, np.asarray(corners, np.float64) / [w, h], strict=True):
        lines.append(" ".join([str(int(c))] + [f"{v:.6f}" for v in q.reshape(-1)]))
    return "".join(line + "\n" for line in lines)


def build_digits_obb_dataset(
    digits: np.ndarray, labels: np.ndarray, out_dir: str | Path, n_train: int = 160, n_val: int = 40,
    size_range: tuple[int, int] = (224, 320), seed: int = 0, val_fraction_digits: float = 0.2,
) -> Path:
    """Compose the rotated-digits OBB dataset in YOLO format (train and val from disjoint digit samples)."""
    out_dir = Path(out_dir)
    for split, n, idir, ldir, srng, pool in digit_splits(len(digits), out_dir, n_train, n_val, seed,
                                                          val_fraction_digits, streams=(11, 12)):
        for k in range(n):
            hh, ww = (int(v) for v in srng.integers(size_range[0], size_range[1] + 1, 2))
            img, cls, quads = compose_digit_obb_image(digits[pool], labels[pool], srng, (hh, ww))
            cv2.imwrite(str(idir / f"{split}_{k:05d}.png"), img)
            atomic_write_text(ldir / f"{split}_{k:05d}.txt", obb_label_lines(cls, quads, ww, hh))
    LOGGER.info(f"digits-obb dataset: {n_train} train + {n_val} val images in {out_dir}")
    return write_data_yaml(out_dir, DIGIT_NAMES, ["train", "val"])
