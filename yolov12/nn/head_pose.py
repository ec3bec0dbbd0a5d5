"""Pose head: :class:`Detect` plus a per-level keypoint branch ``cv4`` (YOLO pose layout, tasks.md).

Keypoint k of the object at grid cell (i, j) of stride s, from the raw values r: x = (2 r_x + j) s,
y = (2 r_y + i) s (= (2 r + anchor - 0.5) s with the anchor at the cell centre), visibility = sigmoid(r_v).
"""

from __future__ import annotations

import torch
from torch import nn

from yolov12.nn.conv import Conv
from yolov12.nn.head import Detect, DetectDeploy


def decode_keypoints(kpt: torch.Tensor, points: torch.Tensor, strides: torch.Tensor, kpt_shape: tuple[int, int]
                     ) -> torch.Tensor:
    """Raw keypoint values (B, K * D, A) -> (B, K, D, A): x, y in input pixels (then the visibility probability).

    ``points`` (2, A) anchor centres in grid units, ``strides`` (1, A) in pixels.
    """
    k, d = kpt_shape
    b = kpt.shape[0]
    kpt = kpt.view(b, k, d, -1)
    xy = (kpt[:, :, :2] * 2.0 + (points - 0.5).unsqueeze(0).unsqueeze(0)) * strides
    if d == 2:
        return xy
    return torch.cat((xy, kpt[:, :, 2:].sigmoid()), 2)


class Pose(Detect):
    """:class:`Detect` + ``cv4``: per level Conv3x3, Conv3x3, Conv2d 1x1 (+ bias) to K * D keypoint values, width
    max(P3 channels // 4, K * D).

    Training mode: raw maps (B, 4 * reg_max + nc + K * D, H_i, W_i). Eval mode: a tuple ``(pred, kpts)``:
    ``pred`` (B, 4 + nc + K * D, A) = boxes cx, cy, w, h (input pixels), sigmoid scores, then the keypoints
    x, y (input pixels) [and visibility probability] per keypoint; ``kpts`` the same keypoints as (B, K, D, A).
    """

    def __init__(self, nc: int, kpt_shape: tuple[int, int], channels: tuple[int, ...],
                 strides: tuple[int, ...] = (8, 16, 32), reg_max: int = 16) -> None:
        super().__init__(nc, channels, strides, reg_max)
        self.kpt_shape = (int(kpt_shape[0]), int(kpt_shape[1]))
        self.nk = self.kpt_shape[0] * self.kpt_shape[1]
        c4 = max(channels[0] // 4, self.nk)
        self.cv4 = nn.ModuleList(
            nn.Sequential(Conv(c, c4, 3), Conv(c4, c4, 3), nn.Conv2d(c4, self.nk, 1)) for c in channels
        )

    def branches(self) -> tuple[nn.ModuleList, ...]:
        return (self.cv2, self.cv3, self.cv4)

    def decode(self, raw: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        b = raw[0].shape[0]
        no = 4 * self.reg_max + self.nc + self.nk
        flat = torch.cat([x.view(b, no, -1) for x in raw], 2)
        box, cls, kpt = flat.split((4 * self.reg_max, self.nc, self.nk), 1)
        return self.decode_all(box, cls, kpt, raw)

    def decode_all(self, box: torch.Tensor, cls: torch.Tensor, kpt: torch.Tensor, maps: list[torch.Tensor]
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        det = self.decode_parts(box, cls, maps)
        points, strides = self.anchors(maps)
        kpts = decode_keypoints(kpt, points, strides, self.kpt_shape)
        return torch.cat((det, kpts.reshape(det.shape[0], self.nk, -1)), 1), kpts

    def deploy(self) -> nn.Module:
        return PoseDeploy(self)


class PoseDeploy(DetectDeploy):
    """:class:`Pose` in eval mode with each kind of map concatenated over the levels once (as DetectDeploy); the
    export form: one output, ``pred`` (B, 4 + nc + K * D, A) (the keypoint layout travels in the file's
    metadata)."""

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        d = self.src
        box, cls, box_maps = self.box_cls(feats)
        return d.decode_all(box, cls, self.level_cat(d.cv4, d.nk, feats), box_maps)[0]
