"""Parity check of an exported file against the PyTorch model it came from."""

from __future__ import annotations

from pathlib import Path

import torch

from yolov12.export.backend import load_onnx
from yolov12.export.torchscript import load_torchscript
from yolov12.models.detection import DetectionModel


@torch.no_grad()
def max_relative_error(model: DetectionModel, path: str | Path, imgsz: int | tuple[int, int] = 640, batch: int = 1,
                       seed: int = 0) -> float:
    """max |exported - model| / max |model| of the (B, 4 + nc, A) eval output on a random input.

    ``path``: an ONNX file without in-graph NMS or a TorchScript file. A faithful float32 export gives ~1e-6.
    """
    h, w = (imgsz, imgsz) if isinstance(imgsz, int) else imgsz
    x = torch.rand(batch, 3, h, w, generator=torch.Generator().manual_seed(seed))
    ref = model.eval().cpu().float()(x)
    if str(path).endswith(".onnx"):
        backend = load_onnx(path)
        if backend.has_nms:
            raise ValueError(f"{path} has NMS inside: compare an export without nms")
        out = backend(x)
    else:
        module, _ = load_torchscript(path)
        with torch.jit.optimized_execution(False):
            out = module(x.to(next(module.parameters()).dtype)).float()
    return float((out - ref).abs().max() / ref.abs().max())
