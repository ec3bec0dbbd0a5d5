"""OBB post-processing and the Results.obb field."""

import json
import math

import numpy as np
import torch

from yolov12.data.labels import LabelFormat, parse_label_text
from yolov12.inference.obb import OBB, obb_nms, obb_postprocess, scale_rboxes
from yolov12.inference.postprocess import NMSConfig
from yolov12.inference.results import Results
from yolov12.ops.rotated import corners_to_xywhr, rotated_iou


def fake_output(boxes, scores, nc=3):
    """(1, 4 + nc + 1, A) eval output from rows (cx, cy, w, h, r) and (A, nc) scores."""
    b = torch.tensor(boxes, dtype=torch.float32)
    s = torch.tensor(scores, dtype=torch.float32)
    return torch.cat((b[:, :4], s, b[:, 4:5]), 1).T[None]


def test_obb_nms_per_class_and_agnostic():
    boxes = [[50, 50, 40, 10, 0.3], [51, 50, 40, 10, 0.32], [50, 50, 40, 10, 0.31], [150, 50, 20, 20, 0]]
    scores = [[0.9, 0, 0], [0.8, 0, 0], [0, 0.7, 0], [0, 0, 0.1]]
    out = obb_nms(fake_output(boxes, scores), NMSConfig(conf=0.25, iou=0.5), 3)[0]
    assert out[:, 6].tolist() == [0, 1]  # the overlapping same-class box goes (and the low score)
    out = obb_nms(fake_output(boxes, scores), NMSConfig(conf=0.25, iou=0.5, agnostic=True), 3)[0]
    assert out[:, 6].tolist() == [0]  # across classes the class-1 copy goes too
    out = obb_nms(fake_output(boxes, scores), NMSConfig(conf=0.05, iou=0.5, classes=(2,)), 3)[0]
    assert out[:, 6].tolist() == [2]
    crossed = [[50, 50, 40, 10, 0.3], [50, 50, 40, 10, 0.3 + math.pi / 2]]  # a cross: IoU 1/7, both kept
    out = obb_nms(fake_output(crossed, [[0.9, 0, 0], [0.8, 0, 0]]), NMSConfig(conf=0.25, iou=0.5), 3)[0]
    assert len(out) == 2


def test_postprocess_undoes_letterbox_and_regularises():
    # a 100 x 200 image letterboxed into 160 x 320... gain 1.6, pad (0, 0); then the same with a pad
    boxes = [[80, 40, 10, 30, 0.2]]  # h > w: reported with w the long side, angle + pi/2
    out = obb_postprocess(fake_output(boxes, [[0.9, 0, 0]]), (160, 320), [(100, 200)], [(1.6, (0.0, 0.0))],
                          NMSConfig())[0]
    assert torch.allclose(out[0, :5], torch.tensor([50, 25, 30 / 1.6, 10 / 1.6, 0.2 + math.pi / 2]), atol=1e-5)
    s = scale_rboxes(torch.tensor([[20.0, 30, 10, 10, 0]]), (0.5, (4.0, 6.0)), (64, 64), (100, 100))
    assert torch.allclose(s, torch.tensor([[32.0, 48, 20, 20, 0]]))


def test_results_obb_fields_drawing_txt_json(tmp_path):
    img = np.full((100, 200, 3), 114, np.uint8)
    data = torch.tensor([[60.0, 40, 50, 20, 0.5, 0.9, 1], [150, 60, 30, 10, -0.3, 0.6, 0]])
    r = Results(img, "im.jpg", {0: "a", 1: "b"}, obb=OBB(data, (100, 200)))
    assert len(r) == 2 and r.verbose() == "1 a, 1 b"
    assert r.obb.xyxyxyxy.shape == (2, 4, 2) and r.obb.xywhr.shape == (2, 5)
    c = r.obb.xyxyxyxy
    assert torch.allclose(r.boxes.xyxy, torch.cat((c.amin(1), c.amax(1)), 1))  # enclosing boxes
    assert torch.allclose(r.obb.xyxyxyxyn, c / torch.tensor([200, 100]))
    drawn = r.plot()
    assert drawn.shape == img.shape and (drawn != img).any()
    assert (drawn[40, 60] == img[40, 60]).all()  # outline only, the centre untouched
    rec = json.loads(r.to_json())
    assert rec[0]["obb"]["r"] == 0.5 and len(rec[0]["corners"]) == 4
    # save_txt writes the OBB label format; read back by the label parser it gives the same boxes
    path = r.save_txt(tmp_path / "p.txt")
    parsed = parse_label_text(path.read_text(), 2, fmt=LabelFormat("obb"))
    assert parsed.cls.tolist() == [1, 0]
    back = torch.from_numpy(corners_to_xywhr(np.stack(parsed.segments) * [200, 100])).double()
    assert (rotated_iou(back, data[:, :5].double()) > 0.999).all()
    n = r.numpy()
    assert isinstance(n.obb.data, np.ndarray) and n.obb.xyxyxyxy.shape == (2, 4, 2)
    r.save(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0
    assert len(Results(img, "x", {0: "a"}, obb=OBB(torch.zeros(0, 7), (100, 200)))) == 0
