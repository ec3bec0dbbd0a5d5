"""ONNX export: onnxruntime output equals PyTorch (max abs diff <= 1e-4 x max |ref|), static and dynamic."""

import json

import numpy as np
import onnx
import pytest
import torch

from tests.export.conftest import max_rel
from yolov12.export import ExportConfig, export_model, load_onnx, read_metadata
from yolov12.ops.nms import non_max_suppression

TOL = 1e-4
SQUARE, RECT = (160, 160), (192, 256)


@pytest.mark.parametrize(("scale", "hw"), [("n", SQUARE), ("s", RECT)], ids=["n-square", "s-rect"])
def test_static_parity(models, exported, scale, hw):
    model = models[scale]
    path = exported(scale, imgsz=hw)
    x = torch.rand(1, 3, *hw, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = model(x)
    out = load_onnx(path)(x)
    assert out.shape == ref.shape
    assert max_rel(ref, out) <= TOL
    assert not model.is_fused  # the caller's model is left as it was


@pytest.mark.parametrize("scale", ["n", "s"])
def test_dynamic_parity_other_batch_and_size(models, exported, scale):
    model = models[scale]
    backend = load_onnx(exported(scale, imgsz=SQUARE, dynamic=True))
    assert backend.dynamic
    for b, hw in ((1, SQUARE), (2, RECT), (3, (96, 64))):
        x = torch.rand(b, 3, *hw, generator=torch.Generator().manual_seed(b))
        with torch.no_grad():
            ref = model(x)
        out = backend(x)
        assert out.shape == ref.shape
        assert max_rel(ref, out) <= TOL, (b, hw)


def test_attention_exports_as_plain_ops(exported):
    graph = onnx.load(str(exported("n", imgsz=SQUARE)))
    domains = {n.domain for n in graph.graph.node}
    assert domains <= {"", "ai.onnx"}, domains
    ops = {n.op_type for n in graph.graph.node}
    assert "MatMul" in ops and "Softmax" in ops and "BatchNormalization" not in ops


def _assert_same_detections(got: torch.Tensor, want: torch.Tensor) -> None:
    """(n, 6) detection sets equal up to row order (equal scores may come in any order) and float tolerance."""
    assert got.shape == want.shape
    scale = float(want[:, :4].abs().max())
    unused = torch.ones(len(got), dtype=torch.bool)
    for row in want:
        err = (got[:, :4] - row[:4]).abs().amax(1) / scale + (got[:, 4] - row[4]).abs() + (got[:, 5] != row[5]) * 1e9
        err[~unused] = float("inf")
        i = int(err.argmin())
        assert err[i] <= 2 * TOL, (row, got[i])
        unused[i] = False


def test_nms_in_graph_matches_non_max_suppression(models, exported, tmp_path):
    """In-graph NMS on the graph's own predictions equals non_max_suppression on the plain graph's output.

    (Compared with PyTorch's predictions instead, a 1e-7 score difference can break a tie differently.)
    """
    model, kw = models["n"], dict(conf=0.3, iou=0.5, max_det=20)
    cfg = ExportConfig(imgsz=SQUARE, batch=2, nms=True, dynamic=True, output=tmp_path / "nms.onnx", **kw)
    backend = load_onnx(export_model(model, cfg))
    plain = load_onnx(exported("n", imgsz=SQUARE, dynamic=True))
    x = torch.rand(2, 3, *SQUARE, generator=torch.Generator().manual_seed(3))
    ref = non_max_suppression(plain(x), **kw)
    det, num = backend.forward_raw(x)
    assert det.shape == (2, 20, 6) and num.shape == (2,)
    for b in range(2):
        n = int(num[b])
        assert n == len(ref[b]) and n > 0
        assert not det[b, n:].any()
        _assert_same_detections(torch.from_numpy(det[b, :n]), ref[b])
    # Through the Predictor-facing forward, NMS again is a no-op: the same detections come back.
    again = non_max_suppression(backend(x), **kw)
    for b in range(2):
        _assert_same_detections(again[b], torch.from_numpy(det[b, : int(num[b])]))


def test_nms_head_in_pytorch_matches_non_max_suppression(models):
    from yolov12.export.nms import NMSHead

    with torch.no_grad():
        pred = models["n"](torch.rand(2, 3, *SQUARE, generator=torch.Generator().manual_seed(4)))
    det, num = NMSHead(conf=0.3, iou=0.5, max_det=20)(pred)
    ref = non_max_suppression(pred, conf=0.3, iou=0.5, max_det=20)
    for b in range(2):
        assert int(num[b]) == len(ref[b]) > 0
        _assert_same_detections(det[b, : int(num[b])], ref[b])


def test_metadata_round_trip(tmp_path):
    from yolov12.models.detection import build_model

    model = build_model("n", nc=3, variant="turbo", names=["cat", "dog", "bird"])
    path = export_model(model, ExportConfig(imgsz=RECT, output=tmp_path / "meta.onnx"))
    meta = read_metadata(path)
    assert json.loads(meta["names"]) == ["cat", "dog", "bird"]
    assert json.loads(meta["imgsz"]) == list(RECT)
    assert (meta["stride"], meta["nc"], meta["task"], meta["scale"], meta["variant"]) == ("32", "3", "detect", "n", "turbo")
    import yolov12

    assert meta["yolov12_version"] == yolov12.__version__
    backend = load_onnx(path)
    assert (backend.names, backend.nc, backend.stride, backend.imgsz) == (["cat", "dog", "bird"], 3, 32, RECT)
    assert backend(torch.rand(1, 3, *RECT)).shape == (1, 7, (24 * 32 + 12 * 16 + 6 * 8))


def test_half_export_runs_in_float16_and_matches_float32(models, exported):
    model = models["n"]
    path = exported("n", imgsz=SQUARE, half=True)
    backend = load_onnx(path)
    assert backend.input_dtype == np.float16 and read_metadata(path)["half"] == "true"
    x = torch.rand(1, 3, *SQUARE, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        ref = model(x)
    out = backend(x)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert max_rel(ref, out) <= 5e-3  # float16 rounding through the whole network
    det, num = load_onnx(exported("n", imgsz=SQUARE, half=True, nms=True, conf=0.05)).forward_raw(x)
    assert det.dtype == np.float32 and det.shape == (1, 300, 6) and num[0] > 0


def test_opset_this_torch_cannot_write_is_a_clear_error(tmp_path):
    from yolov12.export.onnx import export_onnx

    class Double(torch.nn.Module):
        nms = None

        def forward(self, x):
            return x * 2

    with pytest.raises(ValueError, match="opset=99 cannot be exported by torch .*leave opset unset for 17"):
        export_onnx(Double(), torch.zeros(1, 3, 32, 32), ExportConfig(opset=99), {}, tmp_path / "m.onnx")
