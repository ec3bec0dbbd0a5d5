"""NMS against a brute-force reference: identical keep sets, ties, empties, multi-label, class filter, agnostic."""

from __future__ import annotations

import pytest
import torch

from yolov12.ops.nms import batched_nms, nms, non_max_suppression


def _ref_iou_matrix(b: torch.Tensor) -> torch.Tensor:
    """Same arithmetic as torchvision's CPU kernel, written independently."""
    x1, y1, x2, y2 = b.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    iw = (torch.minimum(x2[:, None], x2[None]) - torch.maximum(x1[:, None], x1[None])).clamp(min=0)
    ih = (torch.minimum(y2[:, None], y2[None]) - torch.maximum(y1[:, None], y1[None])).clamp(min=0)
    inter = iw * ih
    return inter / (area[:, None] + area[None] - inter)


def _ref_nms(boxes, scores, iou, cls=None) -> list[int]:
    """Textbook greedy loop: visit by score (ties: lower index first), keep unless a kept box overlaps > iou."""
    n = boxes.shape[0]
    order = sorted(range(n), key=lambda i: (-float(scores[i]), i))
    sup = (_ref_iou_matrix(boxes) > iou).tolist()  # comparison done in float32, like the kernel
    c = cls.tolist() if cls is not None else [0] * n
    kept: list[int] = []
    for i in order:
        if not any(sup[k][i] and c[k] == c[i] for k in kept):
            kept.append(i)
    return kept


def _random_boxes(n: int, gen: torch.Generator, size: float = 100.0, clustered: bool = True) -> torch.Tensor:
    if clustered:  # a few clusters of heavily overlapping boxes, like real detector output
        centres = torch.rand(max(n // 8, 1), 2, generator=gen) * size
        c = centres[torch.randint(0, centres.shape[0], (n,), generator=gen)] + torch.randn(n, 2, generator=gen) * 3
    else:
        c = torch.rand(n, 2, generator=gen) * size
    wh = torch.rand(n, 2, generator=gen) * 30 + 1
    return torch.cat((c - wh / 2, c + wh / 2), 1)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 100, 1500])
@pytest.mark.parametrize("iou", [0.3, 0.5, 0.7])
def test_nms_matches_reference(n, iou):
    gen = torch.Generator().manual_seed(n * 31 + int(iou * 10))
    boxes = _random_boxes(n, gen)
    scores = torch.rand(n, generator=gen)
    assert nms(boxes, scores, iou).tolist() == _ref_nms(boxes, scores, iou)


def test_nms_ties_and_duplicates():
    gen = torch.Generator().manual_seed(0)
    boxes = _random_boxes(600, gen)
    boxes[300:] = boxes[:300]  # exact duplicate boxes
    scores = (torch.rand(600, generator=gen) * 5).floor() / 5  # only 5 distinct scores -> many ties
    for iou in (0.0, 0.5, 0.99):
        assert nms(boxes, scores, iou).tolist() == _ref_nms(boxes, scores, iou)


def test_nms_degenerate_boxes_never_suppress():
    boxes = torch.tensor([[0.0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 5], [0, 0, 10, 10]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    assert nms(boxes, scores, 0.5).tolist() == [0, 1, 2, 3]


def test_nms_long_chain_uses_exact_fallback():
    # boxes sliding by a small step: each overlaps its neighbour above threshold -> alternating keep pattern
    x = torch.arange(200, dtype=torch.float32)  # neighbour IoU 9/11 > 0.7, next-but-one 8/12 < 0.7
    boxes = torch.stack((x, torch.zeros_like(x), x + 10, torch.full_like(x, 10)), 1)
    scores = torch.linspace(1, 0.1, 200)
    assert nms(boxes, scores, 0.7).tolist() == _ref_nms(boxes, scores, 0.7)


@pytest.mark.parametrize("max_keep", [0, 1, 5, 50])
def test_nms_max_keep_is_prefix(max_keep):
    gen = torch.Generator().manual_seed(3)
    boxes, scores = _random_boxes(800, gen), torch.rand(800, generator=gen)
    assert nms(boxes, scores, 0.5, max_keep=max_keep).tolist() == _ref_nms(boxes, scores, 0.5)[:max_keep]


def test_batched_nms_matches_per_class_reference():
    gen = torch.Generator().manual_seed(5)
    boxes, scores = _random_boxes(1200, gen), torch.rand(1200, generator=gen)
    cls = torch.randint(0, 4, (1200,), generator=gen)
    assert batched_nms(boxes, scores, cls, 0.5).tolist() == _ref_nms(boxes, scores, 0.5, cls)


# ---------------------------------------------------------------------------------------------------------------
# non_max_suppression: reference = explicit candidate list + reference NMS


def _ref_postprocess(x, conf, iou, classes, agnostic, multi_label, max_det, max_nms):
    """x: (4 + nc, A) one image."""
    nc = x.shape[0] - 4
    cx, cy, w, h = x[:4]
    xyxy = torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), 1)
    cands = []  # (anchor, cls, score) in (anchor, class) order
    for a in range(x.shape[1]):
        if multi_label:
            for c in range(nc):
                if x[4 + c, a] > conf and (classes is None or c in classes):
                    cands.append((a, c, float(x[4 + c, a])))
        else:
            s, c = x[4:, a].max(0)
            if s > conf and (classes is None or int(c) in classes):
                cands.append((a, int(c), float(s)))
    cands = [cands[i] for i in sorted(range(len(cands)), key=lambda i: (-cands[i][2], i))]
    cands = cands[:max_nms]
    if not cands:
        return torch.zeros(0, 6)
    a = torch.tensor([c[0] for c in cands])
    cl = torch.tensor([c[1] for c in cands])
    sc = torch.tensor([c[2] for c in cands])
    keep = _ref_nms(xyxy[a], sc, iou, None if agnostic else cl)[:max_det]
    return torch.cat((xyxy[a][keep], sc[keep, None], cl[keep, None].float()), 1)


def _random_pred(b: int, nc: int, a: int, gen: torch.Generator, tie_scores: bool = False) -> torch.Tensor:
    xyxy = _random_boxes(b * a, gen, size=200).view(b, a, 4)
    xywh = torch.cat(((xyxy[..., :2] + xyxy[..., 2:]) / 2, xyxy[..., 2:] - xyxy[..., :2]), -1)
    scores = torch.sigmoid(torch.randn(b, a, nc, generator=gen) * 2 - 2)
    if tie_scores:
        scores = (scores * 10).round() / 10
    return torch.cat((xywh, scores), -1).permute(0, 2, 1).contiguous()


CASES = {
    "default": dict(conf=0.25, iou=0.7, classes=None, agnostic=False, multi_label=False, max_det=300, max_nms=30000),
    "multi_label": dict(conf=0.1, iou=0.6, classes=None, agnostic=False, multi_label=True, max_det=300, max_nms=30000),
    "classes": dict(conf=0.1, iou=0.5, classes=[0, 2], agnostic=False, multi_label=True, max_det=300, max_nms=30000),
    "classes_single": dict(conf=0.1, iou=0.5, classes=[1], agnostic=False, multi_label=False, max_det=300,
                           max_nms=30000),
    "agnostic": dict(conf=0.1, iou=0.5, classes=None, agnostic=True, multi_label=True, max_det=300, max_nms=30000),
    "max_det": dict(conf=0.01, iou=0.7, classes=None, agnostic=False, multi_label=True, max_det=17, max_nms=30000),
    "max_nms": dict(conf=0.01, iou=0.7, classes=None, agnostic=False, multi_label=True, max_det=300, max_nms=40),
    "nothing_passes": dict(conf=0.999, iou=0.7, classes=None, agnostic=False, multi_label=True, max_det=300,
                           max_nms=30000),
}


@pytest.mark.parametrize("tie_scores", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_non_max_suppression_matches_reference(case, tie_scores):
    gen = torch.Generator().manual_seed(11)
    pred = _random_pred(2, 3, 120, gen, tie_scores)
    kw = CASES[case]
    out = non_max_suppression(pred, **kw)
    assert len(out) == 2
    for x, o in zip(pred, out):
        ref = _ref_postprocess(x, **kw)
        assert o.shape == ref.shape and o.shape[1] == 6
        assert torch.equal(o, ref)
        assert (o[1:, 4] <= o[:-1, 4]).all()


def test_non_max_suppression_empty_anchors():
    out = non_max_suppression(torch.zeros(3, 4 + 5, 0), conf=0.001)
    assert [o.shape for o in out] == [(0, 6)] * 3


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sort_desc_matches_stable_sort(dtype):
    from yolov12.ops.nms import _sort_desc

    gen = torch.Generator().manual_seed(2)
    v = ((torch.randn(5000, generator=gen) * 3).round() / 3).to(dtype)  # many ties, negatives and zeros
    v[:10] = -0.0
    tb = torch.randperm(5000, generator=gen)
    ref = sorted(range(5000), key=lambda i: (-float(v[i]), int(tb[i])))
    assert _sort_desc(v, tb).tolist() == ref


@pytest.mark.parametrize("conf", [0.001, 0.3, 0.9])
def test_non_max_suppression_precut_path(conf):
    # numel > 8 * max_nms triggers the sampled pre-cut; must not change the result
    gen = torch.Generator().manual_seed(4)
    pred = _random_pred(1, 6, 600, gen, tie_scores=True)
    kw = dict(conf=conf, iou=0.6, classes=None, agnostic=False, multi_label=True, max_det=50, max_nms=200)
    assert torch.equal(non_max_suppression(pred, **kw)[0], _ref_postprocess(pred[0], **kw))
