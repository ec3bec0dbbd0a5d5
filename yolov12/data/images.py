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


MAX_IMAGE_PIXELS = 2**28  # 268 Mpx (16384 x 16384): larger declared sizes are refused before decoding


def declared_size(data: bytes) -> tuple[int, int] | None:
    """(height, width) an image file declares in its header (PNG, JPEG, BMP, GIF, WebP), without decoding it;
    None for other or unreadable headers (cv2 then decides)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[20:24], "big"), int.from_bytes(data[16:20], "big")
    if data[:2] == b"BM" and len(data) >= 26:
        return abs(int.from_bytes(data[22:26], "little", signed=True)), int.from_bytes(data[18:22], "little", signed=True)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[8:10], "little"), int.from_bytes(data[6:8], "little")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[27:30], "little") + 1, int.from_bytes(data[24:27], "little") + 1
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # SOFn
                return int.from_bytes(data[i + 5 : i + 7], "big"), int.from_bytes(data[i + 7 : i + 9], "big")
            i += 2 + length
    return None


def _check_declared_size(data: np.ndarray, path: Path) -> None:
    hw = declared_size(data[:65536].tobytes())
    if hw is not None and hw[0] * hw[1] > MAX_IMAGE_PIXELS:
        raise ImageReadError(f"{path}: declared size {hw[1]}x{hw[0]} pixels is over the {MAX_IMAGE_PIXELS:,} pixel "
                             "limit (not decoded)")


def _check_jpeg_complete(data: np.ndarray, img: np.ndarray, path: Path) -> None:
    """A JPEG must hold the data of every block it declares. A file cut short and given an end marker again
    decodes without an error, its missing blocks filled by libjpeg with zero coefficients (flat blocks). Such a
    file is recognised by decoding it once more with filler entropy bytes inserted before its end marker: a
    complete file has finished every block before them (same pixels), a truncated one consumes them. (This
    second decode makes the one-time dataset scan of JPEGs about twice as long; the scan is cached.)"""
    if data[:2].tobytes() != b"\xff\xd8":
        return
    end = data[-4096:].tobytes().rfind(b"\xff\xd9")  # allow trailing padding after the end marker
    if end < 0:
        raise ImageReadError(f"{path}: truncated JPEG (no end-of-image marker)")
    end += max(0, data.size - 4096)
    # filler 0xA5 (not 0x00) decodes to non-zero coefficients in any Huffman table, so a block fed by it differs
    probe = np.concatenate([data[:end], np.full(4096, 0xA5, np.uint8), np.array([0xFF, 0xD9], np.uint8)])
    try:
        again = cv2.imdecode(probe, cv2.IMREAD_COLOR)
    except cv2.error:
        again = None
    if again is None or again.shape != img.shape or not np.array_equal(img, again):
        raise ImageReadError(f"{path}: truncated JPEG (its data ends before the last block; the end marker was "
                             "added afterwards)")


def imread(path: str | Path) -> np.ndarray:
    """Decode an image file -> (H, W, 3) uint8 BGR.

    EXIF orientation is applied, 16-bit images are scaled to 8 bits, grey/alpha/palette images become 3-channel
    BGR (alpha is dropped). Raises :class:`ImageReadError` with the path and the reason (unreadable, empty,
    truncated, over :data:`MAX_IMAGE_PIXELS` by its header, or not decodable).
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise ImageReadError(f"{path}: cannot read file ({e.strerror or e})") from e
    if data.size == 0:
        raise ImageReadError(f"{path}: empty file")
    _check_declared_size(data, path)
    try:
        img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error as e:  # e.g. over OpenCV's own pixel limit, or a malformed header
        raise ImageReadError(f"{path}: not decodable ({str(e).strip().splitlines()[-1][:120]})") from e
    if img is None or img.size == 0:
        if data[:2].tobytes() == b"\xff\xd8" and b"\xff\xd9" not in data[-4096:].tobytes():
            raise ImageReadError(f"{path}: truncated JPEG (no end-of-image marker)")
        raise ImageReadError(f"{path}: not a decodable image")
    _check_jpeg_complete(data, img, path)
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
