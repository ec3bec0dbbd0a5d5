"""Detection head: per-level box and class branches, DFL decoding (spec section 2)."""

from __future__ import annotations

import math

import torch
from torch import nn

from yolov12.nn.conv import Conv, DWConv, conv2d
from yolov12.ops.anchors import dist2bbox, make_anchors


class DFL(nn.Module):
    """Distribution focal loss integral: (B, 4 * reg_max, A) logits -> (B, 4, A) expected distances (bins)."""

    def __init__(self, reg_max: int = 16) -> None:
        super().__init__()
        self.reg_max = reg_max
        self.conv = nn.Conv2d(reg_max, 1, 1, bias=False).requires_grad_(False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.arange(reg_max, dtype=torch.float32).view(1, reg_max, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # softmax over the bins written out (max, exp, two sums): the same numbers as softmax(2) @ arange, 2.4x
        # faster in eager PyTorch, and 30x faster in onnxruntime, whose Softmax on a non-last axis is slow
        b, _, a = x.shape
        x = x.view(b, 4, self.reg_max, a)
        e = (x - x.amax(2, keepdim=True)).exp()
        return (e * self.conv.weight.view(1, 1, self.reg_max, 1)).sum(2) / e.sum(2)


class Detect(nn.Module):
    """Anchor-free decoupled head over P3/P4/P5.

    ``forward(feats)`` returns the raw maps [(B, 4 * reg_max + nc, H_i, W_i)] (box logits first) in training
    mode and ``decode(raw)`` (B, 4 + nc, A) in eval mode: cx, cy, w, h in input pixels, then sigmoid scores.
    """

    def __init__(self, nc: int, channels: tuple[int, ...], strides: tuple[int, ...] = (8, 16, 32), reg_max: int = 16) -> None:
        super().__init__()
        self.nc, self.reg_max, self.nl = nc, reg_max, len(channels)
        self.register_buffer("stride", torch.tensor(strides, dtype=torch.float32), persistent=False)
        c2 = max(16, channels[0] // 4, reg_max * 4)
        c3 = max(channels[0], min(nc, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(Conv(c, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * reg_max, 1)) for c in channels
        )
        self.cv3 = nn.ModuleList(
            nn.Sequential(
                nn.Sequential(DWConv(c, c, 3), Conv(c, c3, 1)),
                nn.Sequential(DWConv(c3, c3, 3), Conv(c3, c3, 1)),
                nn.Conv2d(c3, nc, 1),
            )
            for c in channels
        )
        self.dfl = DFL(reg_max)
        self._anchor_cache: tuple[tuple, torch.Tensor, torch.Tensor] | None = None
        self.init_bias()

    @torch.no_grad()
    def init_bias(self, box_bias: float = 1.0) -> None:
        """Box logits start at ``box_bias``; class logits at log(5 / nc / (640 / stride)^2) (~5 objects/image)."""
        for box, cls, s in zip(self.cv2, self.cv3, self.stride.tolist()):
            box[-1].bias.fill_(box_bias)
            cls[-1].bias.fill_(math.log(5 / self.nc / (640 / s) ** 2))

    def branches(self) -> tuple[nn.ModuleList, ...]:
        """The per-level branches whose maps are concatenated, in channel order; a task head adds its own (cv4)."""
        return (self.cv2, self.cv3)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor] | torch.Tensor:
        if self.training:
            return self.raw_maps(feats)
        branches = self.branches()
        raw = [  # the final 1x1 convs through the fused-inference conv kernel (plain nn.Conv2d modules)
            torch.cat([conv2d(br[i][2], br[i][1](br[i][0](x))) for br in branches], 1) for i, x in enumerate(feats)
        ]
        return self.decode(raw)

    def raw_maps(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """The training-mode output whatever the mode: [(B, 4 * reg_max + nc (+ the task branch), H_i, W_i)] (for a
        validation loss)."""
        branches = self.branches()
        return [torch.cat([br[i](x) for br in branches], 1) for i, x in enumerate(feats)]

    def anchors(self, raw: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Anchor centres (2, A) in grid units and strides (1, A) for the maps' sizes (cached per size)."""
        shapes = tuple(tuple(x.shape[2:]) for x in raw)
        key = (shapes, raw[0].device, raw[0].dtype)
        graph = torch.jit.is_tracing() or torch.compiler.is_compiling()  # anchors must be part of the graph
        if graph or self._anchor_cache is None or self._anchor_cache[0] != key:
            points, strides = make_anchors(
                [x.shape[2:] for x in raw], self.stride.tolist(), device=raw[0].device, dtype=raw[0].dtype
            )
            if graph:
                return points.T, strides.T
            self._anchor_cache = (key, points.T.contiguous(), strides.T.contiguous())
        return self._anchor_cache[1], self._anchor_cache[2]

    def decode(self, raw: list[torch.Tensor]) -> torch.Tensor:
        """Raw maps -> (B, 4 + nc, A): boxes cx, cy, w, h in input pixels, then sigmoid class scores."""
        b = raw[0].shape[0]
        flat = torch.cat([x.view(b, 4 * self.reg_max + self.nc, -1) for x in raw], 2)
        box, cls = flat.split((4 * self.reg_max, self.nc), 1)
        return self.decode_parts(box, cls, raw)

    def decode_parts(self, box: torch.Tensor, cls: torch.Tensor, maps: list[torch.Tensor]) -> torch.Tensor:
        """Box logits (B, 4 * reg_max, A) and class logits (B, nc, A), levels concatenated, -> (B, 4 + nc, A);
        ``maps``: one map per level (only their sizes are read, for the anchors)."""
        points, strides = self.anchors(maps)
        boxes = dist2bbox(self.dfl(box), points.unsqueeze(0), xywh=True, dim=1) * strides
        return torch.cat((boxes, cls.sigmoid()), 1)

    def deploy(self) -> nn.Module:
        """The export form of this (fused, eval-mode) head: :class:`DetectDeploy`, same outputs."""
        return DetectDeploy(self)


class DetectDeploy(nn.Module):
    """:class:`Detect` in eval mode with the box and class maps kept apart until the output: one Concat per
    kind over the levels instead of one per level, one over the levels and a Split (about 1 ms of the n graph)."""

    def __init__(self, src: Detect) -> None:
        super().__init__()
        self.src = src

    def box_cls(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """Box logits (B, 4 * reg_max, A) and class logits (B, nc, A), each concatenated over the levels once, and
        the per-level box maps (their sizes give the anchors)."""
        d, b = self.src, feats[0].shape[0]
        box_maps = [d.cv2[i](x) for i, x in enumerate(feats)]
        box = torch.cat([t.view(b, 4 * d.reg_max, -1) for t in box_maps], 2)
        return box, self.level_cat(d.cv3, d.nc, feats), box_maps

    @staticmethod
    def level_cat(branch: nn.ModuleList, channels: int, feats: list[torch.Tensor]) -> torch.Tensor:
        """One branch's maps over the levels -> (B, channels, A)."""
        b = feats[0].shape[0]
        return torch.cat([branch[i](x).view(b, channels, -1) for i, x in enumerate(feats)], 2)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        box, cls, box_maps = self.box_cls(feats)
        return self.src.decode_parts(box, cls, box_maps)
