"""Area attention (A2) and the R-ELAN block (A2C2f), spec section 2 and 6.

Attention runs through ``torch.nn.functional.scaled_dot_product_attention``: on CUDA with fp16/bf16 PyTorch
picks FlashAttention kernels, on CPU its fused flash kernel; :func:`attention_backend` says which one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from yolov12.nn.blocks import C3k
from yolov12.nn.conv import Conv

HEAD_DIM = 32


def attention_backend(device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, tokens: int = 400) -> str:
    """Name of the SDPA kernel PyTorch selects for area attention on ``device``/``dtype`` (e.g. FLASH_ATTENTION)."""
    from torch.nn.attention import SDPBackend

    q = torch.zeros(1, 2, tokens, HEAD_DIM, device=device, dtype=dtype)
    try:
        return SDPBackend(torch._fused_sdp_choice(q, q, q)).name
    except Exception:  # private API moved: report what we know
        return "unknown (scaled_dot_product_attention)"


def area_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, area: int) -> torch.Tensor:
    """Attention within ``area`` contiguous chunks of the token sequence.

    q, k, v: (B, heads, N, d) with tokens in row-major (y, x) order. Returns (B, heads, N, d).
    When ``N % area != 0`` the sequence is padded to ``area * ceil(N / area)`` tokens and padded keys are
    masked out, so the first chunks hold ceil(N / area) tokens and the last one the remainder (when N is
    divisible this is exactly the reference behaviour: equal chunks, which may split mid-row).
    """
    B, h, N, d = q.shape
    if area <= 1:
        return F.scaled_dot_product_attention(q, k, v)
    L = math.ceil(N / area)
    pad = area * L - N
    if pad == 0:
        # (B, h, area * L, d) -> (B, h * area, L, d): a view, each (head, area) pair attends independently.
        o = F.scaled_dot_product_attention(q.reshape(B, h * area, L, d), k.reshape(B, h * area, L, d),
                                           v.reshape(B, h * area, L, d))
        return o.reshape(B, h, N, d)
    q, k, v = (F.pad(t, (0, 0, 0, pad)).reshape(B, h * area, L, d) for t in (q, k, v))
    valid = torch.arange(area * L, device=q.device).view(area, 1, L) < N  # (area, 1, L) key mask
    mask = valid.unsqueeze(0).expand(h, area, 1, L).reshape(1, h * area, 1, L)
    o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return o.reshape(B, h, area * L, d)[:, :, :N]


def _attend_tokens(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, area: int) -> torch.Tensor:
    """:func:`area_attention` on token-major views: q, k, v (B, N, heads, d) -> (B, N, heads, d).

    Token-major is what a channels-last feature map gives without a copy (the channels of one token are
    adjacent), and what the fused CPU SDPA kernel wants (unit stride along d); splitting the N tokens into
    ``area`` strips then only regroups the batch dimension, so q, k, v reach the kernel as views.
    """
    B, N, h, d = q.shape
    if area > 1 and N % area:
        t = area_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), area)
        return t.transpose(1, 2)
    a = max(area, 1)
    L = N // a
    q, k, v = (t.reshape(B * a, L, h, d).transpose(1, 2) for t in (q, k, v))  # (B * area, h, L, d)
    o = F.scaled_dot_product_attention(q, k, v)
    return o.transpose(1, 2).reshape(B, N, h, d)


def _tokens_to_map(t: torch.Tensor, B: int, H: int, W: int, memory_format: torch.memory_format) -> torch.Tensor:
    """(B, N, heads, d) tokens -> (B, heads * d, H, W) map stored in ``memory_format`` (a view when possible)."""
    return t.reshape(B, H, W, -1).permute(0, 3, 1, 2).contiguous(memory_format=memory_format)


def _memory_format(x: torch.Tensor) -> torch.memory_format:
    """channels_last when ``x`` is stored channels-last (and not also plain contiguous), else contiguous."""
    if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


class AAttn(nn.Module):
    """Area attention, v1.0 layout (fused qkv conv; per head the channels are [q_h | k_h | v_h]).

    (B, C, H, W) -> (B, C, H, W): proj(attention(q, k, v) + pe(v)), heads of 32 channels, the N = H*W tokens
    split into ``area`` contiguous chunks (horizontal strips). ``pe_bias`` gives the position perceiver a
    bias (v1.0-release). The output keeps the input's memory format (contiguous or channels-last).
    """

    def __init__(self, dim: int, heads: int, area: int = 1, pe_kernel: int = 7, pe_bias: bool = False) -> None:
        super().__init__()
        self.heads, self.area, self.head_dim = heads, area, dim // heads
        self.qkv = Conv(dim, 3 * dim, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, pe_kernel, groups=dim, act=False, bias=pe_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        fmt = _memory_format(x)
        # token-major (B, N, heads, 3d): a view for channels-last maps, one copy otherwise
        qkv = self.qkv(x).permute(0, 2, 3, 1).reshape(B, H * W, self.heads, 3 * self.head_dim)
        q, k, v = qkv.split(self.head_dim, dim=3)  # each (B, N, heads, d)
        o = _tokens_to_map(_attend_tokens(q, k, v, self.area), B, H, W, fmt)
        return self.proj(o + self.pe(_tokens_to_map(v, B, H, W, fmt)))


class AAttnTurbo(nn.Module):
    """Area attention, turbo layout: separate qk (dim -> 2 dim) and v convs; pe on the v map (spec section 6)."""

    def __init__(self, dim: int, heads: int, area: int = 1, pe_kernel: int = 5) -> None:
        super().__init__()
        self.heads, self.area, self.head_dim = heads, area, dim // heads
        self.qk = Conv(dim, 2 * dim, 1, act=False)
        self.v = Conv(dim, dim, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, pe_kernel, groups=dim, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        N = H * W
        fmt = _memory_format(x)
        q, k = self.qk(x).permute(0, 2, 3, 1).reshape(B, N, 2, self.heads, self.head_dim).unbind(2)
        v_map = self.v(x)
        v = v_map.permute(0, 2, 3, 1).reshape(B, N, self.heads, self.head_dim)
        o = _tokens_to_map(_attend_tokens(q, k, v, self.area), B, H, W, fmt)
        return self.proj(o + self.pe(v_map))


class ABlock(nn.Module):
    """x + AAttn(x), then x + MLP(x) (Conv1x1 dim -> dim * mlp_ratio, SiLU; Conv1x1 back, no activation)."""

    def __init__(
        self, dim: int, heads: int, mlp_ratio: float = 2.0, area: int = 1, pe_kernel: int = 7,
        variant: str = "v1",
    ) -> None:
        super().__init__()
        if variant == "turbo":
            self.attn: nn.Module = AAttnTurbo(dim, heads, area, pe_kernel)
        else:
            self.attn = AAttn(dim, heads, area, pe_kernel, pe_bias=variant == "v1-release")
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(Conv(dim, hidden, 1), Conv(hidden, dim, 1, act=False))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.mlp(x)


class A2C2f(nn.Module):
    """R-ELAN: transition Conv1x1 (c1 -> c_), n chained blocks, Conv1x1 ((1 + n) c_ -> c2) on all outputs.

    Each block is two ABlocks (``attention``) or a C3k (no attention); c_ = int(c2 * e) must be a multiple of
    32 with attention (heads of 32 channels). With ``attention`` and ``residual``:
    out = x + gamma * out, gamma (c2,) initialised to ``residual_init`` (the paper's residual scaling).
    """

    def __init__(
        self, c1: int, c2: int, n: int = 1, attention: bool = True, area: int = 1, residual: bool = False,
        mlp_ratio: float = 2.0, e: float = 0.5, pe_kernel: int = 7, variant: str = "v1",
        residual_init: float = 0.01,
    ) -> None:
        super().__init__()
        c_ = int(c2 * e)
        if attention and c_ % HEAD_DIM:
            raise ValueError(f"A2C2f hidden width {c_} must be a multiple of {HEAD_DIM} (head dim)")
        if attention and residual and c1 != c2:
            raise ValueError(f"A2C2f residual needs c1 == c2, got {c1} and {c2}")
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv((1 + n) * c_, c2, 1)
        self.gamma = nn.Parameter(torch.full((c2,), residual_init)) if attention and residual else None
        self.m = nn.ModuleList(
            nn.Sequential(*(ABlock(c_, c_ // HEAD_DIM, mlp_ratio, area, pe_kernel, variant) for _ in range(2)))
            if attention
            else C3k(c_, c_, 2)
            for _ in range(n)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        for m in self.m:
            y.append(m(y[-1]))
        out = self.cv2(torch.cat(y, 1))
        if self.gamma is not None:
            return x + self.gamma.view(1, -1, 1, 1) * out
        return out
