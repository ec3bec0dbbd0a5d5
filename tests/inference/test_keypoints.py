"""Keypoints views, skeleton drawing (COCO skeleton for 17 points, plain points otherwise), label fields."""

import numpy as np
import torch

from yolov12.inference.keypoints import COCO_SKELETON, Keypoints, draw_keypoints, keypoint_fields
from yolov12.inference.results import Results


def test_views_numpy_and_torch():
    data = torch.tensor([[[10.0, 20, 0.9], [30, 40, 0.1]]])
    k = Keypoints(data, (100, 200))
    assert torch.equal(k.xy, data[..., :2]) and torch.allclose(k.xyn, data[..., :2] / torch.tensor([200, 100]))
    assert torch.equal(k.conf, data[..., 2])
    kn = k.numpy()
    assert isinstance(kn.xy, np.ndarray) and np.allclose(kn.xyn, k.xyn.numpy())
    assert Keypoints(data[..., :2], (100, 200)).conf is None and len(k[0:1]) == 1


def test_skeleton_for_17_points_plain_points_otherwise():
    img = np.zeros((200, 200, 3), np.uint8)
    k17 = np.zeros((1, 17, 3))
    k17[0, :, 0] = np.linspace(20, 180, 17)
    k17[0, :, 1] = 100
    k17[0, :, 2] = 1.0
    k17[0, 5:7] = [[50, 30, 1], [150, 30, 1]]  # shoulders 5-6: the skeleton draws a line between them
    a = draw_keypoints(img.copy(), k17, radius=2)
    assert a[30, 100].any()  # on the 5-6 line, away from any point
    b = draw_keypoints(img.copy(), k17[:, :16], radius=2)  # 16 points: no skeleton
    assert not b[30, 100].any() and b[30, 50].any()
    k17[0, 5, 2] = 0.1  # low visibility: not drawn, nor its bones
    c = draw_keypoints(img.copy(), k17, radius=2)
    assert not c[30, 50].any() and not c[30, 100].any()
    assert all(0 <= i < 17 and 0 <= j < 17 for i, j in COCO_SKELETON)


def test_label_fields_and_results():
    k = Keypoints(torch.tensor([[[50.0, 25, 0.9], [10, 10, 0.2]]]), (100, 200))
    assert keypoint_fields(k) == [["0.250000", "0.250000", "2", "0.000000", "0.000000", "0"]]
    r = Results(np.zeros((100, 200, 3), np.uint8), "a.jpg", ["p"], torch.tensor([[0.0, 0, 60, 60, 0.8, 0]]),
                keypoints=k.data)
    assert r.summary()[0]["keypoints"]["visible"] == [0.9, 0.2]
    assert len(r.cpu().keypoints) == 1
