"""Oriented-box head: :class:`Detect` plus one angle per anchor (Ultralytics YOLO12 ``OBB`` layout).

Per level an angle branch ``cv4`` (Conv3x3, Conv3x3, plain Conv2d 1x1 + bias to ``ne`` = 1 logit), width
max(P3 channels // 4, ne). The angle is (sigmoid(logit) - 0.25) * pi in [-pi/4, 3pi/4). The box is decoded from
the DFL distances l, t, r, b in the box's own turned frame: centre = anchor + R(angle) ((r - l) / 2, (b - t) / 2),
w = l + r, h = t + b, all times the stride.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from yolov12.nn.conv import Conv
from yolov12.nn.head import Detect, DetectDeploy


def decode_angle(raw: torch.Tensor) -> torch.Tensor:
    """Raw angle logits -> radians in [-pi/4, 3pi/4)."""
    return (raw.sigmoid() - 0.25) * math.pi


def dist2rbox(dist: torch.Tensor, angle: torch.Tensor, points: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Distances (l, t, r, b) measured in the box's turned frame, the angle and the anchor points -> cx, cy, w, h
    (same units as ``dist`` and ``points``), along ``dim``."""
    lt, rb = dist.chunk(2, dim)
    cos, sin = angle.cos(), angle.sin()
    xf, yf = ((rb - lt) / 2).chunk(2, dim)
    x, y = xf * cos - yf * sin, xf * sin + yf * cos
    return torch.cat((torch.cat((x, y), dim) + points, lt + rb), dim)


class OBB(Detect):
    """``forward(feats)``: raw maps [(B, 4 * reg_max + nc + ne, H_i, W_i)] (box logits, class logits, angle logit)
    in training mode; in eval mode (B, 4 + nc + ne, A): rotated cx, cy, w, h in input pixels, sigmoid class
    scores, angle in radians."""

    def __init__(self, nc: int, channels: tuple[int, ...], strides: tuple[int, ...] = (8, 16, 32),
                 reg_max: int = 16, ne: int = 1) -> None:
        super().__init__(nc, channels, strides, reg_max)
        self.ne = ne
        c4 = max(channels[0] // 4, ne)
        self.cv4 = nn.ModuleList(nn.Sequential(Conv(c, c4, 3), Conv(c4, c4, 3), nn.Conv2d(c4, ne, 1)) for c in channels)

    def branches(self) -> tuple[nn.ModuleList, ...]:
        return (self.cv2, self.cv3, self.cv4)

    def decode(self, raw: list[torch.Tensor]) -> torch.Tensor:
        b = raw[0].shape[0]
        flat = torch.cat([x.view(b, 4 * self.reg_max + self.nc + self.ne, -1) for x in raw], 2)
        box, cls, ang = flat.split((4 * self.reg_max, self.nc, self.ne), 1)
        return self.decode_obb(box, cls, ang, raw)

    def decode_obb(self, box: torch.Tensor, cls: torch.Tensor, ang: torch.Tensor, maps: list[torch.Tensor]) -> torch.Tensor:
        """Box logits (B, 4R, A), class logits (B, nc, A), angle logits (B, ne, A) -> (B, 4 + nc + ne, A)."""
        points, strides = self.anchors(maps)
        angle = decode_angle(ang)
        boxes = dist2rbox(self.dfl(box), angle[:, :1], points.unsqueeze(0), dim=1) * strides
        return torch.cat((boxes, cls.sigmoid(), angle), 1)

    def deploy(self) -> nn.Module:
        return OBBDeploy(self)


class OBBDeploy(DetectDeploy):
    """:class:`OBB` in eval mode for export: per kind one Concat over the levels (same outputs)."""

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        d = self.src
        box, cls, box_maps = self.box_cls(feats)
        return d.decode_obb(box, cls, self.level_cat(d.cv4, d.ne, feats), box_maps)
