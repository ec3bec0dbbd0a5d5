"""Bit-packed mask IoU: equal to a dense count and to pycocotools ``maskUtils.iou`` on edge cases."""

import numpy as np
import pytest

from yolov12.ops import packed_masks
from yolov12.ops.packed_masks import _packbits, pack_masks, packed_mask_iou, pair_intersections


def _dense_iou(d, g, crowd):
    d, g = d.reshape(len(d), -1).astype(np.int64), g.reshape(len(g), -1).astype(np.int64)
    inter = (d @ g.T).astype(np.float64)
    da, ga = d.sum(1)[:, None].astype(np.float64), g.sum(1)[None].astype(np.float64)
    union = np.where(crowd[None], da, da + ga - inter)
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _masks(rng, n, h, w):
    """Rectangles of random density, plus an empty mask, a full one and ones touching every border."""
    out = np.zeros((n + 4, h, w), bool)
    for k in range(n):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        y1, x1 = rng.integers(y0, h) + 1, rng.integers(x0, w) + 1
        out[k, y0:y1, x0:x1] = rng.random((y1 - y0, x1 - x0)) < rng.uniform(0.3, 1.0)
    out[n + 1] = True  # full image; out[n] stays empty
    out[n + 2, -1, :] = True  # bottom row
    out[n + 3, :, -1] = True  # right column
    return out


@pytest.mark.parametrize("hw", [(1, 1), (5, 7), (9, 8), (16, 64), (13, 130), (33, 200)])
def test_pack_masks_area_box_and_bits(hw):
    rng = np.random.default_rng(sum(hw))
    m = _masks(rng, 6, *hw)
    p = pack_masks(m)
    assert p.area.tolist() == m.reshape(len(m), -1).sum(1).tolist()
    for k in range(len(m)):
        ys, xs = np.nonzero(m[k])
        if len(ys):
            assert p.box[k].tolist() == [ys.min(), ys.max(), xs.min(), xs.max()]
        else:
            assert p.box[k, 0] > p.box[k, 1] and p.box[k, 2] > p.box[k, 3]
    np.testing.assert_array_equal(_packbits(m), np.packbits(m, axis=-1))


@pytest.mark.parametrize("hw", [(1, 1), (5, 7), (16, 64), (13, 130), (33, 200)])
def test_iou_equals_dense_count(hw):
    rng = np.random.default_rng(hw[0] * 1000 + hw[1])
    d, g = _masks(rng, 8, *hw), _masks(rng, 5, *hw)
    crowd = rng.random(len(g)) < 0.4
    got = packed_mask_iou(pack_masks(d), pack_masks(g), crowd)
    np.testing.assert_array_equal(got, _dense_iou(d, g, crowd))  # same integers, same division: bit-identical


def test_iou_equals_pycocotools():
    mask_utils = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(7)
    d, g = _masks(rng, 10, 37, 70), _masks(rng, 6, 37, 70)
    crowd = np.array([False, True, False, True, False, False, True, False, False, True])
    ref = mask_utils.iou(mask_utils.encode(np.asfortranarray(d.transpose(1, 2, 0).astype(np.uint8))),
                         mask_utils.encode(np.asfortranarray(g.transpose(1, 2, 0).astype(np.uint8))),
                         crowd.astype(np.uint8).tolist())
    np.testing.assert_array_equal(packed_mask_iou(pack_masks(d), pack_masks(g), crowd), ref)


def test_edge_cases_exact():
    d = np.zeros((4, 6, 10), bool)
    g = np.zeros((3, 6, 10), bool)
    d[0, :2, :2] = True  # 4 px, top-left corner
    d[1, 4:, 8:] = True  # 4 px, bottom-right corner (touches both borders)
    # d[2] empty
    d[3, :, 9] = True  # right border column
    g[0, :2, :4] = True  # 8 px
    g[1, 3:, 5:] = True  # crowd region, 15 px, holds d[1]
    g[2, 5, :] = True  # bottom border row
    iou = packed_mask_iou(pack_masks(d), pack_masks(g), np.array([False, True, False]))
    assert iou[0].tolist() == [0.5, 0.0, 0.0]  # boxes of d0 and g1 / g2 do not overlap: exactly 0
    assert iou[1].tolist() == [0.0, 1.0, 2 / 12]  # crowd: intersection / detection area
    assert iou[2].tolist() == [0.0, 0.0, 0.0]  # empty detection
    assert iou[3].tolist() == [0.0, 3 / 6, 1 / 15]  # crowd: 3 / 6 (detection area), else 1 / (6 + 10 - 1)
    only = np.zeros((4, 3), bool)
    only[1, 1] = True
    assert packed_mask_iou(pack_masks(d), pack_masks(g), np.array([False, True, False]), only).tolist() == \
        [[0, 0, 0], [0, 1.0, 0], [0, 0, 0], [0, 0, 0]]  # candidates: other pairs reported as 0
    assert packed_mask_iou(pack_masks(d[:0]), pack_masks(g)).shape == (0, 3)
    assert packed_mask_iou(pack_masks(d), pack_masks(g[:0])).shape == (4, 0)


def test_chunked_intersections_equal(monkeypatch):
    rng = np.random.default_rng(3)
    d, g = _masks(rng, 12, 20, 70), _masks(rng, 9, 20, 70)
    a, b = pack_masks(d), pack_masks(g)
    i, j = np.meshgrid(np.arange(len(d)), np.arange(len(g)), indexing="ij")
    want = (d[i.ravel()] & g[j.ravel()]).reshape(i.size, -1).sum(1)
    monkeypatch.setattr(packed_masks, "_CHUNK_BYTES", 1)  # one pair per chunk
    assert pair_intersections(a, b, i.ravel(), j.ravel()).tolist() == want.tolist()


def test_integer_masks_and_bad_shape():
    m = np.zeros((2, 4, 4), np.uint8)
    m[0, 1:3, 1:3] = 255
    assert pack_masks(m).area.tolist() == [4, 0]
    with pytest.raises(ValueError, match="expected \\(n, h, w\\)"):
        pack_masks(np.zeros((4, 4), bool))
