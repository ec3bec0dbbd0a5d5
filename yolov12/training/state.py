"""Training checkpoints in our safetensors format (atomic, no pickle).

``last.safetensors`` holds the EMA weights under ``layers.*`` (so it is directly usable for inference) plus the
raw model (``train.model.*``), optimiser state tensors (``train.optim.*``) and the RNG states; everything that is
not a tensor (epoch, best fitness, optimiser hyper-parameters, scaler, numpy/python RNG, arguments) is JSON in
the header's ``meta``. ``best.safetensors`` holds the EMA weights and metrics only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yolov12.weights import read_safetensors, save_safetensors
from yolov12.weights.checkpoint import parse_header


def _flatten_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors, state_meta = {}, {}
    for idx, st in sd["state"].items():
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"train.optim.{idx}.{k}"] = v
            else:
                state_meta.setdefault(str(idx), {})[k] = v
    return tensors, {"param_groups": sd["param_groups"], "state": state_meta}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for key, v in tensors.items():
        if key.startswith("train.optim."):
            idx, name = key[len("train.optim."):].split(".", 1)
            state.setdefault(int(idx), {})[name] = v
    for idx, st in meta.get("state", {}).items():
        state.setdefault(int(idx), {}).update(st)
    return {"state": state, "param_groups": meta["param_groups"]}


def rng_state() -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {"train.rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"train.rng.cuda{i}"] = s
    np_state = np.random.get_state()
    py_state = random.getstate()
    meta = {
        "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "python": [py_state[0], list(py_state[1]), py_state[2]],
    }
    return tensors, meta


def set_rng_state(tensors: dict[str, torch.Tensor], meta: dict) -> None:
    if "train.rng.torch" in tensors:
        torch.set_rng_state(tensors["train.rng.torch"])
    if torch.cuda.is_available():
        states = [tensors[k] for k in sorted(tensors) if k.startswith("train.rng.cuda")]
        if len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(states)
    if "numpy" in meta:
        a = meta["numpy"]
        np.random.set_state((a[0], np.array(a[1], dtype=np.uint32), a[2], a[3], a[4]))
    if "python" in meta:
        a = meta["python"]
        random.setstate((a[0], tuple(a[1]), a[2]))


@dataclass
class TrainState:
    epoch: int  # last completed epoch (0-based)
    best_fitness: float
    ema_updates: int
    args: dict
    model_state: dict[str, torch.Tensor]
    ema_state: dict[str, torch.Tensor]
    optimizer: dict | None = None
    scaler: dict | None = None
    rng_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    rng_meta: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    epochs_no_improve: int = 0  # early-stopping counter at the checkpoint (0 for older checkpoints)


def save_train_state(
    path: Path, *, model, ema_model, optimizer, scaler, epoch: int, best_fitness: float, ema_updates: int,
    args: dict, metrics: dict | None = None, full: bool = True, epochs_no_improve: int = 0,
) -> Path:
    """Atomically write a training checkpoint (``full=False``: EMA weights and metadata only)."""
    tensors = dict(ema_model.state_dict())
    meta: dict[str, Any] = {"epoch": epoch, "best_fitness": best_fitness, "ema_updates": ema_updates,
                            "train_args": args, "metrics": metrics or {},
                            "epochs_no_improve": epochs_no_improve}
    if full:
        tensors.update({f"train.model.{k}": v for k, v in model.state_dict().items()})
        opt_t, opt_m = _flatten_optimizer(optimizer)
        tensors.update(opt_t)
        rng_t, rng_m = rng_state()
        tensors.update(rng_t)
        meta.update(optimizer=opt_m, rng=rng_m, scaler=scaler.state_dict() if scaler is not None else None)
    return save_safetensors(path, tensors, ema_model.cfg, meta)


def load_train_state(path: str | Path) -> TrainState:
    tensors, header = read_safetensors(path)
    cfg, meta = parse_header(header, path)
    if cfg is None or "optimizer" not in meta:
        raise ValueError(f"{path} is not a resumable yolov12 training checkpoint (use weights/last.safetensors)")
    return TrainState(
        epoch=int(meta["epoch"]),
        best_fitness=float(meta["best_fitness"]),
        ema_updates=int(meta["ema_updates"]),
        args=meta["train_args"],
        model_state={k[len("train.model."):]: v for k, v in tensors.items() if k.startswith("train.model.")},
        ema_state={k: v for k, v in tensors.items() if k.startswith("layers.")},
        optimizer=_unflatten_optimizer(tensors, meta["optimizer"]),
        scaler=meta.get("scaler"),
        rng_tensors={k: v for k, v in tensors.items() if k.startswith("train.rng.")},
        rng_meta=meta.get("rng", {}),
        meta=meta,
        epochs_no_improve=int(meta.get("epochs_no_improve", 0)),
    )
