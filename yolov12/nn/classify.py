"""Classification head: Conv1x1 to 1280 channels, global average pool, dropout, linear (spec section 7)."""

from __future__ import annotations

import torch
from torch import nn

from yolov12.nn.conv import Conv


class Classify(nn.Module):
    """(B, c1, H, W) -> (B, nc) logits in training mode; in eval mode (probabilities, logits), or the
    probabilities alone when ``export`` is set (the graph an exporter traces has one output)."""

    export: bool = False

    def __init__(self, c1: int, nc: int, hidden: int = 1280, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv = Conv(c1, hidden, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(p=dropout, inplace=True)
        self.linear = nn.Linear(hidden, nc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(self.drop(self.pool(self.conv(x)).flatten(1)))
        if self.training:
            return x
        y = x.softmax(1)
        return y if self.export else (y, x)
