"""Bit-packed binary masks for exact, fast mask IoU (COCO ``maskUtils.iou`` semantics).

A mask stack (n, h, w) is packed once along the width into 64-bit words (one pass over the pixels); areas,
bounding boxes and pair intersections then work on 1/8 of the bytes with popcounts. Pairs whose mask bounding boxes
do not overlap have an intersection of exactly 0 and are never intersected (pycocotools skips them the same way).
All counts are integers, so IoU is exact (float64 division of the same integers pycocotools divides).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

__all__ = ["PackedMasks", "pack_masks", "pair_intersections", "packed_mask_iou"]

_POP8 = np.array([bin(i).count("1") for i in range(256)], np.uint8)
_CHUNK_BYTES = 1 << 24  # temporary bytes per chunk of pair intersections


def _popcount_rows(words: np.ndarray) -> np.ndarray:
    """(p, ...) uint64 -> (p,) int64 total set bits per leading index."""
    flat = words.reshape(words.shape[0], -1)
    if hasattr(np, "bitwise_count"):  # numpy >= 2
        return np.bitwise_count(flat).sum(1, dtype=np.int64)
    return _POP8[flat.view(np.uint8)].sum(1, dtype=np.int64)


@dataclass
class PackedMasks:
    """``words`` (n, h, q) uint64: row bits, left pixel = most significant bit of the first byte (``np.packbits``),
    zero padded; ``area`` (n,) int64 pixel counts; ``box`` (n, 4) int64 inclusive row0, row1, col0, col1 of the set
    pixels (an empty mask has row0 > row1)."""

    words: np.ndarray
    area: np.ndarray
    box: np.ndarray
    hw: tuple[int, int]

    def __len__(self) -> int:
        return self.words.shape[0]


def _packbits(masks: np.ndarray) -> np.ndarray:
    """(n, h, w) bool -> (n, h, ceil(w / 8)) uint8, as ``np.packbits(axis=-1)``. With a width divisible by 8 on a
    little-endian machine, 8 bool bytes (0/1) read as one uint64 are gathered into one byte by a multiply (bit j of
    the product's top byte is byte 7 - j), about 3x faster than ``np.packbits``."""
    n, h, w = masks.shape
    if w % 8 or sys.byteorder != "little":
        return np.packbits(masks, axis=-1)
    x = np.ascontiguousarray(masks).view(np.uint64) * np.uint64(0x8040201008040201)
    x >>= np.uint64(56)
    return x.astype(np.uint8)


def pack_masks(masks: np.ndarray) -> PackedMasks:
    """(n, h, w) binary masks (bool / integer, nonzero = set) -> :class:`PackedMasks`."""
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"pack_masks: expected (n, h, w) masks, got shape {masks.shape}")
    n, h, w = masks.shape
    if masks.dtype != np.bool_:
        masks = masks != 0
    q = (w + 63) // 64
    box = np.zeros((n, 4), np.int64)
    box[:, 0], box[:, 2] = 1, 1  # empty: row0 > row1, col0 > col1
    if not (n and h and w):
        return PackedMasks(np.zeros((n, h, q), np.uint64), np.zeros(n, np.int64), box, (h, w))
    packed = _packbits(masks)
    if w % 64 == 0:
        words = packed.view(np.uint64)
    else:
        buf = np.empty((n, h, q * 8), np.uint8)
        buf[..., :packed.shape[2]] = packed
        buf[..., packed.shape[2]:] = 0
        words = buf.view(np.uint64)  # (n, h, q)
    area = _popcount_rows(words)
    row_bits, col_bits = words[:, :, 0].copy(), np.bitwise_or.reduce(words[:, :, 0], axis=1)[:, None]
    if q > 1:  # short loops over the q words: numpy reduces a short last axis slowly
        col_bits = np.stack([np.bitwise_or.reduce(words[:, :, k], axis=1) for k in range(q)], 1)
        for k in range(1, q):
            row_bits |= words[:, :, k]
    rows = row_bits != 0  # (n, h)
    cols = np.unpackbits(np.ascontiguousarray(col_bits).view(np.uint8), axis=1)[:, :w].astype(bool)  # (n, w)
    full = area > 0
    box[full, 0] = rows[full].argmax(1)
    box[full, 1] = h - 1 - rows[full, ::-1].argmax(1)
    box[full, 2] = cols[full].argmax(1)
    box[full, 3] = w - 1 - cols[full, ::-1].argmax(1)
    return PackedMasks(words, area, box, (h, w))


def pair_intersections(a: PackedMasks, b: PackedMasks, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Intersection pixel counts (p,) int64 of the pairs (a[ia[k]], b[ib[k]]); pairs are processed in chunks,
    each on the rows where both boxes lie."""
    ia, ib = np.asarray(ia, np.int64), np.asarray(ib, np.int64)
    out = np.zeros(ia.shape[0], np.int64)
    if ia.size == 0:
        return out
    r0 = np.maximum(a.box[ia, 0], b.box[ib, 0])
    r1 = np.minimum(a.box[ia, 1], b.box[ib, 1])
    live = np.flatnonzero(r0 <= r1)
    if live.size == 0:
        return out
    live = live[np.argsort(r0[live], kind="stable")]  # neighbouring pairs share row windows
    q = a.words.shape[2]
    step = max(1, _CHUNK_BYTES // max(1, a.words.shape[1] * q * 8))
    for s in range(0, live.size, step):
        k = live[s:s + step]
        lo, hi = int(r0[k].min()), int(r1[k].max()) + 1  # common row window of the chunk
        out[k] = _popcount_rows(a.words[ia[k], lo:hi] & b.words[ib[k], lo:hi])
    return out


def packed_mask_iou(det: PackedMasks, gt: PackedMasks, crowd: np.ndarray | None = None,
                    candidates: np.ndarray | None = None) -> np.ndarray:
    """(n, m) float64 IoU as ``maskUtils.iou``: a crowd ground truth uses intersection / detection area, an empty
    union gives 0. ``candidates`` (n, m) bool restricts the work to those pairs (others are reported as 0: callers
    that never read them, e.g. pairs of different categories)."""
    n, m = len(det), len(gt)
    iou = np.zeros((n, m))
    if n == 0 or m == 0:
        return iou
    db, gb = det.box[:, None], gt.box[None]
    ok = ((np.maximum(db[..., 0], gb[..., 0]) <= np.minimum(db[..., 1], gb[..., 1]))
          & (np.maximum(db[..., 2], gb[..., 2]) <= np.minimum(db[..., 3], gb[..., 3])))  # boxes overlap
    if candidates is not None:
        ok &= np.asarray(candidates, bool)
    i, j = np.nonzero(ok)
    if i.size == 0:
        return iou
    inter = pair_intersections(det, gt, i, j).astype(np.float64)
    da = det.area[i].astype(np.float64)
    union = da + gt.area[j] - inter
    if crowd is not None:
        union = np.where(np.asarray(crowd, bool)[j], da, union)
    iou[i, j] = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return iou
