"""Tiled prediction of large images (aerial scenes): the shared geometry and the axis-aligned merge.

``predict(src, tile=1024, tile_overlap=0.2)`` cuts each image larger than ``tile`` into tile x tile windows
(:func:`tile_windows`; neighbours share ``int(tile * tile_overlap)`` pixels, the last row / column aligned with the
far edge), letterboxes each crop at ``imgsz`` like any image, post-processes it (predictions in crop pixels),
then the task merges the crops' predictions into the image's pixels (:meth:`Task.merge_tiles`): shift by the
window origin, drop small boxes cut by an inner tile side (a neighbouring tile sees them whole), then NMS across
tiles (axis-aligned here for detection; rotated for OBB in :mod:`yolov12.inference.obb`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from yolov12.data.formats.dota import tile_windows
from yolov12.inference.postprocess import NMSConfig
from yolov12.ops.nms import batched_nms

Window = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels

__all__ = ["Window", "cut_by_inner_edge", "merge_box_tiles", "needs_tiling", "overlap_pixels", "tile_windows"]


def overlap_pixels(tile: int, overlap: float) -> int:
    """The overlap fraction as whole pixels shared by neighbouring tiles (always < ``tile``)."""
    return int(tile * overlap)


def needs_tiling(hw: tuple[int, int], tile: int | None) -> bool:
    """Whether an image of (h, w) is cut into tiles (a tile as large as the image: plain prediction)."""
    return tile is not None and (hw[0] > tile or hw[1] > tile)


def cut_by_inner_edge(xyxy: torch.Tensor, window: Window, hw: tuple[int, int], overlap: int,
                      edge: float = 2.0) -> torch.Tensor:
    """(n, 4) boxes (or enclosing boxes) in tile pixels -> (n,) bool: the box touches (within ``edge`` px) a tile
    side that lies inside the image, and both its sides are shorter than ``overlap`` (so the neighbouring tile,
    overlapping by ``overlap``, sees it whole). Always False without overlap."""
    if overlap <= 0 or len(xyxy) == 0:
        return torch.zeros(len(xyxy), dtype=torch.bool)
    x0, y0, x1, y1 = window
    h, w = hw
    e = xyxy
    small = ((e[:, 2] - e[:, 0]) < overlap) & ((e[:, 3] - e[:, 1]) < overlap)
    cut = ((e[:, 0] < edge) & (x0 > 0)) | ((e[:, 1] < edge) & (y0 > 0)) | \
          ((e[:, 2] > x1 - x0 - edge) & (x1 < w)) | ((e[:, 3] > y1 - y0 - edge) & (y1 < h))
    return small & cut


def merge_box_tiles(preds: Sequence[torch.Tensor], windows: Sequence[Window], hw: tuple[int, int], nms: NMSConfig,
                    overlap: int = 0) -> torch.Tensor:
    """Per-tile detections (n_i, 6) x1, y1, x2, y2, conf, cls in tile pixels -> (n, 6) in image pixels: small
    boxes cut by an inner tile side dropped, the rest shifted by their window's origin, then greedy NMS across
    tiles (per class unless ``nms.agnostic``), at most ``nms.max_det``, best first."""
    parts = []
    for p, win in zip(preds, windows, strict=True):
        p = torch.as_tensor(p, dtype=torch.float32).reshape(-1, 6).clone()
        p = p[~cut_by_inner_edge(p[:, :4], win, hw, overlap)]
        p[:, [0, 2]] += win[0]
        p[:, [1, 3]] += win[1]
        parts.append(p)
    allp = torch.cat(parts) if parts else torch.zeros(0, 6)
    keep = batched_nms(allp[:, :4], allp[:, 4], None if nms.agnostic else allp[:, 5].long(), nms.iou, nms.max_det)
    return allp[keep]
