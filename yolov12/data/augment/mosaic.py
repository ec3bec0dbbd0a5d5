"""Mosaic: tile 4 (or 9) images on a 2s x 2s canvas filled with 114 around a random centre."""

from __future__ import annotations

import numpy as np

from yolov12.data.augment.instances import Labels

Tile = tuple[np.ndarray, Labels]  # (h, w, 3) uint8 image with long side <= s, and its pixel labels


def _finish(canvas: np.ndarray, parts: list[Labels]) -> tuple[np.ndarray, Labels]:
    labels = Labels.concat(parts).clip(canvas.shape[0], canvas.shape[1])
    b = labels.boxes
    keep = ((b[:, 2] - b[:, 0]) > 0) & ((b[:, 3] - b[:, 1]) > 0)
    return canvas, labels.select(keep)


def mosaic4(tiles: list[Tile], s: int, rng: np.random.Generator) -> tuple[np.ndarray, Labels]:
    """Four tiles around a centre drawn uniformly in [s/2, 3s/2]^2 -> (2s, 2s, 3) canvas and pixel labels."""
    assert len(tiles) == 4, "mosaic4 needs 4 tiles"
    yc, xc = (int(rng.uniform(s / 2, 3 * s / 2)) for _ in range(2))
    canvas = np.full((2 * s, 2 * s, 3), 114, dtype=np.uint8)
    parts = []
    for i, (img, labels) in enumerate(tiles):
        h, w = img.shape[:2]
        if i == 0:  # top left
            x1a, y1a, x2a, y2a = max(xc - w, 0), max(yc - h, 0), xc, yc
            x1b, y1b, x2b, y2b = w - (x2a - x1a), h - (y2a - y1a), w, h
        elif i == 1:  # top right
            x1a, y1a, x2a, y2a = xc, max(yc - h, 0), min(xc + w, 2 * s), yc
            x1b, y1b, x2b, y2b = 0, h - (y2a - y1a), min(w, x2a - x1a), h
        elif i == 2:  # bottom left
            x1a, y1a, x2a, y2a = max(xc - w, 0), yc, xc, min(2 * s, yc + h)
            x1b, y1b, x2b, y2b = w - (x2a - x1a), 0, w, min(y2a - y1a, h)
        else:  # bottom right
            x1a, y1a, x2a, y2a = xc, yc, min(xc + w, 2 * s), min(2 * s, yc + h)
            x1b, y1b, x2b, y2b = 0, 0, min(w, x2a - x1a), min(y2a - y1a, h)
        canvas[y1a:y2a, x1a:x2a] = img[y1b:y2b, x1b:x2b]
        parts.append(labels.transformed(1.0, 1.0, x1a - x1b, y1a - y1b))
    return _finish(canvas, parts)


def mosaic9(tiles: list[Tile], s: int, rng: np.random.Generator) -> tuple[np.ndarray, Labels]:
    """Nine tiles around the first on a 3s x 3s canvas, then a random 2s x 2s crop -> canvas and labels."""
    assert len(tiles) == 9, "mosaic9 needs 9 tiles"
    big = np.full((3 * s, 3 * s, 3), 114, dtype=np.uint8)
    hp = wp = -1
    h0 = w0 = 0
    placed = []
    for i, (img, labels) in enumerate(tiles):
        h, w = img.shape[:2]
        if i == 0:
            h0, w0 = h, w
            c = s, s, s + w, s + h
        elif i == 1:
            c = s, s - h, s + w, s
        elif i == 2:
            c = s + wp, s - h, s + wp + w, s
        elif i == 3:
            c = s + w0, s, s + w0 + w, s + h
        elif i == 4:
            c = s + w0, s + hp, s + w0 + w, s + hp + h
        elif i == 5:
            c = s + w0 - w, s + h0, s + w0, s + h0 + h
        elif i == 6:
            c = s + w0 - wp - w, s + h0, s + w0 - wp, s + h0 + h
        elif i == 7:
            c = s - w, s + h0 - h, s, s + h0
        else:
            c = s - w, s + h0 - hp - h, s, s + h0 - hp
        padw, padh = c[:2]
        x1, y1, x2, y2 = (max(v, 0) for v in c)
        big[y1:y2, x1:x2] = img[y1 - padh :, x1 - padw :][: y2 - y1, : x2 - x1]
        hp, wp = h, w
        placed.append((labels, padw, padh))
    yc, xc = (int(rng.uniform(0, s)) for _ in range(2))
    canvas = np.ascontiguousarray(big[yc : yc + 2 * s, xc : xc + 2 * s])
    parts = [lb.transformed(1.0, 1.0, pw - xc, ph - yc) for lb, pw, ph in placed]
    return _finish(canvas, parts)
