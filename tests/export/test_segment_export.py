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


def _lively_model():
    """An untrained network whose scores differ from anchor to anchor: a fresh model's signal dies out through the
    layers in eval mode (every anchor then scores the same, and which tie survives is arbitrary), so the
    BatchNorm statistics are taken from one batch and the class bias raised."""
    torch.manual_seed(1)
    model = YOLO("yolov12n-seg.yaml", nc=3)
    net = model.model
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None  # cumulative: one batch sets the statistics
        net.train()
        net(torch.rand(4, 3, 96, 96))
        net.eval()
        for branch in net.layers[-1].cv3:
            branch[-1].bias.fill_(-3.0)
    return model


def test_nms_form_gives_the_same_results_as_torch(exported):
    """nms=True: detections (B, max_det, 6 + 32) with their mask coefficients, num_dets and the prototypes; the
    ONNX backend's Results (boxes, classes, masks) equal torch predict's on the same image."""
    _, _, root = exported
    model = _lively_model()
    path = model.export(format="onnx", imgsz=96, nms=True, conf=0.0, iou=0.5, max_det=8, dynamic=True,
                        output=str(root / "seg-nms.onnx"))
    onnx = YOLO(path)
    assert onnx.model.has_nms and onnx.task == "segment"
    names = [o.name for o in onnx.model.session.get_outputs()]
    assert names == ["detections", "num_dets", "output1"]
    det, num, protos = onnx.model.forward_raw(torch.rand(2, 3, 96, 128))
    assert det.shape == (2, 8, 6 + 32) and num.shape == (2,) and protos.shape == (2, 32, 24, 32)
    rng = np.random.default_rng(1)
    for hw in ((80, 120), (96, 96)):
        img = (rng.random((*hw, 3)) * 255).astype(np.uint8)
        a = model.predict(img, imgsz=96, conf=0.0, iou=0.5, max_det=8)[0]
        b = onnx.predict(img, imgsz=96, conf=0.0, iou=0.5, max_det=8)[0]
        assert len(a.boxes) == len(b.boxes) == 8 and b.masks is not None
        assert len(set(a.boxes.conf.tolist())) == 8  # distinct scores: the order is defined
        torch.testing.assert_close(b.boxes.data, a.boxes.data, atol=1e-3, rtol=1e-4)  # boxes, scores, classes
        ma, mb = a.masks.data.bool(), b.masks.data.bool()
        assert (ma.flatten(1).sum(1) > 100).all()  # real masks, not empty ones compared
        iou = (ma & mb).flatten(1).sum(1) / (ma | mb).flatten(1).sum(1).clamp(min=1)
        assert iou.min() > 0.99, iou
        assert (ma != mb).float().mean() < 1e-3


def test_nms_form_coefficients_are_the_kept_anchors():
    """The in-graph NMS carries each kept anchor's own 32 coefficients (not shifted by a channel or an anchor)."""
    from yolov12.export.nms import NMSHead

    with torch.no_grad():
        pred, _ = _lively_model().model.eval()(torch.rand(1, 3, 96, 96))
    det, num = NMSHead(0.0, 0.5, 8, extra=32)(pred)
    boxes_xyxy = torch.cat((pred[0, :2] - pred[0, 2:4] / 2, pred[0, :2] + pred[0, 2:4] / 2)).T  # (A, 4)
    for row in det[0, : int(num[0])]:
        a = int(((boxes_xyxy - row[:4]).abs().sum(1)).argmin())
        torch.testing.assert_close(row[6:], pred[0, -32:, a])
        assert row[4] == pred[0, 4:-32, a].max() and row[5] == pred[0, 4:-32, a].argmax()


def test_nms_form_still_refused_for_pose_and_obb():
    from yolov12.tasks import get_task

    assert get_task("segment").export_nms and get_task("detect").export_nms
    assert not get_task("pose").export_nms and not get_task("obb").export_nms
