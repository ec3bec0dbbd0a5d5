"""Rotated-box ops against shapely polygons and brute-force loops (random and edge cases)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from yolov12.ops.rotated import (
    corners_to_xywhr, probiou, regularize_rboxes, rotated_iou, rotated_iou_matrix, rotated_nms,
    xywhr_to_corners, xywhr_to_xyxy,
)

shapely = pytest.importorskip("shapely")
from shapely.geometry import Polygon  # noqa: E402


def shapely_iou(a, b):
    pa, pb = Polygon(xywhr_to_corners(a.double()).tolist()), Polygon(xywhr_to_corners(b.double()).tolist())
    inter = pa.intersection(pb).area
    union = pa.area + pb.area - inter
    return inter / union if union > 0 else 0.0


def greedy_reference(boxes, scores, iou):
    """The textbook greedy loop, one pair at a time, on shapely polygons."""
    polys = [Polygon(c) for c in xywhr_to_corners(boxes.double()).tolist()]
    order = sorted(range(len(scores)), key=lambda k: (-float(scores[k]), k))
    keep = []
    for k in order:
        def ov(j):
            inter = polys[k].intersection(polys[j]).area
            return inter / (polys[k].area + polys[j].area - inter)
        if all(ov(j) <= iou for j in keep):
            keep.append(k)
    return keep


def random_boxes(g, n, spread=20.0, size=(1.0, 30.0)):
    ctr = torch.rand(n, 2, generator=g, dtype=torch.float64) * spread
    wh = size[0] + torch.rand(n, 2, generator=g, dtype=torch.float64) * (size[1] - size[0])
    r = (torch.rand(n, 1, generator=g, dtype=torch.float64) - 0.5) * 4 * math.pi
    return torch.cat((ctr, wh, r), 1)


def test_corners_round_trip_and_regularisation():
    g = torch.Generator().manual_seed(0)
    b = random_boxes(g, 200)
    for mode in ("half_pi", "long_side"):
        r = regularize_rboxes(b, mode)
        # the same rectangle: same corner set (as polygons: IoU 1)
        assert torch.allclose(rotated_iou(b, r), torch.ones(200, dtype=torch.float64), atol=1e-9)
        if mode == "half_pi":
            assert ((r[:, 4] >= 0) & (r[:, 4] < math.pi / 2)).all()
        else:
            assert ((r[:, 4] >= -math.pi / 4) & (r[:, 4] < 3 * math.pi / 4)).all() and (r[:, 2] >= r[:, 3]).all()
    c = xywhr_to_corners(b).numpy()
    back = torch.from_numpy(corners_to_xywhr(c)).double()
    assert torch.allclose(back, regularize_rboxes(b, "half_pi"), atol=2e-3)
    xyxy = xywhr_to_xyxy(b)
    assert torch.allclose(xyxy[:, :2], torch.from_numpy(c.min(1))) and torch.allclose(xyxy[:, 2:], torch.from_numpy(c.max(1)))


def test_exact_iou_matches_shapely_random():
    g = torch.Generator().manual_seed(1)
    a, b = random_boxes(g, 400), random_boxes(g, 400)
    ours = rotated_iou(a, b)
    ref = torch.tensor([shapely_iou(a[i], b[i]) for i in range(400)], dtype=torch.float64)
    assert (ours - ref).abs().max() < 1e-9
    assert (ref > 0.05).sum() > 100  # the cases overlap
    # float32 too
    assert (rotated_iou(a.float(), b.float()).double() - ref).abs().max() < 1e-4


def test_exact_iou_edge_cases():
    box = torch.tensor([[10.0, 10.0, 8.0, 4.0, 0.3]], dtype=torch.float64)
    cases = [
        box,  # identical
        box + torch.tensor([[0, 0, 0, 0, math.pi]], dtype=torch.float64),  # same rectangle, turned half a turn
        box + torch.tensor([[100, 0, 0, 0, 0]], dtype=torch.float64),  # far apart
        torch.tensor([[10.0, 10.0, 4.0, 8.0, 0.3 + math.pi / 2]], dtype=torch.float64),  # w/h swapped
        torch.tensor([[10.0, 10.0, 2.0, 2.0, 0.3]], dtype=torch.float64),  # contained
        torch.tensor([[18.0, 10.0, 8.0, 4.0, 0.0]], dtype=torch.float64),
    ]
    for other in cases:
        assert abs(float(rotated_iou(box, other)[0]) - shapely_iou(box[0], other[0])) < 1e-9
    # axis-aligned boxes sharing an edge exactly (collinear edges), and a corner touching
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0, 0.0]], dtype=torch.float64)
    for other in ([1.0, 0.0, 2.0, 2.0, 0.0], [2.0, 0.0, 2.0, 2.0, 0.0], [2.0, 2.0, 2.0, 2.0, 0.0],
                  [0.5, 0.5, 2.0, 2.0, 0.0], [0.0, 0.0, 2.0, 2.0, math.pi / 2]):
        o = torch.tensor([other], dtype=torch.float64)
        assert abs(float(rotated_iou(a, o)[0]) - shapely_iou(a[0], o[0])) < 1e-9
    # zero-area boxes have IoU 0, never NaN
    z = torch.tensor([[0.0, 0.0, 0.0, 2.0, 0.0]], dtype=torch.float64)
    assert float(rotated_iou(z, z)[0]) == 0.0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=10, max_size=10),
       st.lists(st.floats(0.1, 40, allow_nan=False), min_size=4, max_size=4))
def test_exact_iou_hypothesis(v, s):
    a = torch.tensor([[v[0] / 5, v[1] / 5, s[0], s[1], v[2]]], dtype=torch.float64)
    b = torch.tensor([[v[3] / 5, v[4] / 5, s[2], s[3], v[5]]], dtype=torch.float64)
    assert abs(float(rotated_iou(a, b)[0]) - shapely_iou(a[0], b[0])) < 1e-7


def test_iou_matrix_and_bad_shapes():
    g = torch.Generator().manual_seed(2)
    a, b = random_boxes(g, 13, spread=60), random_boxes(g, 7, spread=60)
    m = rotated_iou_matrix(a, b)
    ref = torch.tensor([[shapely_iou(x, y) for y in b] for x in a], dtype=torch.float64)
    assert (m - ref).abs().max() < 1e-9
    assert rotated_iou_matrix(a[:0], b).shape == (0, 7)
    with pytest.raises(ValueError, match="xywhr"):
        rotated_iou(a[:, :4], a[:, :4])


def test_probiou_formula():
    g = torch.Generator().manual_seed(3)
    a = random_boxes(g, 50)
    # identical boxes -> ~1; far boxes -> 0; invariant to the representation of the same rectangle
    assert torch.allclose(probiou(a, a), torch.ones(50, dtype=torch.float64), atol=1e-3)
    far = a.clone()
    far[:, 0] += 1e4
    assert probiou(a, far).max() < 1e-6
    for mode in ("half_pi", "long_side"):
        b = random_boxes(g, 50)
        assert torch.allclose(probiou(a, b), probiou(a, regularize_rboxes(b, mode)), atol=1e-9)
    # Gaussian Bhattacharyya distance written out with matrices
    b = random_boxes(g, 50)
    for i in range(5):
        def cov(x):
            r = torch.tensor([[math.cos(x[4]), -math.sin(x[4])], [math.sin(x[4]), math.cos(x[4])]], dtype=torch.float64)
            return r @ torch.diag(torch.stack((x[2] ** 2 / 12, x[3] ** 2 / 12))) @ r.T
        s1, s2 = cov(a[i]), cov(b[i])
        s = (s1 + s2) / 2
        d = (a[i, :2] - b[i, :2])
        bd = d @ torch.linalg.inv(s) @ d / 8 + 0.5 * torch.log(torch.det(s) / torch.sqrt(torch.det(s1) * torch.det(s2)))
        expect = 1 - torch.sqrt(1 - torch.exp(-bd.clamp(1e-7, 100)) + 1e-7)
        assert abs(float(probiou(a[i], b[i])) - float(expect)) < 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_rotated_nms_matches_greedy_reference(seed):
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(g, 60, spread=40, size=(5.0, 25.0))
    scores = torch.rand(60, generator=g, dtype=torch.float64)
    scores[:5] = scores[5]  # ties
    for thr in (0.1, 0.45, 0.7):
        keep = rotated_nms(boxes, scores, thr).tolist()
        assert keep == greedy_reference(boxes, scores, thr)
    assert rotated_nms(boxes, scores, 0.45, max_keep=3).tolist() == greedy_reference(boxes, scores, 0.45)[:3]
    assert rotated_nms(boxes[:0], scores[:0], 0.5).numel() == 0
