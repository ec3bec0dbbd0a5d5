"""One entry point for every weight file a user may hold: ours (.safetensors), published (.pt), or a bare
state dict in safetensors under published key names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.utils import LOGGER
from yolov12.weights.checkpoint import parse_header, read_safetensors
from yolov12.weights.foreign import infer_config, load_published_pt, remap_keys


@dataclass
class LoadedWeights:
    cfg: ModelConfig
    state: dict[str, torch.Tensor]  # our key names (``layers.N...``)
    meta: dict = field(default_factory=dict)
    extra: dict[str, torch.Tensor] = field(default_factory=dict)  # non-model tensors (ema., optim., ...)


def load_weights(path: str | Path) -> LoadedWeights:
    """Read any supported weight file without building a model."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"weights file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".pt", ".pth"):
        cfg, state, meta = load_published_pt(path)
        return LoadedWeights(cfg, state, meta)
    if suffix == ".safetensors":
        tensors, header = read_safetensors(path)
        cfg, meta = parse_header(header, path)
        model_t = {k: v for k, v in tensors.items() if k.startswith("layers.")}
        if cfg is None:  # a bare state dict with published key names
            model_t = remap_keys(tensors)
            if not model_t:
                raise ValueError(f"{path}: no yolov12 metadata and no YOLOv12 layer tensors inside")
            model_t = {k: v.float() if v.is_floating_point() else v for k, v in model_t.items()}
            cfg = infer_config(model_t)
        extra = {k: v for k, v in tensors.items() if not k.startswith("layers.")}
        return LoadedWeights(cfg, model_t, meta, extra)
    raise ValueError(f"unsupported weights file {path.name!r}: expected .safetensors or .pt (or .onnx for inference)")


def load_state_strict(model: nn.Module, state: dict[str, torch.Tensor], source: str | Path) -> None:
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    bad = [k for k in own.keys() & state.keys() if own[k].shape != state[k].shape]
    if missing or unexpected or bad:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if bad:
            k = bad[0]
            parts.append(f"{len(bad)} with other shapes (e.g. {k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)})")
        c = model.cfg
        raise ValueError(f"weights in {source} do not fit the model {c.scale}/{c.variant} ({c.task}): " + "; ".join(parts))
    with torch.no_grad():
        for k, v in own.items():
            v.copy_(state[k].to(v.dtype))
    warn_nonfinite(model, source)


def warn_nonfinite(model: torch.nn.Module, source: str | Path) -> int:
    """Log a warning when parameters or buffers hold NaN/inf (such a model predicts nothing, silently).
    Returns the number of affected tensors."""
    bad = [k for k, v in model.state_dict().items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        LOGGER.warning(f"WARNING: {source}: {len(bad)} weight tensor(s) hold NaN or inf values (e.g. {bad[0]}); "
                       "this model cannot give valid predictions (a diverged training run?)")
    return len(bad)


def transfer_weights(model: nn.Module, state: dict[str, torch.Tensor]) -> tuple[int, int]:
    """Copy every tensor whose name and shape match (fine-tuning from other class counts). Returns (copied, total)."""
    own = model.state_dict()
    copied = 0
    with torch.no_grad():
        for k, v in own.items():
            if k in state and state[k].shape == v.shape:
                v.copy_(state[k].to(v.dtype))
                copied += 1
    LOGGER.info(f"transferred {copied}/{len(own)} tensors from pretrained weights")
    return copied, len(own)
