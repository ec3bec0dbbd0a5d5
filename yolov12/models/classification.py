"""YOLOv12 image classifier: backbone rows 0-8 of the detector, then the Classify head (spec section 7).

Parameter counts match the published classifiers (n 2,999,496 at nc=1000); outputs match the reference
(``yolo12n-cls-reference*``): logits in training mode, (softmax probabilities, logits) in eval mode.

Batch norm: Ultralytics' classifier never runs the detector's ``initialize_weights``, so its BatchNorm layers keep
PyTorch's defaults (eps 1e-5, momentum 0.1), not the detector's (1e-3, 0.03). ``eps`` is not in a state dict but
moves the output (a logit error of 6 on the reference with 1e-3), so the classifier uses the published values.
"""

from __future__ import annotations

import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.models.network import Network, backbone_layers, check_input
from yolov12.nn.classify import Classify

BN_EPS, BN_MOMENTUM = 1e-5, 0.1  # PyTorch's defaults, as in the published classifiers


class ClassificationModel(Network):
    """(B, 3, H, W) float in [0, 1] -> (B, nc) logits (training) or (probabilities, logits) (eval)."""

    def __init__(self, cfg: ModelConfig, dropout: float = 0.0) -> None:
        super().__init__(cfg)
        self.layers = nn.ModuleList([*backbone_layers(cfg), Classify(cfg.channels(1024), cfg.nc, dropout=dropout)])
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps, m.momentum = BN_EPS, BN_MOMENTUM

    def deploy(self, join_neck: bool = True) -> "ClassificationModel":
        """Export form: the head returns the probabilities alone (one graph output)."""
        self.layers[-1].export = True
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        check_input(x)
        for layer in self.layers:
            x = layer(x)
        return x
