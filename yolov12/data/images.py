"""Image decoding: one ``imread`` for every format, and the long-side resize used by the datasets."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from yolov12.utils.errors import YoloError

IMG_FORMATS = frozenset({".bmp", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".dng", ".mpo", ".pfm"})


class ImageReadError(YoloError, OSError):
    """An image file that cannot be decoded (missing, empty, truncated or not an image)."""


def is_image_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMG_FORMATS


def _check_jpeg_complete(data: np.ndarray, path: Path) -> None:
    if data[:2].tobytes() == b"\xff\xd8":  # JPEG: must end with the EOI marker (allow trailing padding)
        tail = data[-64:].tobytes()
        if b"\xff\xd9" not in tail:
            raise ImageReadError(f"{path}: truncated JPEG (no end-of-image marker)")


def imread(path: str | Path) -> np.ndarray:
    """Decode an image file -> (H, W, 3) uint8 BGR.

    EXIF orientation is applied, 16-bit images are scaled to 8 bits, grey/alpha/palette images become 3-channel
    BGR (alpha is dropped). Raises :class:`ImageReadError` with the path and the reason.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise ImageReadError(f"{path}: cannot read file ({e.strerror or e})") from e
    if data.size == 0:
        raise ImageReadError(f"{path}: empty file")
    _check_jpeg_complete(data, path)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        raise ImageReadError(f"{path}: not a decodable image")
    return img


def resize_long_side(img: np.ndarray, imgsz: int, augment: bool = False) -> np.ndarray:
    """Resize so that max(H, W) == imgsz, keeping the aspect ratio. (H, W, 3) -> (h', w', 3) uint8.

    Uses INTER_LINEAR when enlarging or when augmenting (speed), INTER_AREA when shrinking for evaluation.
    """
    h0, w0 = img.shape[:2]
    r = imgsz / max(h0, w0)
    if r == 1:
        return img
    w, h = min(max(1, round(w0 * r)), imgsz), min(max(1, round(h0 * r)), imgsz)
    interp = cv2.INTER_LINEAR if (augment or r > 1) else cv2.INTER_AREA
    return cv2.resize(img, (w, h), interpolation=interp)
