"""Our checkpoint format: one ``.safetensors`` file, tensors plus a JSON header (no pickle, ever).

Metadata keys: ``format`` = "yolov12", ``format_version``, ``config`` (ModelConfig as JSON) and optional
``meta`` (JSON: training arguments, metrics, epoch...). Training checkpoints add tensors under other prefixes
(``ema.``, ``optim.``) and their structure in ``meta``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from yolov12.config import ModelConfig
from yolov12.utils import atomic_write_bytes
from yolov12.weights.safe_pickle import CheckpointFormatError

FORMAT = "yolov12"
FORMAT_VERSION = "1"


def save_safetensors(path: str | Path, tensors: dict[str, torch.Tensor], cfg: ModelConfig, meta: dict | None = None) -> Path:
    """Atomically write ``tensors`` with the config and JSON-serialisable ``meta`` in the header."""
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": json.dumps(cfg.to_dict()),
        "meta": json.dumps(meta or {}, default=str),
    }
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    return atomic_write_bytes(path, st_save(tensors, metadata=header))


def read_safetensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and header of a safetensors file, with clear errors for missing/corrupt files."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    data = path.read_bytes()
    try:
        tensors = st_load(data)
    except (SafetensorError, Exception) as e:
        raise CheckpointFormatError(f"{path}: corrupt or truncated safetensors file ({e})") from e
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len]).get("__metadata__") or {}
    return tensors, header


def save_model(path: str | Path, model: torch.nn.Module, meta: dict | None = None) -> Path:
    """Save a DetectionModel (its ``cfg`` and state dict) in our format."""
    return save_safetensors(path, model.state_dict(), model.cfg, meta)


def parse_header(header: dict[str, Any], path: Path | str) -> tuple[ModelConfig | None, dict]:
    if header.get("format") != FORMAT:
        return None, {}
    try:
        cfg = ModelConfig.from_dict(json.loads(header["config"]))
        meta = json.loads(header.get("meta") or "{}")
    except (KeyError, ValueError, TypeError) as e:
        raise CheckpointFormatError(f"{path}: unreadable yolov12 header ({e})") from e
    return cfg, meta
