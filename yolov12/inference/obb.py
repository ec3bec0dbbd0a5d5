"""Oriented-box predictions: post-processing (rotated NMS, letterbox undo) and the ``Results.obb`` field.

A prediction row is (cx, cy, w, h, r, conf, cls) in original-image pixels, r in radians, in the ``long_side``
form (w the longer side, r in [-pi/4, 3pi/4)).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch

from yolov12.inference.postprocess import NMSConfig, RatioPad
from yolov12.inference.tiling import cut_by_inner_edge
from yolov12.ops.rotated import regularize_rboxes, rotated_nms, xywhr_to_corners, xywhr_to_xyxy

Array = torch.Tensor | np.ndarray
MAX_NMS = 30000  # candidates per image entering NMS (highest scores first)


def obb_nms(pred: torch.Tensor, cfg: NMSConfig, nc: int) -> list[torch.Tensor]:
    """(B, 4 + nc + 1, A) eval output (rotated boxes in input pixels, scores, angle) -> per image (n, 7)
    cx, cy, w, h, r, conf, cls after greedy rotated NMS (exact polygon IoU, per class unless agnostic)."""
    out = []
    for x in pred.float():
        boxes = torch.cat((x[:4], x[4 + nc:5 + nc]), 0).T  # (A, 5)
        scores = x[4:4 + nc]  # (nc, A)
        if cfg.multi_label:
            c, a = (scores > cfg.conf).nonzero(as_tuple=True)
            conf = scores[c, a]
        else:
            conf, c = scores.max(0)
            a = (conf > cfg.conf).nonzero(as_tuple=True)[0]
            conf, c = conf[a], c[a]
        if cfg.classes is not None:
            ok = torch.isin(c, torch.tensor(list(cfg.classes), device=c.device))
            a, c, conf = a[ok], c[ok], conf[ok]
        if conf.numel() > MAX_NMS:
            top = conf.topk(MAX_NMS).indices
            a, c, conf = a[top], c[top], conf[top]
        b = boxes[a]
        keep = rotated_nms(b, conf, cfg.iou, cfg.max_det, idxs=None if cfg.agnostic else c)
        out.append(torch.cat((b[keep], conf[keep, None], c[keep, None].float()), 1))
    return out


def scale_rboxes(rboxes: torch.Tensor, ratio_pad: RatioPad | None, in_hw: tuple[int, int],
                 orig_shape: tuple[int, int]) -> torch.Tensor:
    """Rotated boxes (n, 5+) from letterboxed (H, W) input pixels to original pixels (centre, sides; angle kept)."""
    if ratio_pad is None:
        gain = min(in_hw[0] / orig_shape[0], in_hw[1] / orig_shape[1])
        pad = ((in_hw[1] - orig_shape[1] * gain) / 2, (in_hw[0] - orig_shape[0] * gain) / 2)
    else:
        gain, pad = ratio_pad[0], ratio_pad[1]
    out = rboxes.clone()
    out[:, 0] = (out[:, 0] - pad[0]) / gain
    out[:, 1] = (out[:, 1] - pad[1]) / gain
    out[:, 2:4] /= gain
    return out


def obb_postprocess(preds: torch.Tensor, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                    ratio_pads: Sequence[RatioPad | None], cfg: NMSConfig) -> list[torch.Tensor]:
    """(B, 4 + nc + 1, A) of a letterboxed batch -> per image (n, 7) float32 CPU: cx, cy, w, h, r (long side
    form), conf, cls in original pixels."""
    nc = preds.shape[1] - 5
    out = []
    for det, shape, rp in zip(obb_nms(preds, cfg, nc), orig_shapes, ratio_pads, strict=True):
        det = det.detach().float().cpu()
        det = scale_rboxes(det, rp, tuple(in_hw), tuple(shape))
        det[:, :5] = regularize_rboxes(det[:, :5], "long_side")
        out.append(det)
    return out


class OBB:
    """Oriented boxes of one image as an (n, 7) array: cx, cy, w, h (pixels), r (radians), conf, cls."""

    def __init__(self, data: Array, orig_shape: tuple[int, int]) -> None:
        if data.ndim != 2 or data.shape[1] != 7:
            raise ValueError(f"OBB expects an (n, 7) array (cx, cy, w, h, r, conf, cls), got {tuple(data.shape)}")
        self.data = data
        self.orig_shape = tuple(orig_shape)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index) -> OBB:
        d = self.data[index]
        return OBB(d.reshape(-1, 7) if d.ndim == 1 else d, self.orig_shape)

    def __repr__(self) -> str:
        return f"OBB(n={len(self)}, orig_shape={self.orig_shape})"

    @property
    def xywhr(self) -> Array:
        return self.data[:, :5]

    @property
    def conf(self) -> Array:
        return self.data[:, 5]

    @property
    def cls(self) -> Array:
        return self.data[:, 6]

    @property
    def xyxyxyxy(self) -> Array:
        """(n, 4, 2) corners in pixels."""
        return xywhr_to_corners(self.xywhr)

    @property
    def xyxyxyxyn(self) -> Array:
        """(n, 4, 2) corners normalised by the image width and height."""
        h, w = self.orig_shape
        return self.xyxyxyxy / (np.array([w, h]) if isinstance(self.data, np.ndarray) else torch.tensor([w, h]))

    @property
    def xyxy(self) -> Array:
        """(n, 4) the axis-aligned box enclosing each rotated box, pixels."""
        return xywhr_to_xyxy(self.xywhr)

    def boxes_data(self) -> Array:
        """(n, 6) enclosing xyxy, conf, cls (what ``Results.boxes`` holds for an OBB result)."""
        cat = np.concatenate if isinstance(self.data, np.ndarray) else torch.cat
        return cat((self.xyxy, self.data[:, 5:7]), 1)

    def cpu(self) -> OBB:
        return OBB(self.data.cpu() if isinstance(self.data, torch.Tensor) else self.data, self.orig_shape)

    def numpy(self) -> OBB:
        d = self.data.detach().cpu().numpy() if isinstance(self.data, torch.Tensor) else self.data
        return OBB(d, self.orig_shape)

    def to(self, device) -> OBB:
        return OBB(torch.as_tensor(self.data).to(device), self.orig_shape)

    # ----- what Results calls
    def label_text(self, save_conf: bool = False) -> str:
        """Label lines ``class x1 y1 x2 y2 x3 y3 x4 y4 [conf]`` (corners normalised), the OBB label format."""
        o = self.numpy()
        corners = np.asarray(o.xyxyxyxyn, np.float64).reshape(-1, 8)
        lines = []
        for c, pts, p in zip(o.cls.round().astype(int), corners, o.conf, strict=True):
            lines.append(" ".join([str(int(c))] + [f"{v:.6f}" for v in pts] + ([f"{p:.6f}"] if save_conf else [])))
        return "".join(line + "\n" for line in lines)

    def annotate(self, records: list[dict], normalize: bool, decimals: int) -> list[dict]:
        """Add ``obb`` (cx, cy, w, h, r) and ``corners`` [[x, y] x 4] to the per-detection dicts of
        ``Results.summary`` (same order)."""
        o = self.numpy()
        h, w = self.orig_shape
        corners = np.asarray(o.xyxyxyxy, np.float64)
        xywhr = np.asarray(o.xywhr, np.float64)
        if normalize:
            corners = corners / np.array([w, h])
        for rec, box, pts in zip(records, xywhr, corners, strict=True):
            rec["obb"] = dict(zip(("cx", "cy", "w", "h", "r"), (round(float(v), decimals) for v in box)))
            rec["corners"] = [[round(float(x), decimals), round(float(y), decimals)] for x, y in pts]
        return records

    def plot(self, img: np.ndarray, texts: list[str] | None, colors: list[tuple[int, int, int]],
             line_width: int | None = None) -> np.ndarray:
        """Draw each rotated box as a closed polygon (and its label at its top-most corner) on ``img``."""
        lw = line_width or max(round(sum(img.shape[:2]) / 2 * 0.003), 2)
        corners = np.asarray(self.numpy().xyxyxyxy, np.float64)
        for i, pts in enumerate(corners):
            p = np.round(pts).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(img, [p], True, colors[i], lw, cv2.LINE_AA)
            if texts:
                top = pts[np.argmin(pts[:, 1])]
                tf = max(lw - 1, 1)
                (tw, th), _ = cv2.getTextSize(texts[i], 0, lw / 3, tf)
                x, y = int(top[0]), int(max(top[1], th + 3))
                cv2.rectangle(img, (x, y - th - 3), (x + tw, y), colors[i], -1, cv2.LINE_AA)
                cv2.putText(img, texts[i], (x, y - 2), 0, lw / 3, (255, 255, 255), tf, cv2.LINE_AA)
        return img


def merge_tiles(preds: Sequence[torch.Tensor], windows: Sequence[tuple[int, int, int, int]], hw: tuple[int, int],
                nms: NMSConfig, overlap: int = 0) -> torch.Tensor:
    """Per-tile predictions (n_i, 7) in tile pixels -> (n, 7) in image pixels: a small box cut by an inner tile
    side is dropped first (:func:`~yolov12.inference.tiling.cut_by_inner_edge` on its enclosing box: a neighbouring
    tile sees it whole), the rest shifted by their window's origin, then greedy rotated NMS across tiles (exact
    polygon IoU, per class unless ``nms.agnostic``), at most ``nms.max_det``, best first."""
    parts = []
    for p, win in zip(preds, windows, strict=True):
        p = torch.as_tensor(p, dtype=torch.float32).reshape(-1, 7).clone()
        if len(p):
            p = p[~cut_by_inner_edge(xywhr_to_xyxy(p[:, :5]), win, hw, overlap)]
        p[:, 0] += win[0]
        p[:, 1] += win[1]
        parts.append(p)
    allp = torch.cat(parts) if parts else torch.zeros(0, 7)
    keep = rotated_nms(allp[:, :5].double(), allp[:, 5], nms.iou, nms.max_det,
                       idxs=None if nms.agnostic else allp[:, 6].long())
    return allp[keep]
