"""TaskAlignedAssigner on hand-made cases."""

from __future__ import annotations

import torch

from yolov12.loss import AssignResult, TaskAlignedAssigner
from yolov12.loss.assigner import expand_tiny_boxes, select_candidates_in_gts
from yolov12.ops.anchors import make_anchors


def _grid(h: int = 4, w: int = 4, stride: int = 8) -> torch.Tensor:
    """(h*w, 2) anchor centres in pixels of one level."""
    points, strides = make_anchors([(h, w)], [stride])
    return points * strides


def _assign(
    gt_boxes: list[list[float]],
    pd_boxes: torch.Tensor,
    anchors: torch.Tensor,
    labels: list[int] | None = None,
    nc: int = 3,
    topk: int = 10,
    scores: torch.Tensor | None = None,
) -> AssignResult:
    a = anchors.shape[0]
    m = len(gt_boxes)
    gt = torch.tensor(gt_boxes, dtype=torch.float32).view(1, m, 4)
    lab = torch.tensor(labels if labels is not None else [0] * m, dtype=torch.float32).view(1, m, 1)
    if scores is None:
        scores = torch.full((1, a, nc), 0.5)
    return TaskAlignedAssigner(topk=topk, num_classes=nc)(
        scores, pd_boxes.view(1, a, 4), anchors, lab, gt, torch.ones(1, m, 1)
    )


def _boxes_around(anchors: torch.Tensor, half: float) -> torch.Tensor:
    """(A, 4) xyxy squares of half-size ``half`` centred on each anchor."""
    return torch.cat((anchors - half, anchors + half), -1)


def test_candidates_inside_strictly() -> None:
    anchors = torch.tensor([[4.0, 4.0], [12.0, 4.0], [20.0, 4.0]])
    gt = torch.tensor([[[0.0, 0.0, 12.0, 8.0]]])  # anchor (12, 4) sits exactly on the right edge
    mask = select_candidates_in_gts(anchors, gt)
    assert mask.shape == (1, 1, 3)
    assert mask.tolist() == [[[1.0, 0.0, 0.0]]]


def test_anchor_inside_box_is_positive_outside_is_not() -> None:
    anchors = _grid()  # 4x4 anchors at 4, 12, 20, 28 px
    pd = _boxes_around(anchors, 4.0)
    res = _assign([[0.0, 0.0, 16.0, 16.0]], pd, anchors, labels=[2])
    inside = (anchors[:, 0] < 16) & (anchors[:, 1] < 16)  # the 4 anchors (4|12, 4|12)
    assert res.fg_mask.shape == (1, 16)
    assert torch.equal(res.fg_mask[0], inside)
    assert (res.target_labels[0][inside] == 2).all()
    assert (res.target_scores[0][~inside] == 0).all()
    assert (res.target_scores[0][inside][:, [0, 1]] == 0).all()
    assert (res.target_scores[0][inside][:, 2] > 0).all()
    torch.testing.assert_close(res.target_bboxes[0][inside], torch.tensor([[0.0, 0.0, 16.0, 16.0]]).expand(4, 4))


def test_topk_limits_positives_to_best_metrics() -> None:
    anchors = _grid(4, 4)
    pd = torch.tensor([0.0, 0.0, 32.0, 32.0]).expand(16, 4)  # perfect boxes: CIoU 1, the score decides
    scores = torch.full((1, 16, 1), 0.5)
    scores[0, :, 0] = torch.linspace(0.1, 0.9, 16)  # later anchors score higher
    res = _assign([[0.0, 0.0, 32.0, 32.0]], pd, anchors, nc=1, topk=3, scores=scores)
    assert res.fg_mask.sum() == 3
    assert res.fg_mask[0, -3:].all()


def test_anchor_claimed_by_two_boxes_keeps_higher_iou() -> None:
    anchors = _grid(4, 4)
    pd = _boxes_around(anchors, 4.0)  # 8x8 predictions on every anchor
    # anchor 5 = (12, 12); its prediction (8, 8, 16, 16) equals box A and overlaps box B less
    box_a = [8.0, 8.0, 16.0, 16.0]
    box_b = [0.0, 0.0, 30.0, 30.0]
    for order, a_idx in (([box_a, box_b], 0), ([box_b, box_a], 1)):
        res = _assign(order, pd, anchors, labels=[0, 1] if a_idx == 0 else [1, 0], nc=2)
        assert res.fg_mask[0, 5]
        assert res.target_gt_idx[0, 5] == a_idx
        assert res.target_labels[0, 5] == 0  # box A has class 0
        torch.testing.assert_close(res.target_bboxes[0, 5], torch.tensor(box_a))
        # box B keeps the anchors it does not share with A
        others = res.fg_mask[0].clone()
        others[5] = False
        assert others.any() and (res.target_gt_idx[0][others] == 1 - a_idx).all()


def test_target_score_normalisation() -> None:
    """Best positive anchor of a box gets that box's best CIoU; the others scale with their metric."""
    anchors = _grid(4, 4)
    pd = _boxes_around(anchors, 4.0)
    pd[5] = torch.tensor([8.0, 8.0, 16.0, 16.0])  # exactly the gt box below
    res = _assign([[8.0, 8.0, 16.0, 16.0]], pd, anchors, nc=1)
    assert res.fg_mask[0].sum() == 1 and res.fg_mask[0, 5]
    torch.testing.assert_close(res.target_scores[0, 5, 0], torch.tensor(1.0), atol=1e-6, rtol=0)

    shift = (anchors - 12.0) * 0.25  # predictions = the gt box translated by up to 4 px, more for far anchors
    pd2 = torch.tensor([0.0, 0.0, 24.0, 24.0]) + torch.cat((shift, shift), -1)
    res2 = _assign([[0.0, 0.0, 24.0, 24.0]], pd2, anchors, nc=1)
    pos = res2.fg_mask[0]
    assert pos.sum() == 9
    ts = res2.target_scores[0, pos, 0]
    from yolov12.ops.boxes import bbox_iou

    ious = bbox_iou(torch.tensor([[0.0, 0.0, 24.0, 24.0]]), pd2[pos], ciou=True).clamp(0).squeeze(-1)
    torch.testing.assert_close(ts.max(), ious.max())
    metric = 0.5**0.5 * ious.pow(6)
    torch.testing.assert_close(ts, metric / metric.max() * ious.max(), rtol=1e-5, atol=1e-7)


def test_padding_boxes_and_empty_input() -> None:
    anchors = _grid(2, 2)
    pd = _boxes_around(anchors, 4.0).view(1, 4, 4).repeat(2, 1, 1)
    gt = torch.zeros(2, 2, 4)
    gt[0, 0] = torch.tensor([0.0, 0.0, 16.0, 16.0])  # image 0: one real box + padding; image 1: padding only
    mask = torch.tensor([[[1.0], [0.0]], [[0.0], [0.0]]])
    res = TaskAlignedAssigner(num_classes=2)(torch.full((2, 4, 2), 0.5), pd, anchors, torch.zeros(2, 2, 1), gt, mask)
    assert res.fg_mask[0].all() and not res.fg_mask[1].any()
    assert (res.target_gt_idx[0] == 0).all()

    empty = TaskAlignedAssigner(num_classes=2)(
        torch.full((2, 4, 2), 0.5), pd, anchors, torch.zeros(2, 0, 1), torch.zeros(2, 0, 4), torch.zeros(2, 0, 1)
    )
    assert empty.target_scores.shape == (2, 4, 2) and empty.target_scores.sum() == 0
    assert empty.fg_mask.dtype == torch.bool and not empty.fg_mask.any()
    assert empty.target_bboxes.shape == (2, 4, 4)


def test_expand_tiny_boxes() -> None:
    gt = torch.tensor([[[10.0, 10.0, 13.0, 30.0], [0.0, 0.0, 0.0, 0.0]]])
    mask = torch.tensor([[[1.0], [0.0]]])
    out = expand_tiny_boxes(gt, mask, 16.0, 16.0)
    torch.testing.assert_close(out[0, 0], torch.tensor([3.5, 10.0, 19.5, 30.0]))  # only the 3 px width grows
    torch.testing.assert_close(out[0, 1], torch.zeros(4))  # padding untouched


def test_tiny_box_widening_follows_ultralytics_8_4() -> None:
    """Ultralytics 8.4.190 widens every side under strides[1] (16 px) to 16 px for the candidate test, so a 10 px
    box centred at (13, 13) on the stride-8 grid (centres 4, 12, 20, ...) has 2 x 2 candidate anchors instead of 1.
    (The earlier version of this option only widened sides under strides[0] = 8 px and left this box at 1.)"""
    anchors = _grid(4, 4)
    gt = torch.tensor([[[8.0, 8.0, 18.0, 18.0]]])
    mask = torch.ones(1, 1, 1)
    plain = select_candidates_in_gts(anchors, gt)
    assert plain.sum() == 1
    widened = select_candidates_in_gts(anchors, expand_tiny_boxes(gt, mask, 16.0, 16.0))
    assert widened.sum() == 4
    pd = gt.expand(1, 16, 4)  # perfect predictions everywhere: every candidate has a positive metric
    args = (torch.full((1, 16, 1), 0.5), pd, anchors, torch.zeros(1, 1, 1), gt, mask)
    assert int(TaskAlignedAssigner(num_classes=1, tiny_box_strides=(8, 16, 32))(*args).fg_mask.sum()) == 4
    assert int(TaskAlignedAssigner(num_classes=1)(*args).fg_mask.sum()) == 1


def test_no_grad() -> None:
    anchors = _grid(2, 2)
    pd = _boxes_around(anchors, 4.0).view(1, 4, 4).requires_grad_(True)
    scores = torch.full((1, 4, 1), 0.5, requires_grad=True)
    res = TaskAlignedAssigner(num_classes=1)(
        scores, pd, anchors, torch.zeros(1, 1, 1), torch.tensor([[[0.0, 0.0, 16.0, 16.0]]]), torch.ones(1, 1, 1)
    )
    assert not res.target_scores.requires_grad and not res.target_bboxes.requires_grad
