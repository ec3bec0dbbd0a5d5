"""Exponential moving average of every float tensor of the model's state (weights and BN statistics)."""

from __future__ import annotations

import copy
import math

import torch
from torch import nn


class ModelEMA:
    """decay(updates) = decay * (1 - exp(-updates / tau)): short memory early in training, 0.9999 later."""

    def __init__(self, model: nn.Module, decay: float = 0.9999, tau: float = 2000.0, updates: int = 0) -> None:
        self.ema = copy.deepcopy(unwrap(model)).eval()
        self.decay_max, self.tau, self.updates = decay, tau, updates
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self._pairs: tuple[int, list[torch.Tensor], list[torch.Tensor]] | None = None  # (model id, ema, model)

    def decay(self) -> float:
        return self.decay_max * (1 - math.exp(-self.updates / self.tau))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """ema = d * ema + (1 - d) * model over every float tensor of the state (one fused op per call)."""
        self.updates += 1
        d = self.decay()
        model = unwrap(model)
        if self._pairs is None or self._pairs[0] != id(model):  # tensors are updated in place: pair them once
            msd = model.state_dict()
            ev, mv = [], []
            for k, v in self.ema.state_dict().items():
                if v.dtype.is_floating_point:
                    ev.append(v)
                    mv.append(msd[k].detach())
            self._pairs = (id(model), ev, mv)
        _, ev, mv = self._pairs
        if any(m.dtype != e.dtype for e, m in zip(ev, mv)):
            mv = [m.to(e.dtype) for e, m in zip(ev, mv)]
        if ev:
            torch._foreach_lerp_(ev, mv, 1.0 - d)


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside DistributedDataParallel / DataParallel wrappers."""
    return model.module if hasattr(model, "module") and isinstance(model.module, nn.Module) else model
