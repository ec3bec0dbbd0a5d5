"""ONNX export (TorchScript-based ``torch.onnx.export``, no extra dependencies) with metadata in the file."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from yolov12.export.config import DEFAULT_OPSET, ExportConfig
from yolov12.export.nms import ExportGraph
from yolov12.utils import LOGGER

META_KEYS = ("names", "imgsz", "stride", "nc", "task", "yolov12_version")  # required to load as ours


def export_onnx(graph: ExportGraph, example: torch.Tensor, cfg: ExportConfig, meta: dict[str, str], out: Path,
                output_names: tuple[str, ...] = ("output0",)) -> Path:
    """Trace ``graph`` on ``example`` (B, 3, H, W) and write ``out`` with ``meta`` as metadata_props.
    ``output_names``: the graph's outputs without NMS (the task's ``export_outputs``; extra ones, e.g. segment
    prototypes (B, 32, H / 4, W / 4), get dynamic batch, height and width)."""
    import onnx

    # with NMS, a task's extra outputs (segment prototypes) follow detections and num_dets under their own names
    outputs = list(output_names) if graph.nms is None else ["detections", "num_dets", *output_names[1:]]
    dynamic_axes = None
    if cfg.dynamic:
        dynamic_axes = {"images": {0: "batch", 2: "height", 3: "width"}}
        if graph.nms is None:  # (B, C, anchors) maps; a classifier's (B, nc) probabilities have no anchor axis
            with torch.no_grad():
                first = graph(example)
            first = first[0] if isinstance(first, (tuple, list)) else first
            dynamic_axes["output0"] = {0: "batch", 2: "anchors"} if first.dim() == 3 else {0: "batch"}
            dynamic_axes.update({name: {0: "batch", 2: "height", 3: "width"} for name in outputs[1:]})
        else:
            dynamic_axes.update(detections={0: "batch"}, num_dets={0: "batch"})
            dynamic_axes.update({name: {0: "batch", 2: "height", 3: "width"} for name in outputs[2:]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about Python ints: the traced graph is checked in tests
        try:
            torch.onnx.export(
                graph, (example,), str(out), dynamo=False, opset_version=cfg.opset_version, do_constant_folding=True,
                input_names=["images"], output_names=outputs, dynamic_axes=dynamic_axes,
            )
        except RuntimeError as e:  # the newest opset depends on the torch version; torch only says so mid-trace
            if "opset" not in str(e).lower():
                raise
            raise ValueError(f"opset={cfg.opset_version} cannot be exported by torch {torch.__version__} ({e}); "
                             f"leave opset unset for {DEFAULT_OPSET}") from e
    model = onnx.load(str(out))
    _drop_initializer_identities(model)
    if cfg.simplify:
        model = _simplify(model)
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    model.producer_name = "yolov12"
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return out


def _drop_initializer_identities(model) -> None:
    """The exporter writes equal weights once and feeds the copies through Identity nodes; wire consumers to the
    initializer itself (tools such as the quantiser expect conv weights and biases to be initializers)."""
    inits = {i.name for i in model.graph.initializer}
    outputs = {o.name for o in model.graph.output}
    alias = {}
    for node in list(model.graph.node):
        if node.op_type == "Identity" and node.input[0] in inits and node.output[0] not in outputs:
            alias[node.output[0]] = node.input[0]
            model.graph.node.remove(node)
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            if name in alias:
                node.input[i] = alias[name]


def _simplify(model):
    """onnxslim, else onnxsim, when importable; otherwise the graph as is (with a warning)."""
    try:
        import onnxslim

        return onnxslim.slim(model)
    except ImportError:
        pass
    try:
        import onnxsim

        model, ok = onnxsim.simplify(model)
        if not ok:
            LOGGER.warning("WARNING: onnxsim could not validate the simplified graph")
        return model
    except ImportError:
        LOGGER.warning("WARNING: simplify=True but neither onnxslim nor onnxsim is installed; graph left as is")
        return model


def read_metadata(path: str | Path) -> dict[str, str]:
    """metadata_props of an ONNX file as a dict (no weights loaded)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def make_metadata(model: torch.nn.Module, cfg: ExportConfig) -> dict[str, str]:
    """Strings stored in the file: everything needed to predict with it and to know where it came from."""
    from yolov12 import __version__

    mcfg = model.cfg
    return {
        "names": json.dumps(list(mcfg.class_names)),
        "imgsz": json.dumps(list(cfg.hw)),
        "stride": "32",
        "nc": str(mcfg.nc),
        "task": mcfg.task,
        "scale": mcfg.scale,
        "variant": mcfg.variant,
        "yolov12_version": __version__,
        "batch": str(cfg.batch),
        "dynamic": json.dumps(cfg.dynamic),
        "half": json.dumps(cfg.half),
        "nms": json.dumps(
            {"conf": cfg.conf, "iou": cfg.iou, "max_det": cfg.max_det} if cfg.nms else None
        ),
        "model_config": json.dumps(mcfg.to_dict()),
    }
