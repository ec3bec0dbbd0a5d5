"""Post-processing of detection outputs: the one place NMS and the letterbox undo live.

Predict, validation and the ONNX backend all reach it through their task (``yolov12.tasks``): raw eval output ->
per-image predictions in original-image pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from yolov12.ops.boxes import scale_boxes
from yolov12.ops.nms import non_max_suppression

RatioPad = tuple[float, tuple[float, float]]  # (gain, (pad_left, pad_top)) in pixels, as the letterbox records it


@dataclass(frozen=True)
class NMSConfig:
    """What post-processing keeps: thresholds and filters shared by predict and validation."""

    conf: float = 0.25  # minimum class confidence
    iou: float = 0.7  # suppress same-class boxes overlapping a better one by more than this IoU
    max_det: int = 300  # at most this many detections per image
    classes: tuple[int, ...] | None = None  # keep only these class indices
    agnostic: bool = False  # NMS across classes
    multi_label: bool = False  # one box may carry several classes (COCO-style validation)
    retina_masks: bool = True  # segment: masks at the original resolution (False: at the resized input's, predict)


def detect_postprocess(
    preds: torch.Tensor,
    in_hw: tuple[int, int],
    orig_shapes: Sequence[tuple[int, int]],
    ratio_pads: Sequence[RatioPad | None],
    cfg: NMSConfig,
) -> list[torch.Tensor]:
    """(B, 4 + nc, A) eval output (cx, cy, w, h in input pixels, then class scores) of a letterboxed (H, W) batch
    -> per image an (n, 6) float32 CPU tensor: x1, y1, x2, y2 in original pixels (clipped), conf, cls.

    ``orig_shapes``: (h0, w0) per image; ``ratio_pads``: each image's letterbox record (None: centred padding).
    """
    dets = non_max_suppression(
        preds.float(), conf=cfg.conf, iou=cfg.iou, classes=list(cfg.classes) if cfg.classes is not None else None,
        agnostic=cfg.agnostic, multi_label=cfg.multi_label, max_det=cfg.max_det,
    )
    out = []
    for det, shape, rp in zip(dets, orig_shapes, ratio_pads, strict=True):
        det = det.detach().float().cpu().clone()
        det[:, :4] = scale_boxes(det[:, :4], tuple(in_hw), tuple(shape), ratio_pad=rp)
        out.append(det)
    return out
