"""Polygons cut by the image border are clipped as shapes (Sutherland-Hodgman), not their vertices moved onto the
border: the clipped polygon covers the same pixels as the object's part inside the image, parts outside vanish,
and detection's boxes are computed as before."""

import cv2
import numpy as np
import pytest

from yolov12.data.augment import Labels, random_affine
from yolov12.data.augment.instances import clip_polygon, clip_segments, fit_points, resample_polygon
from yolov12.ops.masks import polygon_to_mask

shapely = pytest.importorskip("shapely")
from shapely.geometry import Polygon, box  # noqa: E402

H, W = 48, 64


def _star(rng, k=9):
    c = rng.uniform([-20, -20], [W + 20, H + 20])
    a = np.sort(rng.uniform(0, 2 * np.pi, k))
    r = rng.uniform(5, 40, k)
    return c + np.stack([np.cos(a), np.sin(a)], 1) * r[:, None]


def off_edge(m: np.ndarray, truth: np.ndarray) -> int:
    """Pixels where mask ``m`` differs from ``truth`` away from truth's 1-pixel edge band. Two polygons of the same
    shape but different vertices rasterise alike up to that band (COCO's rule walks each edge from its own rounded
    ends); a smear along the border is off it."""
    k = np.ones((3, 3), np.uint8)
    t = truth.astype(np.uint8)
    band = cv2.dilate(t, k) != cv2.erode(t, k, borderType=cv2.BORDER_REPLICATE)  # the image border is no edge
    return int(((m.astype(bool) != truth.astype(bool)) & ~band).sum())


def _vertex_clip(p):
    return np.stack([p[:, 0].clip(0, W), p[:, 1].clip(0, H)], 1)


def test_clip_polygon_area_equals_shapely():
    rng = np.random.default_rng(0)
    n = 0
    for _ in range(300):
        p = _star(rng)
        if not Polygon(p).is_valid:  # an angle gap over 180 degrees can make the star cross itself
            continue
        n += 1
        truth = Polygon(p).intersection(box(0, 0, W, H)).area
        q = clip_polygon(p, H, W)
        ours = 0.0 if len(q) < 3 else abs(Polygon(q.astype(np.float64)).area)
        assert ours == pytest.approx(truth, rel=1e-4, abs=1e-3)  # float32 vertices
        if len(q):
            assert q[:, 0].min() >= 0 and q[:, 0].max() <= W and q[:, 1].min() >= 0 and q[:, 1].max() <= H
    assert n > 200


def test_clipped_mask_is_the_objects_part_inside():
    """The rasteriser clamps a polygon past the border exactly, so it is the truth for the part inside: the clipped
    polygon matches it up to rounding of the new border vertices; moving vertices onto the border does not."""
    rng = np.random.default_rng(1)
    ours_off, vertex_smeared, n = 0, 0, 0
    for _ in range(200):
        p = _star(rng, k=7)
        truth = polygon_to_mask(p, (H, W))
        if truth.sum() < 30:
            continue
        n += 1
        ours_off += off_edge(polygon_to_mask(clip_polygon(p, H, W), (H, W)), truth)
        vertex_smeared += off_edge(polygon_to_mask(_vertex_clip(p), (H, W)), truth) > 0
    assert n > 100 and ours_off == 0
    assert vertex_smeared > n // 2  # the fixture does cut objects where moving vertices smears the mask


def test_fit_points_keeps_the_shape():
    sq = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], np.float32)
    out = fit_points(sq, 12)
    assert out.shape == (12, 2) and all((out == v).all(1).any() for v in sq)  # every corner kept
    np.testing.assert_array_equal(polygon_to_mask(out, (16, 16)), polygon_to_mask(sq, (16, 16)))
    dense = np.concatenate([sq, [[5, 10], [2, 10]]])[[0, 1, 2, 4, 5, 3]]  # two collinear points on the top edge
    np.testing.assert_array_equal(np.sort(fit_points(dense, 4), 0), np.sort(sq, 0))


def test_clip_segments_leaves_inside_polygons_and_flags_outside_ones():
    inside = resample_polygon(np.array([[5, 5], [20, 5], [12, 30]], np.float32))
    cut = resample_polygon(np.array([[50, 10], [90, 10], [70, 40]], np.float32))
    gone = resample_polygon(np.array([[70, 60], [90, 60], [80, 80]], np.float32))
    segs, ok = clip_segments(np.stack([inside, cut, gone]), H, W)
    assert ok.tolist() == [True, True, False]
    np.testing.assert_array_equal(segs[0], inside)
    assert segs.shape == (3, 100, 2) and segs[1, :, 0].max() <= W
    assert off_edge(polygon_to_mask(segs[1], (H, W)), polygon_to_mask(cut, (H, W))) == 0


def test_labels_clip_drops_objects_with_nothing_inside():
    """An L-shaped object wrapped around the image corner from outside: its vertex-clipped box is not empty, but
    nothing of it is in the image."""
    ell = np.array([[W + 1, 10], [W + 3, 10], [W + 3, -3], [10, -3], [10, -1], [W + 1, -1]], np.float32)
    tri = np.array([[5, 5], [20, 5], [12, 30], [12, 30], [12, 30], [12, 30]], np.float32)
    labels = Labels(np.array([0, 1]), np.array([[10, -3, W + 3, 10], [5, 5, 20, 30]], np.float32),
                    np.stack([ell, tri]))
    labels.clip(H, W)
    b = labels.boxes
    keep = ((b[:, 2] - b[:, 0]) > 0) & ((b[:, 3] - b[:, 1]) > 0)
    assert keep.tolist() == [False, True]


def test_affine_boxes_unchanged_and_polygons_clipped():
    """random_affine's boxes are still the box of the warped points clipped to the output (detection unchanged),
    and its polygons cover each object's part inside the output."""
    rng = np.random.default_rng(3)
    img = np.full((H, W, 3), 114, np.uint8)
    # sparse polygons (6 corners, 16 points): the smear of moved vertices is large, as for any polygon whose
    # vertices lie far apart (the dense 100-point ones smear over a few pixels at each cut)
    polys = np.stack([fit_points(_star(rng, 6) * 0.6 + [10, 8], 16) for _ in range(6)])
    boxes = np.concatenate([polys.min(1), polys.max(1)], 1).astype(np.float32)
    labels = Labels(np.arange(6), boxes, polys.astype(np.float32))
    checked = 0
    for seed in range(20):
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        _, out = random_affine(img, labels, r1, degrees=30, translate=0.3, scale=0.4, shear=5)
        # the same warp applied to the raw polygons, for the truth
        M = _affine_matrix(r2, (H, W), degrees=30, translate=0.3, scale=0.4, shear=5)
        warped = (np.concatenate([polys.reshape(-1, 2), np.ones((polys.size // 2, 1))], 1) @ M.T)[:, :2]
        warped = warped.reshape(6, -1, 2)
        vclip = np.stack([warped[..., 0].clip(0, W), warped[..., 1].clip(0, H)], -1)
        vboxes = np.concatenate([vclip.min(1), vclip.max(1)], 1)
        for j, seg in zip(out.cls, out.segments, strict=True):
            np.testing.assert_allclose(out.boxes[list(out.cls).index(j)], vboxes[j], atol=1e-3)
            truth = polygon_to_mask(warped[j], (H, W))
            assert off_edge(polygon_to_mask(seg, (H, W)), truth) == 0
            cut = (warped[j] < 0).any() or (warped[j] > [W, H]).any()
            checked += bool(cut and truth.sum() >= 20)
    assert checked > 10  # objects cut by the border and still large


def _affine_matrix(rng, hw, degrees, translate, scale, shear):
    """random_affine's matrix from the same random draws (perspective 0, border 0)."""
    import math

    import cv2
    h, w = hw
    C = np.eye(3)
    C[0, 2], C[1, 2] = -w / 2, -h / 2
    rng.uniform(-0.0, 0.0)
    rng.uniform(-0.0, 0.0)
    R = np.eye(3)
    a = rng.uniform(-degrees, degrees)
    s = rng.uniform(1 - scale, 1 + scale)
    R[:2] = cv2.getRotationMatrix2D(angle=a, center=(0, 0), scale=s)
    S = np.eye(3)
    S[0, 1] = math.tan(rng.uniform(-shear, shear) * math.pi / 180)
    S[1, 0] = math.tan(rng.uniform(-shear, shear) * math.pi / 180)
    T = np.eye(3)
    T[0, 2] = rng.uniform(0.5 - translate, 0.5 + translate) * w
    T[1, 2] = rng.uniform(0.5 - translate, 0.5 + translate) * h
    return (T @ S @ R @ C).astype(np.float32).astype(np.float64)
