"""Instance masks: polygons <-> masks, overlap index masks, prototype decoding, letterbox undo, COCO RLE.

Conventions: polygons are (k, 2) xy in pixels of the image they belong to, pixel (x, y) covers [x, x+1) x [y, y+1);
masks are (n, h, w) uint8/bool; boxes are xyxy pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

_SCALE = 5.0  # COCO's rasteriser works on a 5x upsampled grid


def polygon_to_mask(polygon: np.ndarray, hw: tuple[int, int], ratio: int = 1) -> np.ndarray:
    """Rasterise one (k, 2) polygon (pixels of an image of size ``hw``) into an (h // ratio, w // ratio) uint8 mask
    (the polygon divided by ``ratio``), bit-identical to COCO's ``frPyObjects`` + ``decode`` (maskApi ``rleFrPoly``).

    The rule, reimplemented vectorised: vertices are rounded onto a 5x grid (C ``(int)(5v + .5)``, truncating toward
    zero), each edge is walked one grid step at a time along its major axis (rounding the minor one), and wherever
    the walk crosses a pixel-centre column (grid x = 5i + 2) the crossing's lower grid y is mapped back to a pixel
    row (ceil, clamped to [0, h]). Pixels then toggle at each crossing down the column-major image (even-odd), so
    a pixel is filled when its centre lies inside, edges on the right/bottom excluded: a 20..50 rectangle fills
    columns 20..49. Fewer than 3 points give an empty mask."""
    return polygons_to_masks([polygon], hw, ratio)[0]


def polygons_to_masks(polygons: np.ndarray | list, hw: tuple[int, int], ratio: int = 1) -> np.ndarray:
    """n polygons -> (n, h // ratio, w // ratio) uint8 masks, one per polygon (:func:`polygon_to_mask`'s rule; the
    edges of all polygons are walked in one vectorised pass)."""
    h, w = hw[0] // ratio, hw[1] // ratio
    masks = np.zeros((len(polygons), w, h), np.uint8)  # transposed: column-major like COCO's RLE
    polys = [np.asarray(p, np.float64).reshape(-1, 2) for p in polygons]
    ids = [i for i, p in enumerate(polys) if len(p) >= 3]
    if not ids or h <= 0 or w <= 0:
        return np.ascontiguousarray(masks.transpose(0, 2, 1))
    pts = np.concatenate([polys[i] for i in ids])
    if ratio != 1:
        pts = pts / ratio
    sizes = np.array([len(polys[i]) for i in ids])
    first = np.cumsum(sizes) - sizes
    nxt = np.arange(len(pts)) + 1
    nxt[first + sizes - 1] = first  # each polygon's last vertex joins its first
    g = np.trunc(_SCALE * pts + 0.5).astype(np.int64)  # C (int) cast: toward zero
    xs, ys = g[:, 0], g[:, 1]
    xe, ye = xs[nxt], ys[nxt]
    dx, dy = np.abs(xe - xs), np.abs(ye - ys)
    major_x = dx >= dy
    flip = (major_x & (xs > xe)) | (~major_x & (ys > ye))
    xs, xe = np.where(flip, xe, xs), np.where(flip, xs, xe)
    ys, ye = np.where(flip, ye, ys), np.where(flip, ys, ye)
    n = np.maximum(dx, dy)
    with np.errstate(invalid="ignore", divide="ignore"):  # a zero-length edge: its one point never crosses a column
        s = np.where(major_x, (ye - ys) / dx, (xe - xs) / dy)
    s = np.nan_to_num(s)
    edge = np.repeat(np.arange(len(g)), n + 1)
    d = np.arange(edge.size) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)  # 0..n within each edge
    t = np.where(flip[edge], n[edge] - d, d)
    mx = major_x[edge]
    minor = np.trunc(np.where(mx, ys[edge], xs[edge]) + s[edge] * t + 0.5).astype(np.int64)
    u = np.where(mx, t + xs[edge], minor)
    v = np.where(mx, minor, t + ys[edge])
    pid = np.repeat(np.arange(len(ids)), sizes)[edge]  # polygon of each walked point
    # crossings of pixel-centre columns, within one polygon's walk
    j = np.flatnonzero((u[1:] != u[:-1]) & (pid[1:] == pid[:-1])) + 1
    xd = np.where(u[j] < u[j - 1], u[j], u[j] - 1).astype(np.float64)
    xd = (xd + 0.5) / _SCALE - 0.5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= w - 1)
    j, xd = j[keep], xd[keep]
    yd = np.minimum(v[j], v[j - 1]).astype(np.float64)
    yd = np.ceil(np.clip((yd + 0.5) / _SCALE - 0.5, 0, h)).astype(np.int64)
    xi, pj = xd.astype(np.int64), pid[j]
    order = np.argsort(pj, kind="stable")
    xi, yd, pj = xi[order], yd[order], pj[order]
    bounds = np.searchsorted(pj, np.arange(len(ids) + 1))
    for k, i in enumerate(ids):
        a, b = bounds[k], bounds[k + 1]
        if a == b:
            continue
        x0, x1 = int(xi[a:b].min()), int(xi[a:b].max()) + 1  # the columns this polygon's crossings touch
        pos = (xi[a:b] - x0) * h + yd[a:b]  # y = h toggles at the next column's start, as COCO's RLE
        n_px = (x1 - x0) * h
        masks[i, x0:x1] = (np.cumsum(np.bincount(pos, minlength=n_px + 1)[:n_px]) & 1).reshape(x1 - x0, h)
    return np.ascontiguousarray(masks.transpose(0, 2, 1))


def overlap_masks(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, h, w) instance masks -> (index mask (h, w), order): objects sorted by mask area, largest first; pixel
    value j + 1 = the j-th object of ``order`` (smaller objects drawn over larger ones), 0 = background. uint8 for
    up to 255 objects, else int32."""
    n = len(masks)
    order = np.argsort(-masks.reshape(n, -1).sum(1), kind="stable") if n else np.zeros(0, np.int64)
    out = np.zeros(masks.shape[1:], np.uint8 if n < 256 else np.int32)
    for j, k in enumerate(order):
        out[masks[k] > 0] = j + 1
    return out, order


def mask_logits(protos: torch.Tensor, coefs: torch.Tensor) -> torch.Tensor:
    """(nm, h, w) prototypes and (n, nm) coefficients -> (n, h, w) mask logits."""
    nm, h, w = protos.shape
    return (coefs @ protos.reshape(nm, -1)).reshape(-1, h, w)


def crop_masks(masks: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Zero (n, h, w) masks outside (n, 4) xyxy boxes (mask pixels; pixel x kept when x1 <= x < x2): the mask loss's
    crop; :func:`box_masks` is the rule."""
    return masks * box_masks(masks.shape[1:], boxes)


def masks_to_original(logits: torch.Tensor, in_hw: tuple[int, int], orig_hw: tuple[int, int],
                      ratio_pad: tuple[float, tuple[float, float]] | None, boxes: torch.Tensor,
                      retina: bool = True) -> torch.Tensor:
    """Mask logits at prototype resolution (n, hp, wp) of a letterboxed input ``in_hw`` -> bool masks, thresholded
    at probability 0.5 and cut to the (n, 4) xyxy ``boxes`` (original pixels): upsampled to the input size and the
    letterbox padding removed, then

    - ``retina`` True: resized to the original image, (n, H0, W0);
    - ``retina`` False: left at the resized image's resolution (the input without its padding, about
      (H0 * gain, W0 * gain)), the boxes scaled to it; the masks still span the whole original image.
    """
    n = logits.shape[0]
    H0, W0 = orig_hw
    H, W = in_hw
    if ratio_pad is None:
        gain = min(H / H0, W / W0)
        pad = ((W - W0 * gain) / 2, (H - H0 * gain) / 2)
    else:
        gain, pad = ratio_pad
    top, left = max(int(round(pad[1] - 0.1)), 0), max(int(round(pad[0] - 0.1)), 0)
    bottom, right = min(int(round(H0 * gain + pad[1] + 0.1)), H), min(int(round(W0 * gain + pad[0] + 0.1)), W)
    out_hw = (H0, W0) if retina else (bottom - top, right - left)
    if n == 0:
        return torch.zeros((0, *out_hw), dtype=torch.bool, device=logits.device)
    x = F.interpolate(logits[None].float(), (H, W), mode="bilinear", align_corners=False)[0]
    x = x[:, top:bottom, left:right]
    if retina:
        x = F.interpolate(x[None], (H0, W0), mode="bilinear", align_corners=False)[0]
    scale = boxes.new_tensor([out_hw[1] / W0, out_hw[0] / H0] * 2)
    return box_masks(x.shape[1:], (boxes * scale).to(x.dtype)) & (x > 0)  # = crop_masks(...) > 0, in bools


def box_masks(hw: tuple[int, int], boxes: torch.Tensor) -> torch.Tensor:
    """(n, 4) xyxy boxes -> (n, h, w) bool: pixel (y, x) inside box i (x1 <= x < x2, y1 <= y < y2), the pixels
    :func:`crop_masks` keeps; built from per-row and per-column bools (one byte per pixel)."""
    h, w = hw
    x1, y1, x2, y2 = boxes[:, :, None].unbind(1)
    r = torch.arange(w, device=boxes.device, dtype=boxes.dtype).view(1, w)
    c = torch.arange(h, device=boxes.device, dtype=boxes.dtype).view(1, h)
    cols, rows = (r >= x1) & (r < x2), (c >= y1) & (c < y2)
    return rows[:, :, None] & cols[:, None, :]


def mask_to_polygons(mask: np.ndarray) -> list[np.ndarray]:
    """(h, w) binary mask -> its outer contours as (k, 2) float32 pixel polygons (vertices at pixel centres + 0.5),
    largest first; parts with fewer than 3 points are dropped."""
    contours, _ = cv2.findContours(np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    polys = [c.reshape(-1, 2).astype(np.float32) + 0.5 for c in contours if len(c) >= 3]
    return sorted(polys, key=lambda p: -cv2.contourArea(p))


def rle_encode(mask: np.ndarray) -> dict:
    """(h, w) binary mask -> COCO RLE ``{"size": [h, w], "counts": str}`` (column-major, compressed counts)."""
    h, w = mask.shape
    flat = np.asarray(mask, bool).T.reshape(-1)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0] + runs
    return {"size": [h, w], "counts": _compress(runs)}


def _compress(runs: list[int]) -> str:
    """COCO's LEB128-like string encoding of run lengths (maskApi.c rleToString)."""
    out = []
    for i, x in enumerate(runs):
        if i > 2:
            x -= runs[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def rle_decode(rle: dict) -> np.ndarray:
    """COCO RLE (compressed string or uncompressed list counts) -> (h, w) uint8 mask."""
    h, w = rle["size"]
    counts = rle["counts"]
    if isinstance(counts, str | bytes):
        counts = _decompress(counts.decode() if isinstance(counts, bytes) else counts)
    flat = np.zeros(h * w, np.uint8)
    pos, val = 0, 0
    for c in counts:
        if val:
            flat[pos:pos + c] = 1
        pos += c
        val ^= 1
    return flat.reshape(w, h).T.copy()


def _decompress(s: str) -> list[int]:
    runs: list[int] = []
    p = 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs
