"""The network as it is exported: a fused copy whose attention is written in an export-friendly form.

The maths is unchanged. Only the tensor layout of area attention differs from :mod:`yolov12.nn.attention`
(which uses ``scaled_dot_product_attention`` on (B, heads, N, d)): here q, k, v stay channel-major
(B, heads, [area,] d, L) as the qkv conv writes them, so the graph needs one Transpose in and one out per
attention (none for global attention) and both MatMuls take their transposed operand directly, a pattern
onnxruntime fuses into FusedMatMul (scale included). Sizes are derived from the input (``-1`` reshapes), so
the same graph serves every input size when exported with dynamic axes.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from yolov12.models.detection import DetectionModel
from yolov12.nn.attention import AAttn, AAttnTurbo
from yolov12.nn.blocks import C3k2
from yolov12.nn.conv import Conv


def _rows(conv: Conv, rows: torch.Tensor) -> nn.Sequential:
    """The output channels ``rows`` of a fused :class:`Conv` as their own conv (+ the same activation)."""
    src = conv.conv
    new = nn.Conv2d(src.in_channels, len(rows), src.kernel_size, src.stride, src.padding, groups=src.groups,
                    bias=True).to(src.weight)
    with torch.no_grad():
        new.weight.copy_(src.weight[rows])
        new.bias.copy_(src.bias[rows] if src.bias is not None else torch.zeros(len(rows)))
    return nn.Sequential(new, conv.act)


SPLIT_C3K2 = True


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
    """q, k, v (..., d, L) -> (..., d, L): softmax(q^T k * scale) applied to v, per leading index."""
    attn = torch.matmul(q.transpose(-2, -1), k) * scale  # (..., Lq, Lk)
    return torch.matmul(v, attn.softmax(-1).transpose(-2, -1))  # (..., d, Lq)


class ExportAAttn(nn.Module):
    """Area attention of an :class:`AAttn` or :class:`AAttnTurbo` (shares its convs), channel-major form."""

    def __init__(self, src: AAttn | AAttnTurbo) -> None:
        super().__init__()
        self.src = src
        self.turbo = isinstance(src, AAttnTurbo)
        self.heads, self.area, self.d = src.heads, src.area, src.head_dim
        self.scale = self.d ** -0.5
        if not self.turbo:  # qkv channels are [q_h | k_h | v_h] per head
            per_head = torch.arange(self.heads).view(-1, 1) * 3 * self.d
            part = [(per_head + torch.arange(self.d) + i * self.d).flatten() for i in range(3)]
            self.q, self.k, self.v = (_rows(src.qkv, r) for r in part)

    def _areas(self, t: torch.Tensor, B: int) -> torch.Tensor:
        """(B, n, c, N) -> (B, n, area, c, N / area) when area > 1 (a no-op for global attention)."""
        if self.area == 1:
            return t
        return t.view(B, t.shape[1], t.shape[2], self.area, -1).transpose(2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        h, a, d, s = self.heads, self.area, self.d, self.src
        if a > 1 and (int(H) * int(W)) % a:  # uneven areas: the reference masked path (static shapes only)
            return s(x)
        if self.turbo:  # qk conv writes [q heads | k heads]; v has its own conv
            v_map = s.v(x)
            q, k = self._areas(s.qk(x).view(B, 2 * h, d, -1), B).chunk(2, 1)
            v = self._areas(v_map.view(B, h, d, -1), B)
        else:  # q, k, v convs cut from the fused qkv conv: no Split/Slice, v already a map for pe
            v_map = self.v(x)
            q = self._areas(self.q(x).view(B, h, d, -1), B)
            k = self._areas(self.k(x).view(B, h, d, -1), B)
            v = self._areas(v_map.view(B, h, d, -1), B)
        pe_in = v_map
        o = _attend(q, k, v, self.scale)
        if a > 1:
            o = o.transpose(2, 3)
        return s.proj(o.reshape(B, C, H, W) + s.pe(pe_in))


class ExportC3k2(nn.Module):
    """:class:`C3k2` with its first conv cut in two (one per chunk): no Split op between the convs."""

    def __init__(self, src: C3k2) -> None:
        super().__init__()
        c = src.cv1.conv.out_channels // 2
        self.a, self.b = _rows(src.cv1, torch.arange(c)), _rows(src.cv1, torch.arange(c, 2 * c))
        self.m, self.cv2 = src.m, src.cv2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.a(x), self.b(x)]
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


def export_form(model: DetectionModel) -> DetectionModel:
    """A fused, eval-mode deep copy of ``model`` with export-form attention (the input is left untouched)."""
    m = copy.deepcopy(model).eval().fuse()
    for parent in list(m.modules()):
        for name, child in parent.named_children():
            if isinstance(child, AAttn | AAttnTurbo):
                setattr(parent, name, ExportAAttn(child))
            elif isinstance(child, C3k2) and SPLIT_C3K2:
                setattr(parent, name, ExportC3k2(child))
    for p in m.parameters():
        p.requires_grad_(False)
    return m
