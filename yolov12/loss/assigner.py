"""Task-aligned assigner (TOOD, Feng et al. 2021) as used by the YOLOv8 .. YOLOv12 training code.

A self-contained, gradient-free module: it takes detached predictions and padded ground truth and decides, for
every anchor, which ground-truth box (if any) it learns from and with which soft class target.

Shapes (B = batch, A = anchors over all levels, M = max boxes per image after padding, C = classes):

- ``pd_scores`` (B, A, C): predicted class probabilities (after sigmoid), in [0, 1].
- ``pd_bboxes`` (B, A, 4): predicted boxes, xyxy, pixels.
- ``anc_points`` (A, 2): anchor centres (x, y), pixels.
- ``gt_labels`` (B, M, 1): class ids (float or int), padding rows arbitrary (usually 0).
- ``gt_bboxes`` (B, M, 4): ground-truth boxes, xyxy, pixels; padding rows all zero.
- ``mask_gt`` (B, M, 1): 1 for real boxes, 0 for padding.

Algorithm (matching the published YOLO code number for number):

1. Candidates: anchors whose centre lies strictly inside a box (all four distances > eps). Optional
   (``tiny_box_strides``; on in the default training recipe, off in ``recipe=paper``): Ultralytics 8.4 (8.4.190
   checked) first widens, for this test only, every side of a real box shorter than the second stride (16 px) to
   16 px, about the box centre, so that thin and tiny boxes get candidates. YOLOv12's own training code
   (Ultralytics 8.3.63) does not.
2. Alignment metric for each (box, candidate) pair: ``score[class]^alpha * max(CIoU, 0)^beta``.
3. Each box keeps its ``topk`` candidates with the highest metric.
4. An anchor selected by several boxes keeps only the box with the highest CIoU (over all boxes).
5. Target score of a positive anchor = one-hot class * metric / max metric of its box * max CIoU of its box
   (both maxima over that box's positive anchors).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from yolov12.ops.boxes import bbox_iou, xywh2xyxy, xyxy2xywh


@dataclass
class AssignResult:
    """Output of :class:`TaskAlignedAssigner` (B = batch, A = anchors, C = classes).

    Attributes:
        target_labels: (B, A) int64 class id of the assigned box (0 for background anchors; use ``fg_mask``).
        target_bboxes: (B, A, 4) assigned box, xyxy pixels (box of gt index 0 for background anchors).
        target_scores: (B, A, C) soft class targets, zero for background anchors.
        fg_mask: (B, A) bool, True for positive (foreground) anchors.
        target_gt_idx: (B, A) int64 index of the assigned box within its image (0 for background anchors).
    """

    target_labels: torch.Tensor
    target_bboxes: torch.Tensor
    target_scores: torch.Tensor
    fg_mask: torch.Tensor
    target_gt_idx: torch.Tensor


def select_candidates_in_gts(anc_points: torch.Tensor, gt_bboxes: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """Anchors whose centre lies strictly inside each box.

    Args:
        anc_points: (A, 2) anchor centres, pixels.
        gt_bboxes: (B, M, 4) xyxy boxes, pixels.

    Returns:
        (B, M, A) float mask, 1.0 where min(l, t, r, b) distance from the anchor to the box edges > eps.
    """
    n_anchors = anc_points.shape[0]
    bs, n_boxes, _ = gt_bboxes.shape
    lt, rb = gt_bboxes.view(-1, 1, 4).chunk(2, 2)  # (B*M, 1, 2) each
    deltas = torch.cat((anc_points[None] - lt, rb - anc_points[None]), dim=2).view(bs, n_boxes, n_anchors, -1)
    return deltas.amin(3).gt_(eps).to(gt_bboxes.dtype)


def expand_tiny_boxes(
    gt_bboxes: torch.Tensor, mask_gt: torch.Tensor, min_size: float, new_size: float
) -> torch.Tensor:
    """Widen box sides shorter than ``min_size`` to ``new_size`` about the box centre (Ultralytics 8.4 candidates).

    Args:
        gt_bboxes: (B, M, 4) xyxy boxes, pixels.
        mask_gt: (B, M, 1) 1 for real boxes; padding rows are left alone.
        min_size: sides (w or h, each on its own) below this are replaced, pixels (Ultralytics 8.4: the second
            stride).
        new_size: their new length, pixels (Ultralytics 8.4: the second stride too).

    Returns:
        (B, M, 4) xyxy boxes (a new tensor; all boxes go through the xyxy -> xywh -> xyxy round trip).
    """
    xywh = xyxy2xywh(gt_bboxes)
    small = (xywh[..., 2:] < min_size) & mask_gt.bool()
    xywh[..., 2:] = torch.where(small, torch.full_like(xywh[..., 2:], new_size), xywh[..., 2:])
    return xywh2xyxy(xywh)


def select_highest_overlaps(
    mask_pos: torch.Tensor, overlaps: torch.Tensor, n_max_boxes: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Resolve anchors claimed by several boxes: keep the box of highest overlap.

    Args:
        mask_pos: (B, M, A) float 0/1 positive mask.
        overlaps: (B, M, A) CIoU (clamped at 0) of each box with each anchor's prediction.
        n_max_boxes: M.

    Returns:
        target_gt_idx (B, A) int64, fg_mask (B, A) float count of boxes per anchor (0 or 1), mask_pos (B, M, A).
    """
    fg_mask = mask_pos.sum(-2)
    if fg_mask.numel() and fg_mask.max() > 1:
        mask_multi_gts = (fg_mask.unsqueeze(1) > 1).expand(-1, n_max_boxes, -1)
        max_overlaps_idx = overlaps.argmax(1)
        is_max_overlaps = torch.zeros_like(mask_pos)
        is_max_overlaps.scatter_(1, max_overlaps_idx.unsqueeze(1), 1)
        mask_pos = torch.where(mask_multi_gts, is_max_overlaps, mask_pos).float()
        fg_mask = mask_pos.sum(-2)
    target_gt_idx = mask_pos.argmax(-2)
    return target_gt_idx, fg_mask, mask_pos


class TaskAlignedAssigner(nn.Module):
    """Task-aligned label assignment; see the module docstring for the algorithm and shapes.

    Args:
        topk: candidates kept per box (10 in YOLOv8..v12).
        num_classes: number of classes C.
        alpha: exponent of the class score in the alignment metric.
        beta: exponent of the CIoU in the alignment metric.
        eps: guards the divisions and the "inside the box" test.
        tiny_box_strides: ``None`` (YOLOv12 / Ultralytics 8.3.63 behaviour) or the level strides, e.g. (8, 16, 32):
            then box sides shorter than strides[1] are widened to strides[1] for the candidate test (Ultralytics
            8.4 behaviour, see :func:`expand_tiny_boxes`).
    """

    def __init__(
        self,
        topk: int = 10,
        num_classes: int = 80,
        alpha: float = 0.5,
        beta: float = 6.0,
        eps: float = 1e-9,
        tiny_box_strides: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        self.tiny_box_strides = tuple(tiny_box_strides) if tiny_box_strides else None
        self.topk = topk
        self.num_classes = num_classes
        self.alpha = alpha
        self.beta = beta
        self.eps = eps

    @torch.no_grad()
    def forward(
        self,
        pd_scores: torch.Tensor,
        pd_bboxes: torch.Tensor,
        anc_points: torch.Tensor,
        gt_labels: torch.Tensor,
        gt_bboxes: torch.Tensor,
        mask_gt: torch.Tensor,
    ) -> AssignResult:
        """Assign ground truth to anchors; all inputs as in the module docstring, returns an :class:`AssignResult`."""
        bs, n_anchors, _ = pd_scores.shape
        n_max_boxes = gt_bboxes.shape[1]
        device = pd_scores.device
        if n_max_boxes == 0:
            return AssignResult(
                target_labels=torch.zeros((bs, n_anchors), dtype=torch.long, device=device),
                target_bboxes=torch.zeros_like(pd_bboxes),
                target_scores=torch.zeros_like(pd_scores),
                fg_mask=torch.zeros((bs, n_anchors), dtype=torch.bool, device=device),
                target_gt_idx=torch.zeros((bs, n_anchors), dtype=torch.long, device=device),
            )

        mask_in_gts = self._candidates(anc_points, gt_bboxes, mask_gt)  # (B, M, A)
        align_metric, overlaps = self._box_metrics(pd_scores, pd_bboxes, gt_labels, gt_bboxes, mask_in_gts * mask_gt)
        mask_topk = self._select_topk(align_metric, mask_gt.expand(-1, -1, self.topk).bool())
        mask_pos = mask_topk * mask_in_gts * mask_gt  # (B, M, A)

        target_gt_idx, fg_mask, mask_pos = select_highest_overlaps(mask_pos, overlaps, n_max_boxes)
        target_labels, target_bboxes, target_scores = self._targets(gt_labels, gt_bboxes, target_gt_idx, fg_mask)

        # Normalise: best positive anchor of each box gets that box's best CIoU as its target score.
        align_metric = align_metric * mask_pos
        pos_align_metrics = align_metric.amax(dim=-1, keepdim=True)  # (B, M, 1)
        pos_overlaps = (overlaps * mask_pos).amax(dim=-1, keepdim=True)  # (B, M, 1)
        norm_align_metric = (align_metric * pos_overlaps / (pos_align_metrics + self.eps)).amax(-2).unsqueeze(-1)
        target_scores = target_scores * norm_align_metric  # (B, A, C)

        return AssignResult(
            target_labels=target_labels,
            target_bboxes=target_bboxes,
            target_scores=target_scores,
            fg_mask=fg_mask.bool(),
            target_gt_idx=target_gt_idx,
        )

    def _candidates(self, anc_points: torch.Tensor, gt_bboxes: torch.Tensor, mask_gt: torch.Tensor) -> torch.Tensor:
        """(B, M, A) float mask of the anchors each box may take (step 1 of the algorithm)."""
        cand_boxes = gt_bboxes
        if self.tiny_box_strides is not None:
            strides = self.tiny_box_strides
            size = strides[1] if len(strides) > 1 else strides[0]
            cand_boxes = expand_tiny_boxes(gt_bboxes, mask_gt, size, size)
        return select_candidates_in_gts(anc_points, cand_boxes, self.eps)

    def _overlap(self, gt_bboxes: torch.Tensor, pd_bboxes: torch.Tensor) -> torch.Tensor:
        """(P, 4) boxes and (P, 4) predictions -> (P,) overlap of the alignment metric (CIoU, clamped at 0)."""
        return bbox_iou(gt_bboxes, pd_bboxes, ciou=True).squeeze(-1).clamp_(0)

    def _box_metrics(
        self,
        pd_scores: torch.Tensor,
        pd_bboxes: torch.Tensor,
        gt_labels: torch.Tensor,
        gt_bboxes: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Alignment metric and clamped overlap (:meth:`_overlap`), both (B, M, A), computed only where ``mask``
        (B, M, A) is set."""
        shape = mask.shape  # (B, M, A)
        b, m, a = mask.bool().nonzero(as_tuple=True)  # the candidate pairs only
        scores = pd_scores[b, a, gt_labels[b, m, 0].long()]  # score of each box's class at each candidate anchor
        ious = self._overlap(gt_bboxes[b, m], pd_bboxes[b, a])
        overlaps = torch.zeros(shape, dtype=pd_bboxes.dtype, device=pd_bboxes.device)
        align_metric = torch.zeros(shape, dtype=pd_scores.dtype, device=pd_scores.device)
        overlaps[b, m, a] = ious.to(overlaps.dtype)
        align_metric[b, m, a] = scores.pow(self.alpha) * ious.pow(self.beta)
        return align_metric, overlaps

    def _select_topk(self, metrics: torch.Tensor, topk_mask: torch.Tensor) -> torch.Tensor:
        """(B, M, A) metrics -> (B, M, A) 0/1 mask of each box's ``topk`` best anchors.

        ``topk_mask`` (B, M, topk) is False for padding boxes; their picks are redirected to anchor 0 and cancel
        out (an anchor counted more than once is dropped), exactly as in the reference code.
        """
        k = min(self.topk, metrics.shape[-1])
        _, topk_idxs = torch.topk(metrics, k, dim=-1, largest=True)  # (B, M, k)
        topk_idxs.masked_fill_(~topk_mask[..., :k], 0)
        count = torch.zeros(metrics.shape, dtype=torch.int8, device=metrics.device)
        count.scatter_add_(-1, topk_idxs, torch.ones_like(topk_idxs, dtype=torch.int8))  # duplicates accumulate
        count.masked_fill_(count > 1, 0)
        return count.to(metrics.dtype)

    def _targets(
        self,
        gt_labels: torch.Tensor,
        gt_bboxes: torch.Tensor,
        target_gt_idx: torch.Tensor,
        fg_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Gather each anchor's assigned label (B, A), box (B, A, 4) and one-hot score (B, A, C)."""
        bs, n_max_boxes = gt_labels.shape[:2]
        batch_ind = torch.arange(bs, dtype=torch.long, device=gt_labels.device)[..., None]
        flat_idx = target_gt_idx + batch_ind * n_max_boxes  # (B, A)
        target_labels = gt_labels.long().flatten()[flat_idx].clamp_(0)  # (B, A)
        target_bboxes = gt_bboxes.view(-1, gt_bboxes.shape[-1])[flat_idx]  # (B, A, 4)

        target_scores = torch.zeros(
            (*target_labels.shape, self.num_classes), dtype=torch.int64, device=target_labels.device
        )
        target_scores.scatter_(2, target_labels.unsqueeze(-1), 1)
        target_scores = torch.where(fg_mask[:, :, None] > 0, target_scores, 0)
        return target_labels, target_bboxes, target_scores
