"""Experimental INT8: runs, keeps metadata and the output layout (accuracy needs a trained model)."""

import onnx
import pytest
import torch

from yolov12.export import load_onnx, read_metadata
from yolov12.export.quantize import quantize_int8


def test_int8_quantisation_runs_and_keeps_metadata(exported, tmp_path):
    src = exported("n", imgsz=(160, 160))
    dst = quantize_int8(src, tmp_path / "int8.onnx", n_images=4)
    meta = read_metadata(dst)
    assert meta["quantization"] == "int8-static-qdq" and meta["names"] == read_metadata(src)["names"]
    ops = {n.op_type for n in onnx.load(str(dst)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    x = torch.rand(1, 3, 160, 160)
    out, ref = load_onnx(dst)(x), load_onnx(src)(x)
    assert out.shape == ref.shape and torch.isfinite(out).all()
    assert (out[:, 4:] - ref[:, 4:]).abs().max() < 0.5  # scores stay probabilities near the float ones


def test_int8_needs_static_shapes(exported, tmp_path):
    with pytest.raises(ValueError, match="static"):
        quantize_int8(exported("n", imgsz=(160, 160), dynamic=True), tmp_path / "x.onnx")
