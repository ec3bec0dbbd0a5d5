"""Training checkpoints in our safetensors format (atomic, no pickle).

``last.safetensors`` holds the EMA weights under ``layers.*`` (so it is directly usable for inference) plus the
raw model (``train.model.*``), optimiser state tensors (``train.optim.*``) and the RNG states; everything that is
not a tensor (epoch, best fitness, optimiser hyper-parameters, scaler, numpy/python RNG, arguments) is JSON in
the header's ``meta``. ``best.safetensors`` holds the EMA weights and metrics only.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yolov12.config import ModelConfig
from yolov12.utils import LOGGER, atomic_write_text, remove_stale_tmp
from yolov12.weights import CheckpointFormatError, read_safetensors, save_safetensors
from yolov12.weights.checkpoint import parse_header

BEST_META_KEYS = ("epoch", "best_fitness", "ema_updates", "train_args", "metrics", "epochs_no_improve")


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
    path: Path | None = None  # the file it was read from
    model_cfg: ModelConfig | None = None  # the network's config (task included) from the checkpoint header


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
        path=Path(path),
        model_cfg=cfg,
    )


def _checkpoint_epoch(path: Path) -> int | None:
    """The epoch recorded in a checkpoint's header; None when the file is missing, torn or not ours."""
    try:
        _, header = read_safetensors(path)
        _, meta = parse_header(header, path)
        return int(meta["epoch"])
    except (OSError, CheckpointFormatError, KeyError, TypeError, ValueError):
        return None


def _write_ema_copy(last: Path, out: Path) -> None:
    """Write ``out`` as the weights-only checkpoint of ``last`` (what ``save_train_state(full=False)`` writes for
    the same epoch: the EMA tensors, the config, the same metadata), bit for bit."""
    tensors, header = read_safetensors(last)
    cfg, meta = parse_header(header, last)
    save_safetensors(out, {k: v for k, v in tensors.items() if k.startswith("layers.")}, cfg,
                     {k: meta[k] for k in BEST_META_KEYS if k in meta})


def _trim_results(csv_path: Path, last_epoch: int) -> int:
    """Keep the header and the rows of epochs 1..last_epoch + 1 (1-based, as written) of results.csv; drop later
    rows (a killed run logged them, the resumed run logs them again) and torn lines. Returns rows dropped."""
    if not csv_path.is_file():
        return 0
    lines = csv_path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines:
        return 0
    head, kept, dropped = lines[0], [], 0
    ncol = len(head.split(","))
    for line in lines[1:]:
        cells = line.split(",")
        try:
            ok = len(cells) == ncol and int(float(cells[0])) <= last_epoch + 1
        except ValueError:
            ok = False
        if ok:
            kept.append(line)
        else:
            dropped += 1
    if dropped:
        atomic_write_text(csv_path, "\n".join([head, *kept]) + "\n")
    return dropped


def reconcile_run(save_dir: Path, state: TrainState | None, save_period: int = -1) -> float | None:
    """Make a run folder agree with the checkpoint training continues from (``state``; None: a fresh start).

    Called once by rank 0 before the first epoch. It removes the ``*.tmp`` files of writes killed midway, drops
    ``results.csv`` rows of epochs after the checkpoint (so no epoch is logged twice), and checks that
    ``best.safetensors`` holds the epoch the state says is best (``epoch - epochs_no_improve``): when that epoch is
    the checkpoint's own (the run was killed while writing ``best``), ``best`` is rewritten from ``last`` exactly
    as the uninterrupted run wrote it; when an older best is missing or unreadable it cannot be restored, and the
    returned best fitness is -inf so that the next epoch writes ``best`` again. Periodic ``epochN`` files
    interrupted the same way are rewritten too. Returns the best fitness to continue with (None: no state).
    """
    wdir = save_dir / "weights"
    removed = remove_stale_tmp(wdir) + remove_stale_tmp(save_dir)
    if removed:
        LOGGER.info(f"removed {len(removed)} partial file(s) of an interrupted write: "
                    + ", ".join(p.name for p in removed[:3]))
    last_epoch = state.epoch if state is not None else -1
    if dropped := _trim_results(save_dir / "results.csv", last_epoch):
        LOGGER.info(f"results.csv: {dropped} row(s) after epoch {last_epoch + 1} dropped (logged again on resume)")
    if state is None:
        return None
    best, best_fitness = wdir / "best.safetensors", state.best_fitness
    best_epoch = state.epoch - state.epochs_no_improve
    if state.path is not None and state.path.is_file() and save_period > 0 and (state.epoch + 1) % save_period == 0:
        periodic = wdir / f"epoch{state.epoch + 1}.safetensors"
        if _checkpoint_epoch(periodic) != state.epoch:
            _write_ema_copy(state.path, periodic)
    if math.isfinite(best_fitness) and _checkpoint_epoch(best) != best_epoch:
        if best_epoch == state.epoch and state.path is not None and state.path.is_file():
            _write_ema_copy(state.path, best)
            LOGGER.info(f"{best} restored from {state.path.name} (epoch {state.epoch + 1} was the best; its write "
                        "was interrupted)")
        else:
            LOGGER.warning(f"WARNING: {best} (epoch {best_epoch + 1}) is missing or unreadable and cannot be "
                           "restored; the best of the remaining epochs will be saved as best")
            best_fitness = -math.inf
    return best_fitness
