"""Oriented-box loss (the Ultralytics 8.4 ``v8OBBLoss`` form, with its angle term): items box, cls, dfl, angle.

- ``raw``: per-level maps (B, 4R + C + 1, H_i, W_i): box distribution logits, class logits, the angle logit.
- ``targets``: ``batch_idx`` (n,), ``cls`` (n,) or (n, 1), ``rboxes`` (n, 5) = cx / W, cy / H, w / W, h / H and
  the angle in radians (any representation of the rectangle; the data pipeline gives [0, pi/2)).

Ground-truth boxes with w or h under 2 input pixels are dropped first. Assignment: :class:`RotatedTaskAlignedAssigner`
(ProbIoU in the alignment metric, candidates = anchor centres inside the rotated box, sides under 16 px widened to
16 for that test). Box loss 1 - ProbIoU (variances + ``var_eps``, boxes in stride units), DFL on the distances of
the anchor to the four sides in the target's own turned frame, angle loss exp(-ln(w/h)^2 / 9) sin^2(2 (pred -
target)); the last three weighted by the target scores, all divided by the target-score sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from yolov12.loss.assigner import TaskAlignedAssigner
from yolov12.loss.detection import LossConfig, LossOutput, distribution_focal_loss
from yolov12.nn.head_obb import decode_angle, dist2rbox
from yolov12.ops.anchors import make_anchors
from yolov12.ops.rotated import probiou, xywhr_to_corners


@dataclass
class OBBLossConfig(LossConfig):
    angle: float = 1.0  # gain of the angle loss
    expand_tiny_boxes: bool = True  # rotated candidates: sides under strides[1] (16 px) widened to 16 px
    min_size: float = 2.0  # ground-truth boxes with a side under this many input pixels are dropped
    var_eps: float = 0.01  # added to each Gaussian variance of the ProbIoU box loss (stride units; 8.4.190 form)


def select_candidates_in_rboxes(anc_points: torch.Tensor, rboxes: torch.Tensor) -> torch.Tensor:
    """(A, 2) anchor centres and (B, M, 5) xywhr boxes (pixels) -> (B, M, A) float, 1 where the centre lies inside
    or on the rotated box (projections onto both sides within [0, side length])."""
    corners = xywhr_to_corners(rboxes)  # (B, M, 4, 2)
    a, b, d = corners[..., 0, :], corners[..., 1, :], corners[..., 3, :]
    ab, ad = (b - a)[..., None, :], (d - a)[..., None, :]
    ap = anc_points[None, None] - a[..., None, :]  # (B, M, A, 2)
    pab, pad = (ap * ab).sum(-1), (ap * ad).sum(-1)
    nab, nad = (ab * ab).sum(-1), (ad * ad).sum(-1)
    return ((pab >= 0) & (pab <= nab) & (pad >= 0) & (pad <= nad)).to(rboxes.dtype)


class RotatedTaskAlignedAssigner(TaskAlignedAssigner):
    """:class:`TaskAlignedAssigner` on xywhr boxes (pixels): ProbIoU as the overlap, rotated candidate test."""

    def _candidates(self, anc_points: torch.Tensor, gt_bboxes: torch.Tensor, mask_gt: torch.Tensor) -> torch.Tensor:
        boxes = gt_bboxes
        if self.tiny_box_strides is not None:
            s = self.tiny_box_strides
            size = float(s[1] if len(s) > 1 else s[0])
            small = (gt_bboxes[..., 2:4] < size) & mask_gt.bool()
            boxes = gt_bboxes.clone()
            boxes[..., 2:4] = torch.where(small, torch.full_like(boxes[..., 2:4], size), boxes[..., 2:4])
        return select_candidates_in_rboxes(anc_points, boxes)

    def _overlap(self, gt_bboxes: torch.Tensor, pd_bboxes: torch.Tensor) -> torch.Tensor:
        return probiou(gt_bboxes, pd_bboxes).clamp_(0)


def rbox2dist(target: torch.Tensor, anchor_points: torch.Tensor, reg_max: float) -> torch.Tensor:
    """(..., 5) xywhr targets and anchor points -> (..., 4) distances l, t, r, b from the anchor to the box's sides
    in the box's turned frame, clamped to [0, reg_max - 0.01]."""
    xy, wh, r = target[..., :2], target[..., 2:4], target[..., 4:5]
    off = xy - anchor_points
    cos, sin = r.cos(), r.sin()
    xf = off[..., :1] * cos + off[..., 1:2] * sin
    yf = -off[..., :1] * sin + off[..., 1:2] * cos
    w, h = wh[..., :1], wh[..., 1:2]
    return torch.cat((w / 2 - xf, h / 2 - yf, w / 2 + xf, h / 2 + yf), -1).clamp_(0, reg_max - 0.01)


class OBBLoss(nn.Module):
    """Oriented-box criterion; see the module docstring. Items: box, cls, dfl, angle."""

    item_names = ("box", "cls", "dfl", "angle")

    def __init__(self, nc: int = 80, strides: tuple[int, ...] = (8, 16, 32), cfg: OBBLossConfig | None = None) -> None:
        super().__init__()
        self.nc = nc
        self.strides = tuple(int(s) for s in strides)
        self.cfg = cfg or OBBLossConfig()
        self.reg_max = self.cfg.reg_max
        self.no = 4 * self.reg_max + nc + 1
        self.assigner = RotatedTaskAlignedAssigner(
            topk=self.cfg.topk, num_classes=nc, alpha=self.cfg.alpha, beta=self.cfg.beta,
            tiny_box_strides=self.strides if self.cfg.expand_tiny_boxes else None,
        )
        self.register_buffer("proj", torch.arange(self.reg_max, dtype=torch.float32), persistent=False)

    def forward(self, raw: list[torch.Tensor], targets: dict[str, torch.Tensor]) -> LossOutput:
        with torch.autocast(device_type=raw[0].device.type, enabled=False):
            return self._forward([x.float() for x in raw], targets)

    def _forward(self, raw: list[torch.Tensor], targets: dict[str, torch.Tensor]) -> LossOutput:
        device, bs = raw[0].device, raw[0].shape[0]
        pred = torch.cat([x.reshape(bs, self.no, -1) for x in raw], 2)
        pred_distri, pred_scores, pred_ang = pred.split((4 * self.reg_max, self.nc, 1), 1)
        pred_scores = pred_scores.permute(0, 2, 1).contiguous()  # (B, A, C)
        pred_distri = pred_distri.permute(0, 2, 1).contiguous()  # (B, A, 4R)
        pred_angle = decode_angle(pred_ang.permute(0, 2, 1))  # (B, A, 1)

        H, W = raw[0].shape[2] * self.strides[0], raw[0].shape[3] * self.strides[0]
        anchor_points, stride_tensor = make_anchors([x.shape[2:] for x in raw], self.strides, 0.5, device=device)

        rb = targets["rboxes"].to(device).float().reshape(-1, 5)
        bi = targets["batch_idx"].to(device).reshape(-1)
        cls = targets["cls"].to(device).reshape(-1)
        keep = (rb[:, 2] * W >= self.cfg.min_size) & (rb[:, 3] * H >= self.cfg.min_size)
        rb, bi, cls = rb[keep], bi[keep], cls[keep]
        padded = _padded(bi, torch.cat((cls[:, None].float(), rb), 1), bs)  # (B, M, 6), input order per image
        gt_labels = padded[..., :1]
        gt_bboxes = padded[..., 1:] * torch.tensor([W, H, W, H, 1.0], device=device)  # xywhr pixels
        mask_gt = (gt_bboxes.sum(2, keepdim=True) > 0).float()

        b, a, c = pred_distri.shape
        dist = pred_distri.view(b, a, 4, c // 4).softmax(3).matmul(self.proj.to(pred_distri.dtype))
        pred_bboxes = torch.cat((dist2rbox(dist, pred_angle, anchor_points), pred_angle), -1)  # (B, A, 5) grid units

        for_assigner = pred_bboxes.detach().clone()
        for_assigner[..., :4] *= stride_tensor
        assigned = self.assigner(pred_scores.detach().sigmoid(), for_assigner, anchor_points * stride_tensor,
                                 gt_labels, gt_bboxes, mask_gt)
        target_scores, fg_mask = assigned.target_scores, assigned.fg_mask
        target_scores_sum = max(target_scores.sum(), 1)

        loss_cls = F.binary_cross_entropy_with_logits(pred_scores, target_scores.to(pred_scores.dtype),
                                                      reduction="none").sum() / target_scores_sum
        zero = pred_scores.new_zeros(())
        loss_box, loss_dfl, loss_ang = zero, zero, (pred_angle * 0).sum()
        if fg_mask.any():
            target = assigned.target_bboxes.clone()
            target[..., :4] /= stride_tensor  # grid units
            weight = target_scores.sum(-1)[fg_mask].unsqueeze(-1)  # (P, 1)
            p, t = pred_bboxes[fg_mask], target[fg_mask]
            iou = probiou(p, t, var_eps=self.cfg.var_eps).unsqueeze(-1)
            loss_box = ((1.0 - iou) * weight).sum() / target_scores_sum
            ltrb = rbox2dist(target, anchor_points, self.reg_max - 1)
            dfl = distribution_focal_loss(pred_distri[fg_mask].view(-1, self.reg_max), ltrb[fg_mask], self.reg_max)
            loss_dfl = (dfl * weight).sum() / target_scores_sum
            scale = torch.exp(-torch.log(t[:, 2] / t[:, 3]).pow(2) / 9.0)
            delta = p[:, 4] - t[:, 4]
            delta = delta - torch.round(delta / math.pi) * math.pi
            loss_ang = (scale * torch.sin(2 * delta).pow(2) * weight[:, 0]).sum() / target_scores_sum

        loss = torch.stack((loss_box * self.cfg.box, loss_cls * self.cfg.cls, loss_dfl * self.cfg.dfl,
                            loss_ang * self.cfg.angle))
        return LossOutput(total=loss.sum() * bs, items=dict(zip(self.item_names, loss.detach().unbind())))


def _padded(batch_idx: torch.Tensor, values: torch.Tensor, bs: int) -> torch.Tensor:
    """(n, k) per-object rows -> (B, M, k) zero-padded per image, objects in input order within each image."""
    n, k = values.shape
    bi = batch_idx.long()
    counts = torch.bincount(bi, minlength=bs) if n else None
    m = int(counts.max()) if n else 0
    out = values.new_zeros((bs, m, k))
    if n:
        order = torch.sort(bi, stable=True).indices
        start = torch.cumsum(counts, 0) - counts
        within = torch.empty_like(bi)
        within[order] = torch.arange(n, device=bi.device) - start[bi[order]]
        out[bi, within] = values
    return out
