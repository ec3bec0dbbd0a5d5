"""Instance masks of one image (:class:`Masks`) and the segmentation post-processing.

Masks are computed from the mask logits upsampled to the letterboxed input with the padding removed; with
``retina_masks`` (NMSConfig; validation always) they are then resized to the original image, so ``data`` lines up
pixel for pixel with ``orig_img`` and the boxes. Without it (predict's default, as Ultralytics) ``data`` stays at
the resized image's resolution (about (H0 * gain, W0 * gain)), still spanning the whole original image: ``xy`` /
``xyn`` scale the polygons to original pixels and ``plot()`` resizes the masks onto the original image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from yolov12.inference.postprocess import NMSConfig, RatioPad
from yolov12.ops.boxes import scale_boxes, xywh2xyxy
from yolov12.ops.masks import mask_logits, mask_to_polygons, masks_to_original
from yolov12.ops.nms import _candidates, _greedy_nms

Array = torch.Tensor | np.ndarray


@dataclass
class SegPrediction:
    """Post-processed predictions of one image: ``boxes`` (n, 6) x1, y1, x2, y2 (original pixels), conf, cls and
    ``masks`` (n, h, w) bool covering the original image: (H0, W0) with ``retina_masks``, else the resized input's
    size."""

    boxes: torch.Tensor
    masks: torch.Tensor

    def __len__(self) -> int:
        return int(self.boxes.shape[0])


class Masks:
    """Instance masks of one image: ``data`` (n, h, w) bool covering the whole original image, at its resolution
    (``retina_masks=True``) or at the resized input's; ``xy`` / ``xyn`` the polygon of each mask (its largest outer
    contour; an empty mask gives a (0, 2) array) in original pixels / normalised."""

    def __init__(self, data: Array, orig_shape: tuple[int, int]) -> None:
        if data.ndim != 3:
            raise ValueError(f"Masks expects (n, H, W) data, got shape {tuple(data.shape)}")
        self.data = data
        self.orig_shape = (int(orig_shape[0]), int(orig_shape[1]))

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index) -> Masks:
        d = self.data[index]
        return Masks(d[None] if d.ndim == 2 else d, self.orig_shape)

    def __repr__(self) -> str:
        return f"Masks(n={len(self)}, shape={tuple(self.data.shape[1:])})"

    def _numpy(self) -> np.ndarray:
        d = self.data
        return d.detach().cpu().numpy() if isinstance(d, torch.Tensor) else np.asarray(d)

    @property
    def xy(self) -> list[np.ndarray]:
        """Per mask a (k, 2) float32 polygon in original-image pixels."""
        m = self._numpy()
        sy, sx = self.orig_shape[0] / max(m.shape[1], 1), self.orig_shape[1] / max(m.shape[2], 1)
        out = []
        for mask in m:
            polys = mask_to_polygons(mask)
            out.append(polys[0] * np.array([sx, sy], np.float32) if polys else np.zeros((0, 2), np.float32))
        return out

    @property
    def xyn(self) -> list[np.ndarray]:
        """Per mask a (k, 2) polygon normalised by the original width and height."""
        h, w = self.orig_shape
        return [p / np.array([w, h], np.float32) for p in self.xy]

    def cpu(self) -> Masks:
        return Masks(self.data.cpu(), self.orig_shape) if isinstance(self.data, torch.Tensor) else self

    def numpy(self) -> Masks:
        return Masks(self._numpy(), self.orig_shape)


def segment_nms(pred: torch.Tensor, nc: int, cfg: NMSConfig) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(B, 4 + nc + nm, A) -> per image ((n, 6) x1, y1, x2, y2 (input pixels), conf, cls; (n, nm) coefficients)."""
    out = []
    classes = list(cfg.classes) if cfg.classes is not None else None
    for x in pred.float():
        anchor, cls, conf = _candidates(x[4:4 + nc], cfg.conf, classes, cfg.multi_label, 30000)
        boxes = xywh2xyxy(x[:4, anchor].transpose(0, 1))
        keep = _greedy_nms(boxes, None if cfg.agnostic else cls, cfg.iou, cfg.max_det)
        det = torch.cat((boxes[keep], conf[keep, None], cls[keep, None].to(boxes.dtype)), 1)
        out.append((det, x[4 + nc:, anchor[keep]].transpose(0, 1)))
    return out


def segment_postprocess(output: tuple[torch.Tensor, torch.Tensor], in_hw: tuple[int, int],
                        orig_shapes: Sequence[tuple[int, int]], ratio_pads: Sequence[RatioPad | None],
                        cfg: NMSConfig) -> list[SegPrediction]:
    """Eval output ``(pred (B, 4 + nc + nm, A), protos (B, nm, H / 4, W / 4))`` of a letterboxed (H, W) batch ->
    per image a :class:`SegPrediction` in original pixels (CPU); masks at the original resolution when
    ``cfg.retina_masks``, else at the resized input's."""
    pred, protos = output[0], output[1]
    nm = protos.shape[1]
    nc = pred.shape[1] - 4 - nm
    out = []
    for (det, coefs), p, shape, rp in zip(segment_nms(pred, nc, cfg), protos, orig_shapes, ratio_pads, strict=True):
        det = det.detach().float().cpu().clone()
        det[:, :4] = scale_boxes(det[:, :4], tuple(in_hw), tuple(shape), ratio_pad=rp)
        logits = mask_logits(p.detach().float().cpu(), coefs.detach().float().cpu())
        out.append(SegPrediction(det, masks_to_original(logits, tuple(in_hw), tuple(shape), rp, det[:, :4],
                                                           retina=cfg.retina_masks)))
    return out


def overlay_masks(img: np.ndarray, masks: np.ndarray, colors: Sequence[tuple[int, int, int]],
                  alpha: float = 0.5) -> np.ndarray:
    """Blend each (H, W) mask of (n, H, W) into the BGR image in its colour (in place; returns ``img``)."""
    for m, c in zip(masks, colors, strict=True):
        m = m.astype(bool)
        if m.shape != img.shape[:2]:
            m = cv2.resize(m.astype(np.uint8), (img.shape[1], img.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
        img[m] = (img[m] * (1 - alpha) + np.array(c, np.float32) * alpha).astype(np.uint8)
    return img


def polygon_lines(cls: np.ndarray, polygons: list[np.ndarray], conf: np.ndarray | None = None) -> list[str]:
    """Segment label lines ``class x1 y1 x2 y2 ... [conf]`` (normalised polygons); masks with fewer than 3 polygon
    points are skipped (no valid label line)."""
    lines = []
    for i, (c, p) in enumerate(zip(cls, polygons, strict=True)):
        if len(p) < 3:
            continue
        fields = [str(int(c))] + [f"{v:.6f}" for v in np.asarray(p, np.float64).reshape(-1)]
        if conf is not None:
            fields.append(f"{float(conf[i]):.6f}")
        lines.append(" ".join(fields))
    return lines
