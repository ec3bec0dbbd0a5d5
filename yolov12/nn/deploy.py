"""Export ("deploy") forms of the blocks: the same maths, written for graph runtimes (onnxruntime, TorchScript).

Each class wraps a fused (BatchNorm folded) block and computes exactly what it computes, up to float rounding:

- :class:`DeployAAttn`: area attention with q, k, v kept channel-major (B, heads, [area,] d, L) as the qkv conv
  writes them, so the graph needs one Transpose in and one out per attention (none for global attention) and both
  MatMuls take their transposed operand directly, a pattern onnxruntime fuses into FusedMatMul (scale included).
  Sizes are derived from the input (``-1`` reshapes): one graph serves every input size with dynamic axes.
- :class:`DeployC3k2`: C3k2 with its first conv cut in two, no Split op.
- :class:`SumConv` / :class:`Parts`: a Concat (and the Upsample before it) folded into the 1x1 conv reading it.

Heads carry their own deploy form (``Detect.deploy()``); the network composes them (``YOLOModel.deploy()``).
"""

from __future__ import annotations

import torch
from torch import nn

from yolov12.nn.attention import AAttn, AAttnTurbo
from yolov12.nn.blocks import C3k2
from yolov12.nn.conv import Conv


def sub_conv(conv: Conv, rows: torch.Tensor, cols: slice = slice(None), bias: bool = True) -> nn.Conv2d:
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


def rows_conv(conv: Conv, rows: torch.Tensor) -> nn.Sequential:
    """The output channels ``rows`` of a fused :class:`Conv` as their own conv (+ the same activation)."""
    return nn.Sequential(sub_conv(conv, rows), conv.act)


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
            sub_conv(conv, rows, slice(starts[i], starts[i] + widths[i]), bias=j == len(order) - 1)
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


class DeployAAttn(nn.Module):
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
            self.q, self.k, self.v = (rows_conv(src.qkv, r) for r in part)

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


class DeployC3k2(nn.Module):
    """:class:`C3k2` with its first conv cut in two (one per chunk): no Split op between the convs.

    With ``widths`` the input is a list of parts (a joined neck concatenation, see :class:`SumConv`).
    """

    def __init__(self, src: C3k2, widths: list[int] | None = None) -> None:
        super().__init__()
        c = src.cv1.conv.out_channels // 2
        halves = torch.arange(c), torch.arange(c, 2 * c)
        if widths is None:
            self.a, self.b = (rows_conv(src.cv1, r) for r in halves)
        else:
            self.a, self.b = (SumConv(src.cv1, widths, [1] * len(widths), r) for r in halves)
        self.m, self.cv2 = src.m, src.cv2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.a(x), self.b(x)]
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


def deploy_blocks(module: nn.Module, split_c3k2: bool = True) -> nn.Module:
    """Swap every area attention and (with ``split_c3k2``) every C3k2 inside ``module`` (fused) for its deploy
    form, in place, by type. Returns ``module``."""
    for parent in list(module.modules()):
        for name, child in parent.named_children():
            if isinstance(child, AAttn | AAttnTurbo):
                setattr(parent, name, DeployAAttn(child))
            elif isinstance(child, C3k2) and split_c3k2:
                setattr(parent, name, DeployC3k2(child))
    return module
