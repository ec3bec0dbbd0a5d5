"""Anchor points (cell centres) and the distance <-> box transforms of anchor-free heads."""

from __future__ import annotations

import torch


def make_anchors(
    shapes: list[tuple[int, int]], strides: list[int] | torch.Tensor, offset: float = 0.5,
    device: torch.device | None = None, dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell-centre anchors for feature maps of ``shapes`` [(h, w), ...].

    Returns ``points`` (A, 2) as (x, y) in grid units of each level (x + 0.5, y + 0.5), row-major per level,
    levels concatenated in order, and ``stride`` (A, 1) with each anchor's stride in pixels.
    """
    points, stride_list = [], []
    f32 = torch.float32  # built in float32 and cast: a float16 arange does not export (ONNX Range)
    for (h, w), s in zip(shapes, strides):
        sx = torch.arange(w, device=device, dtype=f32) + offset
        sy = torch.arange(h, device=device, dtype=f32) + offset
        yy, xx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((xx, yy), -1).view(-1, 2))
        stride_list.append(torch.full((h * w, 1), float(s), device=device, dtype=f32))
    return torch.cat(points).to(dtype), torch.cat(stride_list).to(dtype)


def dist2bbox(distance: torch.Tensor, points: torch.Tensor, xywh: bool = True, dim: int = -1) -> torch.Tensor:
    """(l, t, r, b) distances from ``points`` -> boxes (cx, cy, w, h if ``xywh`` else x1, y1, x2, y2)."""
    lt, rb = distance.chunk(2, dim)
    x1y1 = points - lt
    x2y2 = points + rb
    if xywh:
        return torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), dim)
    return torch.cat((x1y1, x2y2), dim)


def bbox2dist(points: torch.Tensor, bbox: torch.Tensor, reg_max: float) -> torch.Tensor:
    """xyxy boxes -> (l, t, r, b) distances from ``points``, clamped to [0, reg_max - 0.01]."""
    x1y1, x2y2 = bbox.chunk(2, -1)
    return torch.cat((points - x1y1, x2y2 - points), -1).clamp_(0, reg_max - 0.01)
