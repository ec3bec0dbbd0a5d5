"""``polygon_to_mask`` is bit-identical to COCO's rasteriser (pycocotools ``frPyObjects`` + ``decode``, the dev-only
oracle) on many polygons: convex, concave, self-intersecting, tiny, sub-pixel, half-pixel aligned, off and touching
the border, and images of 1 pixel."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from yolov12.ops.masks import polygon_to_mask, polygons_to_masks

mask_utils = pytest.importorskip("pycocotools.mask")


def coco_mask(poly: np.ndarray, h: int, w: int) -> np.ndarray:
    rle = mask_utils.frPyObjects([np.asarray(poly, np.float64).reshape(-1).tolist()], h, w)
    return mask_utils.decode(rle)[..., 0]


def test_rectangle_excludes_right_and_bottom_edges():
    rect = np.array([[20, 20], [50, 20], [50, 50], [20, 50]], np.float64)
    m = polygon_to_mask(rect, (64, 64))
    assert np.flatnonzero(m.any(0)).tolist() == list(range(20, 50))
    assert np.flatnonzero(m.any(1)).tolist() == list(range(20, 50))
    assert m.sum() == 30 * 30
    np.testing.assert_array_equal(m, coco_mask(rect, 64, 64))


def _star(rng, center, r_lo, r_hi, k):
    a = np.sort(rng.uniform(0, 2 * np.pi, k))
    r = rng.uniform(r_lo, r_hi, k)
    return center + np.stack([np.cos(a), np.sin(a)], 1) * r[:, None]


def _polygons(seed: int, n: int):
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 70, 2))
        k = int(rng.integers(3, 14))
        c = rng.uniform(0, [w, h])
        kind = i % 6
        if kind == 0:  # random vertices, self-intersecting, often past the border
            p = rng.uniform(-10, max(h, w) + 10, (k, 2))
        elif kind == 1:  # tiny / sub-pixel
            p = _star(rng, c, 0.05, 2.5, k)
        elif kind == 2:  # on the half-pixel grid (ties in the rounding)
            p = np.round(rng.uniform(-2, max(h, w) + 2, (k, 2)) * 2) / 2
        elif kind == 3:  # concave star
            p = _star(rng, c, 1, 40, k)
        elif kind == 4:  # convex
            p = _star(rng, c, 5, 5, k)
        else:  # touching the border exactly
            p = np.stack([rng.choice([0.0, w, rng.uniform(0, w)], k), rng.choice([0.0, h, rng.uniform(0, h)], k)], 1)
        yield p, h, w


def test_bit_identical_to_pycocotools_on_random_polygons():
    for p, h, w in _polygons(0, 1500):
        np.testing.assert_array_equal(polygon_to_mask(p, (h, w)), coco_mask(p, h, w), err_msg=f"{h}x{w} {p.tolist()}")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 48), st.integers(1, 48),
       st.lists(st.tuples(st.floats(-8, 56, allow_nan=False), st.floats(-8, 56, allow_nan=False)),
                min_size=3, max_size=10))
def test_bit_identical_hypothesis(h, w, pts):
    p = np.array(pts, np.float64)
    np.testing.assert_array_equal(polygon_to_mask(p, (h, w)), coco_mask(p, h, w))


def test_ratio_rasterises_the_scaled_polygon():
    rng = np.random.default_rng(1)
    for _ in range(50):
        p = _star(rng, rng.uniform(20, 100, 2), 3, 50, 9)
        np.testing.assert_array_equal(polygon_to_mask(p, (128, 120), ratio=4), coco_mask(p / 4, 32, 30))
    assert polygons_to_masks([p, p], (128, 120), 4).shape == (2, 32, 30)


def test_degenerate_inputs_give_empty_masks():
    assert polygon_to_mask(np.zeros((2, 2)), (5, 6)).shape == (5, 6)
    assert not polygon_to_mask(np.zeros((2, 2)), (5, 6)).any()
    assert not polygon_to_mask(np.full((4, 2), 3.0), (8, 8)).any()  # all vertices in one point
    assert not polygon_to_mask(np.array([[1, 1], [5, 5], [9, 9.0]]), (10, 10)).any()  # collinear


def test_many_polygons_at_once_equal_one_at_a_time():
    """polygons_to_masks walks all polygons in one pass: each mask equals COCO's for that polygon alone (no
    crossing leaks from one polygon into the next, also at the last column and bottom row)."""
    polys, hws = [], []
    for p, h, w in _polygons(7, 60):
        polys.append(p)
        hws.append((h, w))
    H, W = 40, 50
    polys += [np.array([[0, 0], [W, 0], [W, H], [0, H]], np.float64), np.zeros((2, 2)),
              np.array([[W - 1, H - 1], [W + 5, H - 1], [W + 5, H + 5]], np.float64)]
    out = polygons_to_masks(polys, (H, W))
    assert out.shape == (len(polys), H, W) and out.dtype == np.uint8
    for p, m in zip(polys, out, strict=True):
        expect = coco_mask(p, H, W) if len(p) >= 3 else np.zeros((H, W), np.uint8)
        np.testing.assert_array_equal(m, expect)
    assert polygons_to_masks([], (H, W)).shape == (0, H, W)


def test_box_masks_equals_thresholded_crop_masks():
    """masks_to_original's bool crop (box_masks & logits > 0) keeps exactly the pixels crop_masks(...) > 0 keeps:
    fractional, exact-integer, outside-the-image and empty boxes."""
    from yolov12.ops.masks import box_masks, crop_masks

    g = torch.Generator().manual_seed(0)
    for n, h, w in [(40, 37, 53), (1, 8, 8), (0, 5, 6)]:
        x = torch.randn(n, h, w, generator=g)
        xy = torch.rand(n, 2, generator=g) * torch.tensor([w + 10.0, h + 10.0]) - 10
        b = torch.cat([xy, xy + torch.rand(n, 2, generator=g) * 40], 1)
        if n > 3:
            b[0] = torch.tensor([2.0, 3.0, 9.0, 11.0])  # integer edges: x = 9 / y = 11 are outside
            b[1] = torch.tensor([5.0, 5.0, 5.0, 9.0])  # zero width: nothing kept
        assert torch.equal(box_masks((h, w), b) & (x > 0), crop_masks(x, b) > 0)
    assert box_masks((3, 4), torch.tensor([[1.0, 0.0, 3.0, 2.0]]))[0].tolist() == [
        [False, True, True, False], [False, True, True, False], [False, False, False, False]]
