"""Convolution units: Conv (conv + BN + SiLU), depthwise Conv, channel Concat, and BN folding."""

from __future__ import annotations

import math

import torch
from torch import nn


class Conv(nn.Module):
    """Conv2d (no bias, 'same' padding) -> BatchNorm2d (eps 1e-3, momentum 0.03) -> SiLU or identity.

    (B, c1, H, W) -> (B, c2, H / s, W / s). ``bias=True`` gives the conv a bias (the v1.0-release position
    perceiver). After :meth:`fuse` the BN is folded into the conv and replaced by an identity.
    """

    def __init__(
        self, c1: int, c2: int, k: int = 1, s: int = 1, groups: int = 1, act: bool = True, bias: bool = False
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, groups=groups, bias=bias)
        self.bn: nn.Module = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act: nn.Module = nn.SiLU(inplace=True) if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _POINTWISE is not None and isinstance(self.bn, nn.Identity) and _fused_kernel_ok(self, self.conv, x):
            # one oneDNN call with SiLU as a post-op (same maths, no second pass over the output)
            c = self.conv
            attr = "swish" if isinstance(self.act, nn.SiLU) else "none"
            return _POINTWISE(x, c.weight, c.bias, c.padding, c.stride, c.dilation, c.groups, attr, [], "")
        return self.act(self.bn(self.conv(x)))

    @torch.no_grad()
    def fuse(self) -> None:
        """Fold the BatchNorm (inference statistics) into the conv weights and bias."""
        if not isinstance(self.bn, nn.BatchNorm2d):
            return
        self.conv = fuse_conv_bn(self.conv, self.bn)
        self.bn = nn.Identity()


from torch.utils._python_dispatch import _get_current_dispatch_mode as _current_dispatch_mode  # noqa: E402

_POINTWISE = getattr(getattr(torch.ops, "mkldnn", None), "_convolution_pointwise", None)


def conv2d(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)``, through the same oneDNN kernel as :class:`Conv` at float32 CPU inference."""
    if _POINTWISE is not None and _fused_kernel_ok(conv, conv, x):
        return _POINTWISE(x, conv.weight, conv.bias, conv.padding, conv.stride, conv.dilation, conv.groups, "none", [], "")
    return conv(x)


def _fused_kernel_ok(m: nn.Module, conv: nn.Conv2d, x: torch.Tensor) -> bool:
    """Whether ``m(x)`` may run as one oneDNN conv + activation kernel: a BN-folded Conv at float32 inference
    (no grad) on the CPU, not while tracing/exporting/compiling or under a dispatch mode such as a FLOP
    counter (those keep seeing the standard aten ops)."""
    return (
        not m.training
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and conv.weight.dtype == torch.float32
        and conv.bias is not None
        and conv.padding_mode == "zeros"
        and not isinstance(conv.padding, str)
        and not torch.is_grad_enabled()
        and torch.backends.mkldnn.enabled
        and isinstance(getattr(m, "act", None), (nn.SiLU, nn.Identity, type(None)))
        and not torch.jit.is_tracing()
        and not torch.jit.is_scripting()
        and not torch.compiler.is_compiling()
        and not torch.onnx.is_in_onnx_export()
        and not torch.is_autocast_enabled("cpu")
        and _current_dispatch_mode() is None  # e.g. FlopCounterMode: let it see a standard convolution
    )


def DWConv(c1: int, c2: int, k: int = 1, s: int = 1, act: bool = True) -> Conv:
    """Depthwise Conv: groups = gcd(c1, c2)."""
    return Conv(c1, c2, k, s, groups=math.gcd(c1, c2), act=act)


@torch.no_grad()
def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """Return a new Conv2d with bias equal to ``bn(conv(x))`` in eval mode."""
    fused = nn.Conv2d(
        conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
        dilation=conv.dilation, groups=conv.groups, bias=True,
    ).to(device=conv.weight.device, dtype=conv.weight.dtype)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.copy_(bn.bias + (bias - bn.running_mean) * scale)
    fused.requires_grad_(False)
    return fused


class Concat(nn.Module):
    """Concatenate a list of (B, c_i, H, W) maps along channels."""

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, 1)
