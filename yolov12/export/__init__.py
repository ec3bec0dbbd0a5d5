"""Export to deployment formats (ONNX, TorchScript) and run exported ONNX files.

>>> path = export_model(model, ExportConfig(format="onnx", imgsz=640, dynamic=True))
>>> backend = load_onnx(path)              # nn.Module: (B, 3, H, W) -> (B, 4 + nc, A), works with Predictor
"""

from yolov12.export.backend import OnnxBackend, load_onnx
from yolov12.export.config import DEFAULT_OPSET, FORMATS, ExportConfig
from yolov12.export.exporter import export_model
from yolov12.export.onnx import read_metadata
from yolov12.export.torchscript import load_torchscript

__all__ = [
    "DEFAULT_OPSET", "FORMATS", "ExportConfig", "OnnxBackend", "export_model", "load_onnx", "load_torchscript",
    "read_metadata",
]
