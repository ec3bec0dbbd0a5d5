"""Pose predictions: NMS that carries each box's keypoints, :class:`Keypoints` (the ``Results.keypoints`` field),
skeleton drawing and the keypoint part of label lines / JSON.

Keypoints are (n, K, D) per image: x, y in original-image pixels and, when D = 3, a visibility probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from yolov12.inference.plotting import class_color
from yolov12.ops.boxes import scale_boxes, xywh2xyxy
from yolov12.ops.nms import _candidates, _greedy_nms

Array = torch.Tensor | np.ndarray
RatioPad = tuple[float, tuple[float, float]]

# COCO person skeleton (keypoint index pairs, 0-based): legs, hips, torso, arms, head
COCO_SKELETON = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8), (7, 9), (8, 10),
    (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)
VISIBLE_CONF = 0.5  # keypoints with a lower visibility probability are not drawn


@dataclass
class PosePrediction:
    """Pose detections of one image: ``boxes`` (n, 6) x1, y1, x2, y2, conf, cls and ``keypoints`` (n, K, D),
    original-image pixels, float32 CPU tensors, sorted by confidence."""

    boxes: torch.Tensor
    keypoints: torch.Tensor

    def __len__(self) -> int:
        return int(self.boxes.shape[0])


def scale_keypoints(kpts: torch.Tensor, from_shape: tuple[int, int], to_shape: tuple[int, int],
                    ratio_pad: RatioPad | None = None) -> torch.Tensor:
    """(n, K, D) keypoints from a letterboxed ``from_shape`` (h, w) back to the original ``to_shape``, in place;
    x, y clipped to the image."""
    if ratio_pad is None:
        gain = min(from_shape[0] / to_shape[0], from_shape[1] / to_shape[1])
        pad = ((from_shape[1] - to_shape[1] * gain) / 2, (from_shape[0] - to_shape[0] * gain) / 2)
    else:
        gain, pad = ratio_pad[0], ratio_pad[1]
    kpts[..., 0] = ((kpts[..., 0] - pad[0]) / gain).clamp(0, to_shape[1])
    kpts[..., 1] = ((kpts[..., 1] - pad[1]) / gain).clamp(0, to_shape[0])
    return kpts


def pose_postprocess(output, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                     ratio_pads: Sequence[RatioPad | None], conf: float = 0.25, iou: float = 0.7,
                     classes: Sequence[int] | None = None, agnostic: bool = False, multi_label: bool = False,
                     max_det: int = 300, max_nms: int = 30000) -> list[PosePrediction]:
    """The pose model's eval output ``(pred (B, 4 + nc + K*D, A), kpts (B, K, D, A))`` of a letterboxed (H, W)
    batch -> per image a :class:`PosePrediction` in original pixels (the detection NMS; each kept box brings the
    keypoints of its anchor)."""
    if not isinstance(output, list | tuple) or len(output) < 2 or output[1].dim() != 4:
        raise ValueError("pose post-processing needs the pose model's eval output (pred, keypoints (B, K, D, A))")
    pred, kpts = output[0].float(), output[1].float()
    k, d = kpts.shape[1:3]
    nc = pred.shape[1] - 4 - k * d
    if nc < 1:
        raise ValueError(f"pose output has {pred.shape[1]} channels, too few for {k} x {d} keypoint values")
    out = []
    for x, kp, shape, rp in zip(pred, kpts, orig_shapes, ratio_pads, strict=True):
        anchor, cls, conf_v = _candidates(x[4:4 + nc], conf, list(classes) if classes is not None else None,
                                          multi_label, max_nms)
        boxes = xywh2xyxy(x[:4, anchor].transpose(0, 1))
        keep = _greedy_nms(boxes, None if agnostic else cls, iou, max_det)
        det = torch.cat((boxes[keep], conf_v[keep, None], cls[keep, None].to(boxes.dtype)), 1).detach().cpu().clone()
        det[:, :4] = scale_boxes(det[:, :4], tuple(in_hw), tuple(shape), ratio_pad=rp)
        kk = kp[:, :, anchor[keep]].permute(2, 0, 1).detach().cpu().clone()  # (n, K, D)
        out.append(PosePrediction(det, scale_keypoints(kk, tuple(in_hw), tuple(shape), rp)))
    return out


class Keypoints:
    """Keypoints of one image's detections: ``data`` (n, K, D), x, y in original pixels [, visibility]."""

    def __init__(self, data: Array, orig_shape: tuple[int, int]) -> None:
        if data.ndim == 2:
            data = data[None]
        if data.ndim != 3 or data.shape[2] not in (2, 3):
            raise ValueError(f"Keypoints expects (n, K, 2 or 3) data, got shape {tuple(data.shape)}")
        self.data = data
        self.orig_shape = (int(orig_shape[0]), int(orig_shape[1]))

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index) -> Keypoints:
        return Keypoints(self.data[index], self.orig_shape)

    def __repr__(self) -> str:
        return f"Keypoints(n={len(self)}, shape={tuple(self.data.shape)}, orig_shape={self.orig_shape})"

    @property
    def xy(self) -> Array:
        """(n, K, 2) x, y in original-image pixels."""
        return self.data[..., :2]

    @property
    def xyn(self) -> Array:
        """(n, K, 2) x, y normalised by the original width and height."""
        h, w = self.orig_shape
        if isinstance(self.data, torch.Tensor):
            return self.xy / torch.tensor([w, h], dtype=self.data.dtype, device=self.data.device)
        return self.xy / np.array([w, h], dtype=self.data.dtype)

    @property
    def conf(self) -> Array | None:
        """(n, K) visibility probabilities, or None for (x, y)-only keypoints."""
        return self.data[..., 2] if self.data.shape[2] == 3 else None

    def cpu(self) -> Keypoints:
        return Keypoints(self.data.cpu(), self.orig_shape) if isinstance(self.data, torch.Tensor) else self

    def numpy(self) -> Keypoints:
        if isinstance(self.data, torch.Tensor):
            return Keypoints(self.data.detach().cpu().numpy(), self.orig_shape)
        return self

    def to(self, device: torch.device | str) -> Keypoints:
        return Keypoints(torch.as_tensor(self.data).to(device), self.orig_shape)


def draw_keypoints(img: np.ndarray, kpts: np.ndarray, cls: Sequence[int] | None = None, radius: int | None = None,
                   conf_thr: float = VISIBLE_CONF) -> np.ndarray:
    """Draw (n, K, D) pixel keypoints on ``img`` in place: the COCO skeleton for K = 17, plain points otherwise.
    Points with visibility < ``conf_thr`` (D = 3) or outside the image are skipped."""
    h, w = img.shape[:2]
    r = radius or max(round(sum(img.shape[:2]) / 2 * 0.004), 2)
    kpts = np.asarray(kpts, np.float64)
    if kpts.ndim != 3 or not len(kpts):
        return img
    k = kpts.shape[1]
    for i, obj in enumerate(kpts):
        colour = class_color(int(cls[i]) if cls is not None else 0)
        ok = (obj[:, 0] >= 0) & (obj[:, 0] < w) & (obj[:, 1] >= 0) & (obj[:, 1] < h)
        if obj.shape[1] == 3:
            ok &= obj[:, 2] >= conf_thr
        if k == 17:
            for a, b in COCO_SKELETON:
                if ok[a] and ok[b]:
                    cv2.line(img, (int(obj[a, 0]), int(obj[a, 1])), (int(obj[b, 0]), int(obj[b, 1])), colour,
                             max(r // 2, 1), cv2.LINE_AA)
        for j in np.flatnonzero(ok):
            cv2.circle(img, (int(obj[j, 0]), int(obj[j, 1])), r, colour, -1, cv2.LINE_AA)
    return img


def keypoint_fields(kpts: Keypoints) -> list[list[str]]:
    """Per object the keypoint columns of a pose label line: normalised ``x y`` [and ``v``], v = 2 when the
    visibility probability is >= 0.5, else 0 (unlabelled: x = y = 0)."""
    k = kpts.numpy()
    xyn = np.asarray(k.xyn, np.float64)
    conf = None if k.conf is None else np.asarray(k.conf, np.float64)
    rows = []
    for i in range(len(k)):
        f = []
        for j in range(xyn.shape[1]):
            if conf is None:
                f += [f"{xyn[i, j, 0]:.6f}", f"{xyn[i, j, 1]:.6f}"]
            elif conf[i, j] >= VISIBLE_CONF:
                f += [f"{xyn[i, j, 0]:.6f}", f"{xyn[i, j, 1]:.6f}", "2"]
            else:
                f += ["0.000000", "0.000000", "0"]
        rows.append(f)
    return rows


def keypoint_records(kpts: Keypoints, normalize: bool = False, decimals: int = 5) -> list[dict]:
    """Per object ``{"x": [...], "y": [...], "visible": [...]}`` (visible only with D = 3), for JSON output."""
    k = kpts.numpy()
    xy = np.asarray(k.xyn if normalize else k.xy, np.float64)
    out = []
    for i in range(len(k)):
        rec = {"x": [round(float(v), decimals) for v in xy[i, :, 0]],
               "y": [round(float(v), decimals) for v in xy[i, :, 1]]}
        if k.conf is not None:
            rec["visible"] = [round(float(v), decimals) for v in np.asarray(k.conf)[i]]
        out.append(rec)
    return out
