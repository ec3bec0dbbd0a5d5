"""CSP blocks: Bottleneck, C3k and C3k2 (spec section 2)."""

from __future__ import annotations

import torch
from torch import nn

from yolov12.nn.conv import Conv


class Bottleneck(nn.Module):
    """Conv3x3 (c1 -> int(c2 * e)) -> Conv3x3 (-> c2), plus the input when ``shortcut`` and c1 == c2."""

    def __init__(self, c1: int, c2: int, shortcut: bool = True, e: float = 0.5) -> None:
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 3)
        self.cv2 = Conv(c_, c2, 3)
        self.add = shortcut and c1 == c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3k(nn.Module):
    """CSP block with ``n`` 3x3 Bottlenecks: cv3(cat[m(cv1(x)), cv2(x)]), hidden width int(c2 * e)."""

    def __init__(self, c1: int, c2: int, n: int = 2, shortcut: bool = True, e: float = 0.5) -> None:
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv(c1, c_, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, e=1.0) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class C3k2(nn.Module):
    """Faster CSP with ``n`` chained inner blocks (C3k if ``c3k`` else Bottleneck), width c = int(c2 * e).

    cv1 (c1 -> 2c) is split in halves; each block consumes the previous output, starting from the second
    half; cv2 ((2 + n) c -> c2) mixes the concatenation of both halves and every block output.
    """

    def __init__(self, c1: int, c2: int, n: int = 1, c3k: bool = False, e: float = 0.5, shortcut: bool = True) -> None:
        super().__init__()
        self.c = c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * c, 1)
        self.cv2 = Conv((2 + n) * c, c2, 1)
        self.m = nn.ModuleList(C3k(c, c, 2, shortcut) if c3k else Bottleneck(c, c, shortcut) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))
