"""OBB export: the published-format checkpoint to ONNX, onnxruntime parity, the ONNX backend returning Results.obb."""

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")

from yolov12 import YOLO  # noqa: E402


def test_obb_onnx_parity_and_backend(reference_dir, tmp_path):
    m = YOLO(reference_dir / "yolo12n-obb-reference-checkpoint.pt")
    path = m.export(format="onnx", imgsz=160, output=str(tmp_path / "obb.onnx"))
    o = YOLO(path)
    assert o.task == "obb" and o.backend == "onnxruntime"
    x = torch.rand(1, 3, 160, 160, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = m.model.eval()(x)
    out = o.model(x)
    assert out.shape == ref.shape == (1, 85, 525)
    assert (out[:, :4] - ref[:, :4]).abs().max() <= 5e-4 * ref[:, :4].abs().max()
    assert (out[:, 4:84] - ref[:, 4:84]).abs().max() <= 2e-3
    assert (out[:, 84:] - ref[:, 84:]).abs().max() <= 1e-3 * ref[:, 84:].abs().max()
    img = np.random.default_rng(0).integers(0, 255, (160, 160, 3), dtype=np.uint8)
    a, b = m.predict(img, imgsz=160, conf=0.2)[0], o.predict(img, imgsz=160, conf=0.2)[0]
    assert b.obb is not None and len(a.obb) == len(b.obb) > 0
    assert torch.allclose(torch.as_tensor(a.obb.data), torch.as_tensor(b.obb.data), atol=2e-2)
    with pytest.raises(ValueError, match="nms=True export is not available"):
        m.export(format="onnx", imgsz=160, nms=True, output=str(tmp_path / "n.onnx"))
