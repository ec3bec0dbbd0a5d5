"""YOLOv8..v12 instance-segmentation loss: the detection loss plus a per-instance mask loss.

Items (after gains, per image): ``box``, ``seg``, ``cls``, ``dfl``, ``sem`` (always 0: no semantic head).

Inputs: ``raw = (maps, protos)`` from :class:`~yolov12.nn.head_segment.Segment` in training mode, maps
[(B, 4R + C + M, H_i, W_i)] (box logits, class logits, M mask coefficients) and protos (B, M, Hp, Wp) at stride 4;
``targets`` as for :class:`~yolov12.loss.DetectionLoss` plus ``masks``: (B, Hm, Wm) overlap index masks (value
j + 1 = the image's j-th object in target order; 0 background) with ``overlap_mask``, else (n, Hm, Wm) one mask per
object in target order.

Mask loss, per foreground anchor: BCE with logits of ``coefficients @ protos`` against the assigned object's mask,
zeroed outside the assigned box (in prototype pixels, x1 <= x < x2), mean over the mask pixels, divided by the box's
normalised area; summed over the batch and divided by the number of foreground anchors; gain = the box gain.

Where masks and prototypes differ in size the two published engines differ: YOLOv12's bundled engine (Ultralytics
8.3.63) resizes the masks to the prototype size (nearest), newer Ultralytics upsamples the prototypes to the mask
size (bilinear). ``mask_resize`` chooses ('masks' or 'protos'); our datasets make masks at the prototype size
(imgsz / mask_ratio 4), where both are the same computation. The reference's masks are at the prototype size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from yolov12.loss.assigner import TaskAlignedAssigner
from yolov12.loss.detection import LossConfig, LossOutput, box_dfl_losses, targets_to_padded
from yolov12.ops.anchors import dist2bbox, make_anchors
from yolov12.ops.masks import crop_masks


@dataclass
class SegmentLossConfig(LossConfig):
    """:class:`LossConfig` plus the mask-target layout."""

    overlap_mask: bool = True  # targets["masks"] are per-image index masks (else one mask per object)
    mask_resize: str = "masks"  # when mask and prototype sizes differ: resize 'masks' (nearest) or 'protos'

    def __post_init__(self) -> None:
        if self.mask_resize not in ("masks", "protos"):
            raise ValueError(f"mask_resize must be 'masks' or 'protos', got {self.mask_resize!r}")


class SegmentLoss(nn.Module):
    """Segmentation criterion (Ultralytics ``v8SegmentationLoss``); see the module docstring."""

    item_names = ("box", "seg", "cls", "dfl", "sem")

    def __init__(self, nc: int = 80, strides: tuple[int, ...] = (8, 16, 32), cfg: SegmentLossConfig | None = None,
                 nm: int = 32) -> None:
        super().__init__()
        self.nc, self.nm = nc, nm
        self.strides = tuple(int(s) for s in strides)
        self.cfg = cfg or SegmentLossConfig()
        self.reg_max = self.cfg.reg_max
        self.assigner = TaskAlignedAssigner(
            topk=self.cfg.topk, num_classes=nc, alpha=self.cfg.alpha, beta=self.cfg.beta,
            tiny_box_strides=self.strides if self.cfg.expand_tiny_boxes else None,
        )
        self.register_buffer("proj", torch.arange(self.reg_max, dtype=torch.float32), persistent=False)

    def forward(self, raw: tuple[list[torch.Tensor], torch.Tensor], targets: dict[str, torch.Tensor]) -> LossOutput:
        maps, protos = raw
        with torch.autocast(device_type=protos.device.type, enabled=False):
            return self._forward([x.float() for x in maps], protos.float(), targets)

    def _forward(self, maps: list[torch.Tensor], protos: torch.Tensor, targets: dict[str, torch.Tensor]) -> LossOutput:
        device, b = protos.device, protos.shape[0]
        no = 4 * self.reg_max + self.nc + self.nm
        if maps[0].shape[1] != no:
            raise ValueError(f"segment loss: head maps have {maps[0].shape[1]} channels, expected {no} "
                             f"(4 x {self.reg_max} + {self.nc} classes + {self.nm} mask coefficients)")
        pred = torch.cat([x.reshape(b, no, -1) for x in maps], 2).permute(0, 2, 1)
        pred_distri, pred_scores, pred_coef = pred.split((4 * self.reg_max, self.nc, self.nm), 2)
        pred_scores, pred_distri, pred_coef = (t.contiguous() for t in (pred_scores, pred_distri, pred_coef))
        img_hw = (maps[0].shape[2] * self.strides[0], maps[0].shape[3] * self.strides[0])
        anchor_points, stride_tensor = make_anchors([x.shape[2:] for x in maps], self.strides, 0.5, device=device)

        batch_idx = targets["batch_idx"].to(device).reshape(-1)
        gt_labels, gt_bboxes, mask_gt = targets_to_padded(
            batch_idx, targets["cls"].to(device), targets["bboxes"].to(device), b, img_hw)
        dist = pred_distri.view(b, -1, 4, self.reg_max).softmax(3).matmul(self.proj.to(device))
        pred_bboxes = dist2bbox(dist, anchor_points, xywh=False)  # grid units
        assigned = self.assigner(pred_scores.detach().sigmoid(), pred_bboxes.detach() * stride_tensor,
                                 anchor_points * stride_tensor, gt_labels, gt_bboxes, mask_gt)
        target_scores, fg_mask = assigned.target_scores, assigned.fg_mask
        target_scores_sum = max(target_scores.sum(), 1)

        loss_cls = F.binary_cross_entropy_with_logits(pred_scores, target_scores, reduction="none").sum()
        loss_cls = loss_cls / target_scores_sum
        zero = pred_scores.new_zeros(())
        loss_box, loss_dfl = zero, zero
        loss_seg = (protos * 0).sum() + (pred_coef * 0).sum()  # keeps the graph when nothing is assigned
        if fg_mask.any():
            target_bboxes = assigned.target_bboxes / stride_tensor  # grid units
            loss_box, loss_dfl = box_dfl_losses(pred_bboxes, pred_distri, target_bboxes, anchor_points, target_scores,
                                                fg_mask, target_scores_sum, self.reg_max)
            loss_seg = self.mask_loss(fg_mask, assigned.target_gt_idx, assigned.target_bboxes, batch_idx,
                                      targets["masks"].to(device), protos, pred_coef, img_hw)

        c = self.cfg
        loss = torch.stack((loss_box * c.box, loss_seg * c.box, loss_cls * c.cls, loss_dfl * c.dfl, zero))
        return LossOutput(total=loss.sum() * b, items=dict(zip(self.item_names, loss.detach().unbind())))

    def mask_loss(self, fg_mask: torch.Tensor, target_gt_idx: torch.Tensor, target_bboxes: torch.Tensor,
                  batch_idx: torch.Tensor, masks: torch.Tensor, protos: torch.Tensor, pred_coef: torch.Tensor,
                  img_hw: tuple[int, int]) -> torch.Tensor:
        """Sum over images of the per-anchor mask losses, divided by the number of foreground anchors.

        target_bboxes (B, A, 4) xyxy input pixels; masks (B, Hm, Wm) index masks or (n, Hm, Wm) per-object masks.
        """
        masks = masks.float()
        if masks.shape[-2:] != protos.shape[-2:]:
            if self.cfg.mask_resize == "masks":
                masks = F.interpolate(masks[None], protos.shape[-2:], mode="nearest")[0]
            else:
                protos = F.interpolate(protos, masks.shape[-2:], mode="bilinear", align_corners=False)
        mh, mw = masks.shape[-2:]
        h, w = img_hw
        norm = target_bboxes / target_bboxes.new_tensor([w, h, w, h])
        area = (norm[..., 2] - norm[..., 0]) * (norm[..., 3] - norm[..., 1])  # (B, A) normalised box area
        mxyxy = norm * norm.new_tensor([mw, mh, mw, mh])
        total = protos.new_zeros(())
        for i in range(fg_mask.shape[0]):
            fg = fg_mask[i]
            if not fg.any():
                total = total + (protos * 0).sum() + (pred_coef * 0).sum()
                continue
            idx = target_gt_idx[i][fg]
            if self.cfg.overlap_mask:
                gt = (masks[i] == (idx + 1).view(-1, 1, 1).to(masks.dtype)).float()
            else:
                gt = masks[batch_idx == i][idx]
            logits = torch.einsum("in,nhw->ihw", pred_coef[i][fg], protos[i])
            bce = F.binary_cross_entropy_with_logits(logits, gt, reduction="none")
            total = total + (crop_masks(bce, mxyxy[i][fg]).mean(dim=(1, 2)) / area[i][fg]).sum()
        return total / fg_mask.sum()
