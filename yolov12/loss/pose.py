"""YOLO pose loss: the detection losses plus an OKS-shaped keypoint loss and a keypoint-visibility BCE.

Items (after gains) ``box, pose, kobj, cls, dfl`` (the reference's order). Shapes as in
:mod:`yolov12.loss.detection`, plus raw channels 4R + C .. 4R + C + K*D - 1 = keypoint values and
``targets["keypoints"]`` (n, K, 3): normalised x, y and visibility (0 unlabelled, 1 occluded, 2 visible; [K, 2]
datasets carry 2 for labelled points).

Keypoint loss per foreground anchor: the mean over its labelled keypoints (v != 0) of
1 - exp(-d / ((2 sigma)^2 * 2 area)), d = squared distance, area = the assigned box's w * h, both in stride
units; then the mean over foreground anchors (an object without labelled keypoints adds 0 and still counts).
kobj: BCE with logits of the visibility channel against "labelled", mean over foreground anchors x K.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from yolov12.loss.detection import (
    DetectionLoss, LossConfig, LossOutput, box_dfl_losses, targets_to_padded,
)
from yolov12.ops.anchors import make_anchors

COCO_SIGMAS = (0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89)


def default_sigmas(kpt_shape: tuple[int, int]) -> tuple[float, ...]:
    """COCO's person sigmas for [17, 3], else 1/K each (tasks.md); a dataset's ``kpt_oks_sigmas`` overrides."""
    k = kpt_shape[0]
    if tuple(kpt_shape) == (17, 3):
        return tuple(s / 10 for s in COCO_SIGMAS)
    return (1.0 / k,) * k


def resolve_sigmas(kpt_shape: tuple[int, int], sigmas=None) -> tuple[float, ...]:
    return tuple(float(s) for s in sigmas) if sigmas is not None else default_sigmas(kpt_shape)


@dataclass
class PoseLossConfig(LossConfig):
    """:class:`LossConfig` plus the keypoint gains (Ultralytics defaults)."""

    pose: float = 12.0  # gain of the OKS keypoint loss
    kobj: float = 1.0  # gain of the keypoint-visibility BCE


def keypoint_loss(pred: torch.Tensor, gt: torch.Tensor, labelled: torch.Tensor, area: torch.Tensor,
                  sigmas: torch.Tensor) -> torch.Tensor:
    """OKS-shaped loss. pred, gt (P, K, >=2) in stride units, labelled (P, K) bool, area (P, 1), sigmas (K,)."""
    d = (pred[..., 0] - gt[..., 0]).pow(2) + (pred[..., 1] - gt[..., 1]).pow(2)
    k = labelled.shape[1]
    factor = k / (labelled.sum(1) + 1e-9)  # mean over the labelled keypoints, via the mean over all K below
    e = d / ((2 * sigmas).pow(2) * (area + 1e-9) * 2)
    return (factor.view(-1, 1) * ((1 - torch.exp(-e)) * labelled)).mean()


class PoseLoss(DetectionLoss):
    """Pose criterion (Ultralytics ``v8PoseLoss``): box CIoU, OKS keypoints, visibility BCE, class BCE, DFL.

    Args:
        nc: classes. kpt_shape: (K, D). strides: per level, P3 first. cfg: gains and assigner settings.
        sigmas: K OKS sigmas (None: :func:`default_sigmas`).
    """

    item_names = ("box", "pose", "kobj", "cls", "dfl")

    def __init__(self, nc: int, kpt_shape: tuple[int, int], strides: tuple[int, ...] = (8, 16, 32),
                 cfg: PoseLossConfig | None = None, sigmas=None) -> None:
        cfg = cfg or PoseLossConfig()
        super().__init__(nc, strides, cfg)
        self.kpt_shape = (int(kpt_shape[0]), int(kpt_shape[1]))
        self.nk = self.kpt_shape[0] * self.kpt_shape[1]
        self.no = 4 * self.reg_max + nc + self.nk
        s = resolve_sigmas(self.kpt_shape, sigmas)
        if len(s) != self.kpt_shape[0]:
            raise ValueError(f"{len(s)} OKS sigmas for {self.kpt_shape[0]} keypoints")
        self.register_buffer("sigmas", torch.tensor(s, dtype=torch.float32), persistent=False)

    def _forward(self, raw: list[torch.Tensor], targets: dict[str, torch.Tensor]) -> LossOutput:
        device = raw[0].device
        b = raw[0].shape[0]
        if raw[0].shape[1] != self.no:
            raise ValueError(f"pose loss: the head has {raw[0].shape[1]} channels per anchor, expected {self.no} "
                             f"(nc={self.nc}, kpt_shape={list(self.kpt_shape)}); the model and the dataset disagree")
        pred = torch.cat([x.reshape(b, self.no, -1) for x in raw], 2)
        pred_distri, pred_scores, pred_kpt = pred.split((4 * self.reg_max, self.nc, self.nk), 1)
        pred_scores = pred_scores.permute(0, 2, 1).contiguous()
        pred_distri = pred_distri.permute(0, 2, 1).contiguous()
        k, d = self.kpt_shape
        pred_kpt = pred_kpt.permute(0, 2, 1).reshape(b, -1, k, d)

        img_hw = (raw[0].shape[2] * self.strides[0], raw[0].shape[3] * self.strides[0])
        anchor_points, stride_tensor = make_anchors([x.shape[2:] for x in raw], self.strides, 0.5, device=device)
        batch_idx = targets["batch_idx"].to(device).reshape(-1)
        gt_labels, gt_bboxes, mask_gt = targets_to_padded(
            batch_idx, targets["cls"].to(device), targets["bboxes"].to(device), b, img_hw)

        pred_bboxes = self.decode(anchor_points, pred_distri)
        assigned = self.assigner(pred_scores.detach().sigmoid(), pred_bboxes.detach() * stride_tensor,
                                 anchor_points * stride_tensor, gt_labels, gt_bboxes, mask_gt)
        target_scores, fg_mask = assigned.target_scores, assigned.fg_mask.bool()
        target_scores_sum = max(target_scores.sum(), 1)
        loss_cls = F.binary_cross_entropy_with_logits(pred_scores, target_scores, reduction="none").sum()
        loss_cls = loss_cls / target_scores_sum
        zero = pred_scores.new_zeros(())
        loss_box = loss_dfl = loss_pose = loss_kobj = zero
        if fg_mask.any():
            target_bboxes = assigned.target_bboxes / stride_tensor  # grid units
            loss_box, loss_dfl = box_dfl_losses(pred_bboxes, pred_distri, target_bboxes, anchor_points, target_scores,
                                                fg_mask, target_scores_sum, self.reg_max)
            loss_pose, loss_kobj = self._keypoint_losses(
                targets["keypoints"].to(device).float(), batch_idx, b, img_hw, assigned.target_gt_idx, fg_mask,
                target_bboxes, pred_kpt, anchor_points, stride_tensor)
        loss = torch.stack((loss_box * self.cfg.box, loss_pose * self.cfg.pose, loss_kobj * self.cfg.kobj,
                            loss_cls * self.cfg.cls, loss_dfl * self.cfg.dfl))
        return LossOutput(total=loss.sum() * b, items=dict(zip(self.item_names, loss.detach().unbind())))

    def _keypoint_losses(self, keypoints, batch_idx, b, img_hw, gt_idx, fg_mask, target_bboxes, pred_kpt,
                         anchor_points, stride_tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, d = self.kpt_shape
        if keypoints.ndim != 3 or keypoints.shape[1:] != (k, 3):
            raise ValueError(f"pose loss: targets['keypoints'] must be (n, {k}, 3) (x, y, visibility), got "
                             f"{tuple(keypoints.shape)}; the model's kpt_shape is {list(self.kpt_shape)}")
        h, w = img_hw
        kp = keypoints.clone()
        kp[..., 0] *= w
        kp[..., 1] *= h
        # per-image padded keypoints in the targets' input order (as targets_to_padded orders the boxes)
        bi = batch_idx.long()
        n = bi.shape[0]
        counts = torch.bincount(bi, minlength=b)
        m = int(counts.max())
        padded = kp.new_zeros((b, m, k, 3))
        order = torch.sort(bi, stable=True).indices
        start = torch.cumsum(counts, 0) - counts
        within = torch.empty_like(bi)
        within[order] = torch.arange(n, device=bi.device) - start[bi[order]]
        padded[bi, within] = kp
        sel = padded.gather(1, gt_idx.view(b, -1, 1, 1).expand(-1, -1, k, 3))  # (B, A, K, 3)
        gt = sel[fg_mask]
        gt[..., :2] = gt[..., :2] / stride_tensor.expand(b, -1, -1)[fg_mask].view(-1, 1, 1)
        # decode in stride units: (2 r + anchor - 0.5)
        pk = pred_kpt[fg_mask]
        anc = anchor_points.unsqueeze(0).expand(b, -1, -1)[fg_mask]
        xy = pk[..., :2] * 2.0 + (anc - 0.5).unsqueeze(1)
        labelled = gt[..., 2] != 0
        wh = target_bboxes[fg_mask]
        area = ((wh[:, 2] - wh[:, 0]) * (wh[:, 3] - wh[:, 1])).unsqueeze(1)
        loss_pose = keypoint_loss(xy, gt, labelled, area, self.sigmas.to(xy.device))
        loss_kobj = pk.new_zeros(())
        if d == 3:
            loss_kobj = F.binary_cross_entropy_with_logits(pk[..., 2], labelled.float())
        return loss_pose, loss_kobj
