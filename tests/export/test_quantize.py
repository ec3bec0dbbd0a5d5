"""Experimental INT8: runs, keeps metadata and the output layout (accuracy needs a trained model)."""

import logging

import cv2
import numpy as np
import onnx
import pytest
import torch

from yolov12.export import load_onnx, read_metadata
from yolov12.export.quantize import calibration_images, quantize_int8


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


def test_int8_export_option(tmp_path):
    from yolov12.export import ExportConfig, export_model
    from yolov12.models import build_model

    path = export_model(build_model("n", nc=3), ExportConfig(imgsz=96, int8=True, output=tmp_path / "q.onnx"))
    assert path.exists() and not (tmp_path / "q-fp32.onnx").exists()
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "QuantizeLinear" in ops and read_metadata(path)["nc"] == "3"
    assert load_onnx(path)(torch.rand(1, 3, 96, 96)).shape == (1, 7, 12 * 12 + 6 * 6 + 3 * 3)
    with pytest.raises(ValueError, match="static shapes"):
        ExportConfig(int8=True, dynamic=True)


def test_unreadable_calibration_images_are_skipped(tmp_path, caplog):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xffjunk")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="no \\(readable\\) calibration images found under"):
        calibration_images(tmp_path)
    cv2.imwrite(str(tmp_path / "ok.png"), np.zeros((8, 8, 3), np.uint8))
    logger = logging.getLogger("yolov12")
    logger.addHandler(caplog.handler)
    try:
        assert calibration_images(tmp_path) == [tmp_path / "ok.png"]
    finally:
        logger.removeHandler(caplog.handler)
    assert "broken.jpg" in caplog.text
