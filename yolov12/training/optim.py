"""Optimiser parameter groups, the learning-rate schedule and warmup (spec section 4)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def build_optimizer(model: nn.Module, name: str, lr: float, momentum: float, decay: float) -> torch.optim.Optimizer:
    """Three groups: 0 weights with decay (gamma included), 1 norm weights (no decay), 2 biases (no decay)."""
    g_decay, g_norm, g_bias = [], [], []
    norm_types = tuple(v for k, v in nn.__dict__.items() if "Norm" in k and isinstance(v, type))
    for module in model.modules():
        for pname, p in module.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            if pname == "bias":
                g_bias.append(p)
            elif isinstance(module, norm_types):
                g_norm.append(p)
            else:
                g_decay.append(p)
    name = name.lower()
    if name in ("auto", "sgd"):
        opt: torch.optim.Optimizer = torch.optim.SGD(g_bias, lr=lr, momentum=momentum, nesterov=True)
    elif name == "adam":
        opt = torch.optim.Adam(g_bias, lr=lr, betas=(momentum, 0.999))
    elif name == "adamw":
        opt = torch.optim.AdamW(g_bias, lr=lr, betas=(momentum, 0.999), weight_decay=0.0)
    else:
        raise ValueError(f"unknown optimizer {name!r}")
    # group order after these calls: 0 bias, 1 decay, 2 norm -> reorder to 0 decay, 1 norm, 2 bias
    opt.add_param_group({"params": g_decay, "weight_decay": decay})
    opt.add_param_group({"params": g_norm, "weight_decay": 0.0})
    opt.param_groups = [opt.param_groups[1], opt.param_groups[2], opt.param_groups[0]]
    for g in opt.param_groups:
        g["initial_lr"] = lr
    return opt


def lr_factor(epoch: float, epochs: int, lrf: float, cos: bool = False) -> float:
    """lr multiplier: linear (1 - e/E)(1 - lrf) + lrf, or cosine from 1 to lrf."""
    if cos:
        return ((1 - math.cos(epoch * math.pi / epochs)) / 2) * (lrf - 1) + 1
    return (1 - epoch / epochs) * (1.0 - lrf) + lrf


def warmup_step(
    opt: torch.optim.Optimizer, it: int, warmup_iters: int, epoch_factor: float, bias_lr0: float,
    momentum: float, warmup_momentum: float, nbs: int, batch: int,
) -> int:
    """Set lrs and momentum for iteration ``it`` of warmup; returns the gradient-accumulation steps to use."""
    xi = [0, warmup_iters]
    accumulate = max(1, int(np.interp(it, xi, [1, nbs / batch]).round()))
    for j, g in enumerate(opt.param_groups):
        start = bias_lr0 if j == 2 else 0.0
        g["lr"] = float(np.interp(it, xi, [start, g["initial_lr"] * epoch_factor]))
        if "momentum" in g:
            g["momentum"] = float(np.interp(it, xi, [warmup_momentum, momentum]))
        elif "betas" in g:
            g["betas"] = (float(np.interp(it, xi, [warmup_momentum, momentum])), g["betas"][1])
    return accumulate
