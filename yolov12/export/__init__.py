"""Export to deployment formats (ONNX, TorchScript) and run exported ONNX files.

>>> path = export_model(model, ExportConfig(format="onnx", imgsz=640, dynamic=True))
>>> backend = load_onnx(path)              # nn.Module: (B, 3, H, W) -> (B, 4 + nc, A), works with Predictor
>>> Predictor(backend, backend.names, PredictConfig(imgsz=backend.imgsz))("bus.jpg")

Graphs: input ``images`` (B, 3, H, W) float32 RGB in [0, 1]; output ``output0`` (B, 4 + nc, A) cx, cy, w, h
(input pixels) then sigmoid class scores; with ``nms=True``: ``detections`` (B, max_det, 6) x1, y1, x2, y2,
score, class (best first, zero rows after the valid ones) and ``num_dets`` (B,) int64; segment graphs add
``output1`` prototypes (B, 32, H / 4, W / 4), and with ``nms=True`` each detection row carries its 32 mask
coefficients after the class (B, max_det, 38), then ``num_dets`` and the prototypes ``output1``. Metadata
(``metadata_props`` / TorchScript extra file ``config.txt``): names (JSON list), imgsz (JSON [h, w]), stride,
nc, task, scale, variant, yolov12_version, batch, dynamic, half, nms (JSON thresholds or null), model_config.
Experimental INT8: :func:`yolov12.export.quantize.quantize_int8`.
"""

from yolov12.export.backend import OnnxBackend, load_onnx
from yolov12.export.check import max_relative_error
from yolov12.export.config import DEFAULT_OPSET, FORMATS, ExportConfig
from yolov12.export.exporter import export_model
from yolov12.export.onnx import read_metadata
from yolov12.export.torchscript import load_torchscript

__all__ = [
    "DEFAULT_OPSET", "FORMATS", "ExportConfig", "OnnxBackend", "export_model", "load_onnx", "load_torchscript",
    "max_relative_error", "read_metadata",
]
