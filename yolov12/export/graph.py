"""The network as it is exported: a fused copy whose attention is written in an export-friendly form.

The maths is unchanged. Only the tensor layout of area attention differs from :mod:`yolov12.nn.attention`
(which uses ``scaled_dot_product_attention`` on (B, heads, N, d)): here q, k, v stay channel-major
(B, heads, [area,] d, L) as the qkv conv writes them, so the graph needs one Transpose in and one out per
attention (none for global attention) and both MatMuls take their transposed operand directly, a pattern
onnxruntime fuses into FusedMatMul (scale included). Sizes are derived from the input (``-1`` reshapes), so
the same graph serves every input size when exported with dynamic axes.

In the neck, each Concat (and the Upsample before it) is folded into the 1x1 conv that reads it
(:class:`SumConv`): one conv per part, the upsampled parts convolved at their own, lower resolution. Exact
up to float rounding; with the DFL written without a non-last-axis Softmax this takes the n graph from 0.96x
to 0.79-0.89x (typically 0.86x) the reference graph's onnxruntime CPU time (``benchmarks/onnx_cpu.py``).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from yolov12.models.detection import DetectionModel
from yolov12.nn.attention import AAttn, AAttnTurbo
from yolov12.nn.blocks import C3k2
from yolov12.nn.conv import Conv
from yolov12.nn.head import Detect


def _sub_conv(conv: Conv, rows: torch.Tensor, cols: slice = slice(None), bias: bool = True) -> nn.Conv2d:
    """Output channels ``rows`` x input channels ``cols`` of a fused :class:`Conv` as a plain conv (same kernel,
    stride, padding and groups; ``cols`` other than all only for groups=1)."""
    src = conv.conv
    w = src.weight[rows][:, cols]
    new = nn.Conv2d(w.shape[1] * src.groups, w.shape[0], src.kernel_size, src.stride, src.padding,
                    groups=src.groups, bias=bias).to(src.weight)
    with torch.no_grad():
        new.weight.copy_(w)
        if bias:
            new.bias.copy_(src.bias[rows] if src.bias is not None else torch.zeros(len(rows)))
    return new


def _rows(conv: Conv, rows: torch.Tensor) -> nn.Sequential:
    """The output channels ``rows`` of a fused :class:`Conv` as their own conv (+ the same activation)."""
    return nn.Sequential(_sub_conv(conv, rows), conv.act)


SPLIT_C3K2 = True
JOIN_NECK = True  # neck concatenations read by one conv per part (upsampling after the conv); see SumConv
# (the same for the concatenations inside C3k2 / A2C2f / C3k measured neutral: 60.2 vs 59.3 ms for n, 167.0 vs
# 169.8 ms for s; narrower convs cost what the copies saved)


class SumConv(nn.Module):
    """A fused 1x1 :class:`Conv` over a channel concatenation, computed without the concatenation.

    conv(cat(up_i(x_i))) = sum_i up_i(conv_i(x_i)) for a 1x1 conv split by input channels, nearest upsampling
    by integer factors commuting with it (the same per-pixel linear map). The graph then has no Concat, the
    upsampling moves a map of the conv's (smaller) output width, the convs at low resolution cost a quarter,
    and onnxruntime folds each Add into the following conv's output (its Sum fusion). Takes the list of parts.
    """

    def __init__(self, conv: Conv, widths: list[int], ups: list[int], rows: torch.Tensor | None = None) -> None:
        super().__init__()
        if conv.conv.kernel_size != (1, 1) or conv.conv.groups != 1 or conv.conv.stride != (1, 1):
            raise ValueError("SumConv needs a plain 1x1 conv")
        rows = torch.arange(conv.conv.out_channels) if rows is None else rows
        order = sorted(range(len(widths)), key=lambda i: -ups[i])  # upsampled parts first, bias on the last
        starts = [sum(widths[:i]) for i in range(len(widths))]
        self.order, self.ups = order, [ups[i] for i in order]
        self.parts = nn.ModuleList(
            _sub_conv(conv, rows, slice(starts[i], starts[i] + widths[i]), bias=j == len(order) - 1)
            for j, i in enumerate(order)
        )
        self.act = conv.act

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        y = None
        for conv, up, i in zip(self.parts, self.ups, self.order):
            t = conv(xs[i])
            if up > 1:
                t = torch.nn.functional.interpolate(t, scale_factor=float(up), mode="nearest")
            y = t if y is None else y + t
        return self.act(y)


class Parts(nn.Module):
    """Stands in for a Concat (or an Upsample deferred into the next conv): passes its input on unchanged."""

    def forward(self, x):
        return x


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
    """:class:`C3k2` with its first conv cut in two (one per chunk): no Split op between the convs.

    With ``widths`` the input is a list of parts (a joined neck concatenation, see :class:`SumConv`).
    """

    def __init__(self, src: C3k2, widths: list[int] | None = None) -> None:
        super().__init__()
        c = src.cv1.conv.out_channels // 2
        halves = torch.arange(c), torch.arange(c, 2 * c)
        if widths is None:
            self.a, self.b = (_rows(src.cv1, r) for r in halves)
        else:
            self.a, self.b = (SumConv(src.cv1, widths, [1] * len(widths), r) for r in halves)
        self.m, self.cv2 = src.m, src.cv2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.a(x), self.b(x)]
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class ExportDetect(nn.Module):
    """:class:`Detect` in eval mode with the box and class maps kept apart until the output: one Concat per
    kind over the levels instead of one per level, one over the levels and a Split (about 1 ms of the n graph)."""

    def __init__(self, src: Detect) -> None:
        super().__init__()
        self.src = src

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        d, b = self.src, feats[0].shape[0]
        box_maps = [d.cv2[i](x) for i, x in enumerate(feats)]
        box = torch.cat([t.view(b, 4 * d.reg_max, -1) for t in box_maps], 2)
        cls = torch.cat([d.cv3[i](x).view(b, d.nc, -1) for i, x in enumerate(feats)], 2)
        return d.decode_parts(box, cls, box_maps)


def _join_neck(m: DetectionModel) -> None:
    """Rows 9-20: every Concat (and the Upsample before it) folded into the 1x1 conv that reads it."""
    L = m.layers
    widths: dict[int, list[int]] = {}
    hooks = [
        L[i].register_forward_pre_hook(lambda mod, args, i=i: widths.__setitem__(i, [t.shape[1] for t in args[0]]))
        for i in (10, 13, 16, 19)
    ]
    with torch.no_grad():
        m(torch.zeros(1, 3, 64, 64, dtype=next(m.parameters()).dtype, device=next(m.parameters()).device))
    for h in hooks:
        h.remove()
    for cat, up in ((10, 9), (13, 12), (16, None), (19, None)):
        block, w = L[cat + 1], widths[cat]
        ups = [int(L[up].scale_factor), 1] if up is not None else [1, 1]
        if up is not None:
            L[up] = Parts()
        L[cat] = Parts()
        if isinstance(block, C3k2):
            L[cat + 1] = ExportC3k2(block, w)
        else:
            block.cv1 = SumConv(block.cv1, w, ups)


def export_form(model: DetectionModel) -> DetectionModel:
    """A fused, eval-mode deep copy of ``model`` with export-form attention (the input is left untouched)."""
    m = copy.deepcopy(model).eval().fuse()
    if JOIN_NECK:
        _join_neck(m)
    m.layers[21] = ExportDetect(m.layers[21])
    for parent in list(m.modules()):
        for name, child in parent.named_children():
            if isinstance(child, AAttn | AAttnTurbo):
                setattr(parent, name, ExportAAttn(child))
            elif isinstance(child, C3k2) and SPLIT_C3K2:
                setattr(parent, name, ExportC3k2(child))
    for p in m.parameters():
        p.requires_grad_(False)
    return m
