"""TorchScript export: ``torch.jit.trace`` of the fused eval graph, metadata in the archive's extra files."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from yolov12.export.nms import ExportGraph

META_FILE = "config.txt"  # extra file holding the metadata JSON (read with torch.jit.load(_extra_files=...))


def export_torchscript(graph: ExportGraph, example: torch.Tensor, meta: dict[str, str], out: Path) -> Path:
    """Trace ``graph`` on ``example`` and save it with ``meta`` as JSON in the extra file ``config.txt``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings: sizes are traced, checked by the parity tests
        traced = torch.jit.trace(graph, example, strict=False, check_trace=False)
    traced.save(str(out), _extra_files={META_FILE: json.dumps(meta)})
    return out


def load_torchscript(path: str | Path) -> tuple[torch.jit.ScriptModule, dict[str, str]]:
    """The traced module (eval mode) and the metadata dict it was saved with."""
    extra = {META_FILE: ""}
    module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    return module.eval(), json.loads(extra[META_FILE] or "{}")
