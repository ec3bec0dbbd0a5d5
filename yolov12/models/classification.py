"""YOLOv12 image classifier: backbone rows 0-8 of the detector, then the Classify head (spec section 7).

The network only: parameter counts match the published classifiers (n 2,999,496 at nc=1000). Classification
training and validation pipelines are not part of this package yet.
"""

from __future__ import annotations

import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.models.network import Network, backbone_layers, check_input
from yolov12.nn.classify import Classify


class ClassificationModel(Network):
    """(B, 3, H, W) float in [0, 1] -> (B, nc) logits (training) or probabilities (eval)."""

    def __init__(self, cfg: ModelConfig, dropout: float = 0.0) -> None:
        super().__init__(cfg)
        self.layers = nn.ModuleList([*backbone_layers(cfg), Classify(cfg.channels(1024), cfg.nc, dropout=dropout)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        for layer in self.layers:
            x = layer(x)
        return x
