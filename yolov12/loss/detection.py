"""YOLOv8..v12 detection loss: task-aligned assignment, BCE class loss, CIoU box loss and distribution focal loss.

Takes the raw head outputs and the targets, never the model. Shapes (B = batch, C = classes, R = ``reg_max``,
A = anchors over all levels, n = objects in the batch):

- ``raw``: list of per-level maps (B, 4R + C, H_i, W_i) in P3, P4, P5 order; channels 0..4R-1 are the box
  distribution logits (sides l, t, r, b, R bins each), the rest are class logits.
- ``targets``: dict with ``batch_idx`` (n,) image index, ``cls`` (n,) or (n, 1) class id and ``bboxes`` (n, 4)
  normalised (cx, cy, w, h) relative to the network input.

The input size is inferred as (H_0 * strides[0], W_0 * strides[0]). Everything is computed in float32, also under
autocast.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from yolov12.loss.assigner import TaskAlignedAssigner
from yolov12.ops.anchors import bbox2dist, dist2bbox, make_anchors
from yolov12.ops.boxes import bbox_iou, xywh2xyxy


@dataclass
class LossConfig:
    """Hyper-parameters of :class:`DetectionLoss` (defaults = YOLOv12 training recipe, spec section 4)."""

    box: float = 7.5  # gain of the CIoU box loss
    cls: float = 0.5  # gain of the BCE class loss
    dfl: float = 1.5  # gain of the distribution focal loss
    topk: int = 10  # candidates kept per box by the assigner
    alpha: float = 0.5  # class-score exponent of the alignment metric
    beta: float = 6.0  # CIoU exponent of the alignment metric
    reg_max: int = 16  # bins per box side of the distribution head
    # Ultralytics 8.4 assigner: widen box sides < strides[1] to strides[1] when choosing candidate anchors.
    # Off = YOLOv12's own training code (Ultralytics 8.3.63). The two agree unless a box side is < strides[1] px.
    expand_tiny_boxes: bool = False


@dataclass
class LossOutput:
    """Result of a task's criterion (every task's loss returns one).

    Attributes:
        total: scalar with grad, what the optimiser steps on (detection: (box + cls + dfl) * batch size).
        items: the named loss items, detached scalars after gains, per image (not multiplied by the batch size),
            in the criterion's ``item_names`` order (detection: ``box``, ``cls``, ``dfl``). The trainer, progress
            bar, results.csv and plots take their columns from these names.
    """

    total: torch.Tensor
    items: dict[str, torch.Tensor]

    @property
    def vector(self) -> torch.Tensor:
        """The items as one detached (k,) tensor, in order."""
        return torch.stack(list(self.items.values()))


def targets_to_padded(
    batch_idx: torch.Tensor,
    cls: torch.Tensor,
    bboxes: torch.Tensor,
    batch_size: int,
    img_hw: tuple[int, int],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat targets -> per-image padded tensors.

    Args:
        batch_idx: (n,) image index of each object.
        cls: (n,) or (n, 1) class ids.
        bboxes: (n, 4) normalised cx, cy, w, h.
        batch_size: B.
        img_hw: network input (height, width) in pixels.

    Returns:
        gt_labels (B, M, 1), gt_bboxes (B, M, 4) xyxy pixels, mask_gt (B, M, 1) float; M = most objects in one
        image (0 when there are none). Objects keep their input order within an image.
    """
    device = bboxes.device
    batch_idx = batch_idx.reshape(-1).float()
    cls = cls.reshape(-1, 1).float()
    bboxes = bboxes.reshape(-1, 4).float()
    n = batch_idx.shape[0]
    counts = torch.bincount(batch_idx.long(), minlength=batch_size) if n else None
    m = int(counts.max()) if n else 0
    out = torch.zeros((batch_size, m, 5), device=device)
    if n:  # position of each object within its image, in input order (a stable sort by image index)
        bi = batch_idx.long()
        order = torch.sort(bi, stable=True).indices
        start = torch.cumsum(counts, 0) - counts
        within = torch.empty_like(bi)
        within[order] = torch.arange(n, device=device) - start[bi[order]]
        out[bi, within] = torch.cat((cls, bboxes), 1)
    h, w = img_hw
    scale = torch.tensor([w, h, w, h], device=device, dtype=out.dtype)
    gt_labels = out[..., :1]
    gt_bboxes = xywh2xyxy(out[..., 1:5] * scale)
    mask_gt = gt_bboxes.sum(2, keepdim=True).gt_(0.0).float()
    return gt_labels, gt_bboxes, mask_gt


def distribution_focal_loss(pred_dist: torch.Tensor, target: torch.Tensor, reg_max: int) -> torch.Tensor:
    """DFL (Li et al., 2020): cross-entropy on the two bins around each continuous target.

    Args:
        pred_dist: (N * 4, reg_max) logits, one row per box side.
        target: (N, 4) target distances in grid units, clamped here to [0, reg_max - 1.01].
        reg_max: number of bins.

    Returns:
        (N, 1) loss averaged over the four sides.
    """
    target = target.clamp(0, reg_max - 1 - 0.01)
    tl = target.long()
    tr = tl + 1
    wl = tr - target
    wr = 1 - wl
    ce_l = F.cross_entropy(pred_dist, tl.view(-1), reduction="none").view(tl.shape)
    ce_r = F.cross_entropy(pred_dist, tr.view(-1), reduction="none").view(tl.shape)
    return (ce_l * wl + ce_r * wr).mean(-1, keepdim=True)


def box_dfl_losses(
    pred_bboxes: torch.Tensor, pred_distri: torch.Tensor, target_bboxes: torch.Tensor, anchor_points: torch.Tensor,
    target_scores: torch.Tensor, fg_mask: torch.Tensor, target_scores_sum: torch.Tensor | float, reg_max: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CIoU box loss and DFL over the foreground anchors, each weighted by the anchor's target score sum and divided
    by ``target_scores_sum`` (boxes xyxy in grid units: predicted (B, A, 4), assigned (B, A, 4); logits (B, A, 4R))."""
    weight = target_scores.sum(-1)[fg_mask].unsqueeze(-1)  # (P, 1)
    iou = bbox_iou(pred_bboxes[fg_mask], target_bboxes[fg_mask], ciou=True)
    loss_box = ((1.0 - iou) * weight).sum() / target_scores_sum
    target_ltrb = bbox2dist(anchor_points, target_bboxes, reg_max - 1)
    dfl = distribution_focal_loss(pred_distri[fg_mask].view(-1, reg_max), target_ltrb[fg_mask], reg_max)
    return loss_box, (dfl * weight).sum() / target_scores_sum


class DetectionLoss(nn.Module):
    """Detection criterion of YOLOv12 (same as the YOLOv8 ``v8DetectionLoss``). Items: box, cls, dfl.

    Args:
        nc: number of classes C.
        strides: stride in pixels of each head level, P3 first.
        cfg: gains and assigner hyper-parameters.
    """

    item_names = ("box", "cls", "dfl")

    def __init__(self, nc: int = 80, strides: tuple[int, ...] = (8, 16, 32), cfg: LossConfig | None = None) -> None:
        super().__init__()
        self.nc = nc
        self.strides = tuple(int(s) for s in strides)
        self.cfg = cfg or LossConfig()
        self.reg_max = self.cfg.reg_max
        self.no = 4 * self.reg_max + nc
        self.assigner = TaskAlignedAssigner(
            topk=self.cfg.topk,
            num_classes=nc,
            alpha=self.cfg.alpha,
            beta=self.cfg.beta,
            tiny_box_strides=self.strides if self.cfg.expand_tiny_boxes else None,
        )
        self.register_buffer("proj", torch.arange(self.reg_max, dtype=torch.float32), persistent=False)

    def decode(self, anchor_points: torch.Tensor, pred_dist: torch.Tensor) -> torch.Tensor:
        """(A, 2) anchors and (B, A, 4R) logits -> (B, A, 4) xyxy boxes in grid units (softmax expectation)."""
        b, a, c = pred_dist.shape
        dist = pred_dist.view(b, a, 4, c // 4).softmax(3).matmul(self.proj.to(pred_dist.device, pred_dist.dtype))
        return dist2bbox(dist, anchor_points, xywh=False)

    def forward(self, raw: list[torch.Tensor], targets: dict[str, torch.Tensor]) -> LossOutput:
        """Loss of raw head outputs against targets; see the module docstring for the shapes."""
        with torch.autocast(device_type=raw[0].device.type, enabled=False):
            return self._forward([x.float() for x in raw], targets)

    def _forward(self, raw: list[torch.Tensor], targets: dict[str, torch.Tensor]) -> LossOutput:
        device = raw[0].device
        batch_size = raw[0].shape[0]
        pred = torch.cat([x.reshape(batch_size, self.no, -1) for x in raw], 2)
        pred_distri, pred_scores = pred.split((4 * self.reg_max, self.nc), 1)
        pred_scores = pred_scores.permute(0, 2, 1).contiguous()  # (B, A, C)
        pred_distri = pred_distri.permute(0, 2, 1).contiguous()  # (B, A, 4R)

        img_hw = (raw[0].shape[2] * self.strides[0], raw[0].shape[3] * self.strides[0])
        shapes = [(x.shape[2], x.shape[3]) for x in raw]
        anchor_points, stride_tensor = make_anchors(shapes, self.strides, 0.5, device=device)

        cls = targets["cls"].to(device)
        gt_labels, gt_bboxes, mask_gt = targets_to_padded(
            targets["batch_idx"].to(device), cls, targets["bboxes"].to(device), batch_size, img_hw
        )

        pred_bboxes = self.decode(anchor_points, pred_distri)  # (B, A, 4) xyxy grid units
        assigned = self.assigner(
            pred_scores.detach().sigmoid(),
            pred_bboxes.detach() * stride_tensor,
            anchor_points * stride_tensor,
            gt_labels,
            gt_bboxes,
            mask_gt,
        )
        target_scores = assigned.target_scores
        fg_mask = assigned.fg_mask
        target_scores_sum = max(target_scores.sum(), 1)

        loss_cls = F.binary_cross_entropy_with_logits(pred_scores, target_scores, reduction="none").sum()
        loss_cls = loss_cls / target_scores_sum
        loss_box = pred_scores.new_zeros(())
        loss_dfl = pred_scores.new_zeros(())
        if fg_mask.any():
            target_bboxes = assigned.target_bboxes / stride_tensor  # grid units
            loss_box, loss_dfl = box_dfl_losses(pred_bboxes, pred_distri, target_bboxes, anchor_points, target_scores,
                                                fg_mask, target_scores_sum, self.reg_max)

        loss = torch.stack((loss_box * self.cfg.box, loss_cls * self.cfg.cls, loss_dfl * self.cfg.dfl))
        return LossOutput(total=loss.sum() * batch_size, items=dict(zip(self.item_names, loss.detach().unbind())))
