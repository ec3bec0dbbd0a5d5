"""Segment ONNX export: predictions and prototypes equal to the torch model in onnxruntime, and the ONNX backend
giving the same Results.masks through YOLO(...).predict."""

import numpy as np
import pytest
import torch

from yolov12 import YOLO

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("segx")
    torch.manual_seed(0)
    model = YOLO("yolov12n-seg.yaml", nc=3)
    path = model.export(format="onnx", imgsz=96, dynamic=True, output=str(root / "seg.onnx"))
    return model, path, root


def test_onnxruntime_parity(exported):
    model, path, _ = exported
    onnx = YOLO(path)
    assert onnx.task == "segment"
    x = torch.rand(2, 3, 96, 128)
    net = model.model.eval()
    with torch.no_grad():
        pred, protos = net(x)
    o_pred, o_protos = onnx.model(x)
    assert o_pred.shape == pred.shape and o_protos.shape == protos.shape == (2, 32, 24, 32)
    assert (o_pred[:, :4] - pred[:, :4]).abs().max() <= 1e-4 * pred[:, :4].abs().max()
    assert (o_pred[:, 4:7] - pred[:, 4:7]).abs().max() <= 1e-4
    assert (o_pred[:, 7:] - pred[:, 7:]).abs().max() <= 1e-3 * pred[:, 7:].abs().max()
    assert (o_protos - protos).abs().max() <= 1e-3 * protos.abs().max()


def test_onnx_backend_gives_the_same_masks(exported):
    model, path, root = exported
    img = (np.random.default_rng(0).random((80, 120, 3)) * 255).astype(np.uint8)
    a = model.predict(img, imgsz=96, conf=0.0, max_det=5)[0]
    b = YOLO(path).predict(img, imgsz=96, conf=0.0, max_det=5)[0]
    assert b.masks is not None and len(b.masks) == len(a.masks) == 5
    torch.testing.assert_close(b.boxes.data, a.boxes.data, atol=1e-3, rtol=1e-4)
    differ = (a.masks.data != b.masks.data).float().mean().item()
    assert differ < 1e-3, differ


def test_nms_form_is_a_clear_error(exported):
    model, _, root = exported
    with pytest.raises(ValueError, match="nms=True export is not available"):
        model.export(format="onnx", imgsz=64, nms=True, output=str(root / "x.onnx"))
