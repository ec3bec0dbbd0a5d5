"""TorchScript export, foreign ONNX files, configuration errors, Predictor on an ONNX backend."""

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from tests.export.conftest import max_rel
from yolov12.tasks import get_task
from yolov12.export import ExportConfig, export_model, load_onnx, load_torchscript
from yolov12.inference.predictor import PredictConfig, Predictor


@pytest.mark.parametrize("scale", ["n"])
def test_torchscript_parity(models, tmp_path, scale):
    model = models[scale]
    module, meta = load_torchscript(export_model(model, ExportConfig(format="torchscript", imgsz=160,
                                                                     output=tmp_path / "m.torchscript")))
    assert meta["scale"] == scale
    for hw in ((160, 160), (192, 256)):  # a trace generalises to other sizes
        x = torch.rand(2, 3, *hw)
        with torch.no_grad(), torch.jit.optimized_execution(False):  # skip the profiling executor's warm-up
            assert max_rel(model(x), module(x)) <= 1e-4


def test_unsupported_format_lists_supported():
    with pytest.raises(ValueError, match="supported formats: onnx, torchscript"):
        ExportConfig(format="tflite")
    with pytest.raises(ValueError, match="imgsz must be a positive integer"):
        ExportConfig(imgsz=0)
    with pytest.raises(ValueError, match="int8=True needs"):
        ExportConfig(half=True, int8=True)
    with pytest.raises(ValueError, match="format=.onnx. only"):
        ExportConfig(format="torchscript", nms=True)


def _graph(path, out_shape, op="Identity"):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)
    if op == "Identity":
        node = helper.make_node("Identity", ["x"], ["y"])
    else:  # (1, 3, 64, 64) -> (1, 6, 2048): looks like a detector with nc = 2
        shape = helper.make_tensor("s", TensorProto.INT64, [3], [1, 6, 2048])
        node = helper.make_node("Reshape", ["x", "s"], ["y"])
    g = helper.make_graph([node], "g", [x], [y], initializer=[] if op == "Identity" else [shape])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))
    return path


def test_foreign_onnx_without_detector_output_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="not a YOLOv12 ONNX export: metadata"):
        load_onnx(_graph(tmp_path / "id.onnx", [1, 3, 64, 64]))


def test_foreign_onnx_with_detector_output_loads_with_default_names(tmp_path, caplog):
    backend = load_onnx(_graph(tmp_path / "det.onnx", [1, 6, 2048], op="Reshape"))
    assert backend.names == ["0", "1"] and backend.nc == 2 and backend.imgsz == (64, 64)
    assert "no yolov12 metadata" in caplog.text


def test_predictor_runs_on_onnx_backend(models, exported):
    model = models["n"]
    backend = load_onnx(exported("n", imgsz=(160, 160), dynamic=True))
    image = np.random.default_rng(0).integers(0, 255, (120, 200, 3), dtype=np.uint8)
    cfg = PredictConfig(imgsz=160, conf=0.05)
    detect = get_task("detect")
    ours, ref = Predictor(backend, backend.names, cfg, detect), Predictor(model, model.names, cfg, detect)
    assert (ours.device.type, ours.dtype, ours.stride, ours.imgsz) == ("cpu", torch.float32, 32, (160, 160))
    batch = ours.preprocess([image])
    with torch.no_grad():
        assert max_rel(ref.inference(batch.tensor), ours.inference(batch.tensor)) <= 1e-4
    results = ours([image])
    assert len(results) == 1 and len(results[0].boxes) > 0 and results[0].names[0] == "0"


def test_max_relative_error_helper(models, exported):
    from yolov12.export import max_relative_error

    assert max_relative_error(models["n"], exported("n", imgsz=(160, 160)), imgsz=160) <= 1e-4


def test_static_graph_takes_smaller_inputs_and_batches(exported):
    backend = load_onnx(exported("n", imgsz=(160, 160)))
    out = backend(torch.rand(2, 3, 128, 160))  # padded to 160x160, run one image at a time
    assert out.shape == (2, 84, 525)
    with pytest.raises(ValueError, match="larger than this static graph"):
        backend(torch.rand(1, 3, 192, 160))
