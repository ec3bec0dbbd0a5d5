"""``export_model``: one entry point for every format."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from yolov12.export.config import SUFFIX, ExportConfig
from yolov12.export.graph import export_form
from yolov12.export.nms import ExportGraph, NMSHead
from yolov12.export.onnx import export_onnx, make_metadata
from yolov12.export.torchscript import export_torchscript
from yolov12.tasks import get_task
from yolov12.utils import LOGGER


def export_path(model: nn.Module, cfg: ExportConfig) -> Path:
    """Where :func:`export_model` writes: ``cfg.output``, else ``yolov12<scale><task suffix><format suffix>``."""
    if cfg.output is not None:
        return Path(cfg.output)
    return Path(f"yolov12{model.cfg.scale}{get_task(model.cfg.task).suffix}{SUFFIX[cfg.format]}")


def export_model(model: nn.Module, cfg: ExportConfig | None = None) -> Path:
    """Export a fused copy of ``model`` (left untouched) as ``cfg.format``; returns the written file's path."""
    cfg = cfg or ExportConfig()
    task = get_task(model.cfg.task)
    task.require("export")
    if cfg.nms and not task.export_nms:
        raise ValueError(f"task {task.name!r}: nms=True export is not available for this task yet; export without it "
                         "(the ONNX backend runs the task's post-processing)")
    out = export_path(model, cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    net = export_form(model)  # a copy: the caller's model keeps its device, mode and modules
    if cfg.format == "onnx":
        net = net.cpu()
    device = next(net.parameters()).device
    dtype = torch.float16 if cfg.half else torch.float32
    if cfg.half and device.type == "cpu":
        LOGGER.warning("WARNING: half=True on CPU: the float16 graph is meant for GPU runtimes")
    net = net.to(dtype)
    nms = NMSHead(cfg.conf, cfg.iou, cfg.max_det, task.export_nms_extra) if cfg.nms else None
    graph = ExportGraph(net, nms).eval()
    example = torch.rand(cfg.batch, 3, *cfg.hw, device=device, dtype=dtype)
    meta = make_metadata(model, cfg)
    if cfg.format == "onnx" and cfg.int8:
        from yolov12.export.quantize import quantize_int8

        fp32 = out.with_name(out.stem + "-fp32" + out.suffix)
        export_onnx(graph, example, cfg, meta, fp32, task.export_outputs)
        quantize_int8(fp32, out, images=cfg.data, keep_float=f"layers.{len(model.layers) - 1}")
        fp32.unlink()
    elif cfg.format == "onnx":
        export_onnx(graph, example, cfg, meta, out, task.export_outputs)
    else:
        export_torchscript(graph, example, meta, out)
    LOGGER.info(f"exported {cfg.format} to {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return out
