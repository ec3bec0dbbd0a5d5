"""Instance-segmentation head: :class:`Detect` plus per-anchor mask coefficients (``cv4``) and :class:`Proto`.

Masks are a linear combination of ``nm`` (32) prototype maps at stride 4 (from P3): the mask logits of anchor a
are ``coefficients_a @ protos``; ``sigmoid`` of that, cropped to the anchor's box, is the instance mask.
"""

from __future__ import annotations

import torch
from torch import nn

from yolov12.nn.conv import Conv, conv2d
from yolov12.nn.head import Detect, DetectDeploy


class Proto(nn.Module):
    """Prototype generator on P3: Conv3x3 to ``c_``, ConvTranspose 2x2 stride 2 (+bias), Conv3x3, Conv1x1 to ``c2``
    (every Conv with BN + SiLU). (B, c1, H, W) -> (B, c2, 2H, 2W)."""

    def __init__(self, c1: int, c_: int = 256, c2: int = 32) -> None:
        super().__init__()
        self.cv1 = Conv(c1, c_, 3)
        self.upsample = nn.ConvTranspose2d(c_, c_, 2, 2, 0, bias=True)
        self.cv2 = Conv(c_, c_, 3)
        self.cv3 = Conv(c_, c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(self.cv2(self.upsample(self.cv1(x))))


class Segment(Detect):
    """Detect + mask coefficients + prototypes.

    Training mode (and :meth:`raw_maps`): ``(maps, protos)`` with maps [(B, 4 * reg_max + nc + nm, H_i, W_i)]
    (box logits, class logits, mask coefficients) and protos (B, nm, H_0 * 2, W_0 * 2) (stride 4).
    Eval mode: ``(pred, protos)`` with pred (B, 4 + nc + nm, A): cx, cy, w, h in input pixels, sigmoid class scores,
    raw mask coefficients.
    """

    def __init__(self, nc: int, channels: tuple[int, ...], strides: tuple[int, ...] = (8, 16, 32),
                 reg_max: int = 16, nm: int = 32, npr: int = 256) -> None:
        super().__init__(nc, channels, strides, reg_max)
        self.nm, self.npr = nm, npr
        self.proto = Proto(channels[0], npr, nm)
        c4 = max(channels[0] // 4, nm)
        self.cv4 = nn.ModuleList(nn.Sequential(Conv(c, c4, 3), Conv(c4, c4, 3), nn.Conv2d(c4, nm, 1)) for c in channels)

    def forward(self, feats: list[torch.Tensor]):
        if self.training:
            return self.raw_maps(feats)
        b = feats[0].shape[0]
        p = self.proto(feats[0])
        box = torch.cat([conv2d(self.cv2[i][2], self.cv2[i][1](self.cv2[i][0](x))).view(b, 4 * self.reg_max, -1)
                         for i, x in enumerate(feats)], 2)
        cls = torch.cat([conv2d(self.cv3[i][2], self.cv3[i][1](self.cv3[i][0](x))).view(b, self.nc, -1)
                         for i, x in enumerate(feats)], 2)
        mc = torch.cat([conv2d(self.cv4[i][2], self.cv4[i][1](self.cv4[i][0](x))).view(b, self.nm, -1)
                        for i, x in enumerate(feats)], 2)
        return torch.cat((self.decode_parts(box, cls, feats), mc), 1), p

    def raw_maps(self, feats: list[torch.Tensor]) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Training-mode output whatever the mode: ([(B, 4 * reg_max + nc + nm, H_i, W_i)], protos)."""
        return super().raw_maps(feats), self.proto(feats[0])

    def branches(self) -> tuple[nn.ModuleList, ...]:
        return (self.cv2, self.cv3, self.cv4)

    def deploy(self) -> nn.Module:
        return SegmentDeploy(self)


class SegmentDeploy(DetectDeploy):
    """Export form of :class:`Segment` (fused, eval mode): the same ``(pred, protos)``."""

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        d = self.src
        box, cls, box_maps = self.box_cls(feats)
        mc = self.level_cat(d.cv4, d.nm, feats)
        return torch.cat((d.decode_parts(box, cls, box_maps), mc), 1), d.proto(feats[0])
