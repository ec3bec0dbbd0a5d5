"""Pose export: the ONNX graph of the reference pose model reproduces the reference outputs (onnxruntime), and
the ONNX backend returns the same Results (boxes and keypoints) as the torch model."""

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

pytest.importorskip("onnxruntime")

from yolov12 import YOLO  # noqa: E402
from yolov12.export import ExportConfig, export_model  # noqa: E402
from yolov12.tasks import load_model  # noqa: E402

NC = 84


@pytest.fixture(scope="module")
def exported(reference_dir, tmp_path_factory):
    model, _ = load_model(reference_dir / "yolo12n-pose-reference.safetensors")
    out = tmp_path_factory.mktemp("onnx") / "pose.onnx"
    return model, export_model(model, ExportConfig(format="onnx", imgsz=(384, 640), output=str(out)))


def test_onnxruntime_matches_the_reference(reference_dir, exported):
    ref = {**load_file(reference_dir / "yolo12n-pose-reference.safetensors"),
           **load_file(reference_dir / "yolo12n-pose-reference-rect-f64.safetensors")}
    _, path = exported
    backend = YOLO(str(path)).model
    assert backend.task == "pose" and backend.kpt_shape == (17, 3)
    pred, kpts = backend(ref["input.rect"].float() / 255)
    r = ref["output.rect"].float()
    assert pred.shape == r.shape and kpts.shape == (2, 17, 3, r.shape[2])
    box = (pred[:, :4] - r[:, :4]).abs().max() / r[:, :4].abs().max()
    score = (pred[:, 4:NC] - r[:, 4:NC]).abs().max()
    kp = (pred[:, NC:] - r[:, NC:]).abs().max() / r[:, NC:].abs().max()
    assert box <= 5e-4 and score <= 2e-3 and kp <= 1e-3, (box, score, kp)


def test_onnx_backend_returns_the_same_results(reference_dir, exported, tmp_path):
    model, path = exported
    img = load_file(reference_dir / "yolo12n-pose-reference.safetensors")["input.rect"][0].permute(1, 2, 0).numpy()
    img = np.ascontiguousarray(img[..., ::-1])  # RGB -> BGR, 384 x 640
    a = YOLO(model).predict(img, imgsz=(384, 640), conf=0.5)[0]
    b = YOLO(str(path)).predict(img, imgsz=(384, 640), conf=0.5)[0]
    assert len(a) > 0 and b.keypoints is not None
    assert len(a) == len(b)
    # near-equal scores of the random network may swap order: pair each torch box with its closest ONNX box
    j = torch.cdist(a.boxes.data[:, :4], b.boxes.data[:, :4]).argmin(1)
    assert sorted(j.tolist()) == list(range(len(b)))
    assert torch.allclose(a.boxes.data[:, :4], b.boxes.data[j, :4], atol=0.5)
    assert torch.allclose(a.keypoints.xy, b.keypoints.xy[j], atol=0.5)
    assert torch.allclose(a.keypoints.conf, b.keypoints.conf[j], atol=2e-3)


def test_in_graph_nms_is_refused_for_pose(exported, tmp_path):
    model, _ = exported
    with pytest.raises(ValueError, match="pose"):
        export_model(model, ExportConfig(format="onnx", imgsz=(64, 64), nms=True, output=str(tmp_path / "x.onnx")))
