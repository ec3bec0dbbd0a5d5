"""PNG plots drawn with OpenCV (no plotting dependency): results curves, label statistics, training batches."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from yolov12.inference.plotting import class_color, draw_boxes
from yolov12.ops.boxes import xywh2xyxy


def _panel(values: list[float], title: str, size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """One small line chart (white background, axes, min/max labels)."""
    h, w = size
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.putText(img, title, (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    x0, y0, x1, y1 = 40, 30, w - 10, h - 25
    cv2.rectangle(img, (x0, y0), (x1, y1), (180, 180, 180), 1)
    v = np.asarray([x for x in values if np.isfinite(x)], np.float64)
    if len(v):
        lo, hi = float(v.min()), float(v.max())
        span = hi - lo or 1.0
        xs = np.linspace(x0, x1, max(len(v), 2))[: len(v)]
        ys = y1 - (v - lo) / span * (y1 - y0)
        pts = np.stack([xs, ys], 1).round().astype(np.int32)
        cv2.polylines(img, [pts], False, (200, 90, 30), 2, cv2.LINE_AA)
        for p in pts if len(pts) <= 50 else []:
            cv2.circle(img, tuple(int(c) for c in p), 2, (200, 90, 30), -1)
        cv2.putText(img, f"{hi:.3g}", (2, y0 + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, f"{lo:.3g}", (2, y1), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, f"epoch 1..{len(v)}", (x0, h - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return img


def plot_results(csv_path: Path, out: Path) -> Path | None:
    """results.csv -> a grid of per-epoch curves: the task's loss items (``train/*``), its metrics and lr0."""
    if not Path(csv_path).exists():
        return None
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    keys = [k for k in rows[0] if k not in ("epoch", "lr1", "lr2", "fitness", "time")]
    panels = [_panel([float(r[k]) for r in rows], k) for k in keys]
    panels += [np.full_like(panels[0], 255)] * (-len(panels) % 4)  # complete the last row of 4
    grid = np.vstack([np.hstack(panels[i : i + 4]) for i in range(0, len(panels), 4)])
    cv2.imwrite(str(out), grid)
    return Path(out)


def plot_labels(dataset, names: list[str], out: Path) -> Path:
    """Instances per class (bar chart) and box centre / size scatter of the training labels."""
    cls = np.concatenate([np.asarray(s.cls).reshape(-1) for s in dataset.samples]) if dataset.samples else np.zeros(0)
    boxes = np.concatenate([np.asarray(s.boxes).reshape(-1, 4) for s in dataset.samples]) if dataset.samples \
        else np.zeros((0, 4))
    nc = len(names)
    counts = np.bincount(cls.astype(np.int64), minlength=nc)[:nc] if len(cls) else np.zeros(nc, np.int64)
    h, w = 300, 400
    bars = np.full((h, w, 3), 255, np.uint8)
    cv2.putText(bars, f"instances per class ({int(counts.sum())})", (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0),
                1, cv2.LINE_AA)
    bw = max((w - 20) // max(nc, 1), 1)
    top = max(int(counts.max()) if len(counts) else 1, 1)
    for i, c in enumerate(counts):
        x = 10 + i * bw
        bh = int((h - 60) * c / top)
        cv2.rectangle(bars, (x, h - 30 - bh), (x + max(bw - 2, 1), h - 30), class_color(i), -1)
        if nc <= 20:
            cv2.putText(bars, str(names[i])[:4], (x, h - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1)
    scatter = np.full((h, h, 3), 255, np.uint8)
    cv2.putText(scatter, "box centres (x, y)", (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for (cx, cy, bw_, bh_), c in zip(boxes[:5000], cls[:5000]):
        cv2.circle(scatter, (int(10 + cx * (h - 20)), int(25 + cy * (h - 35))), 2, class_color(int(c)), -1)
    cv2.imwrite(str(out), np.hstack([bars, scatter]))
    return Path(out)


def plot_train_batch(batch: dict, names: list[str], out: Path, max_images: int = 16) -> Path:
    """A mosaic of the (augmented) batch images with their boxes and class names."""
    imgs = batch["img"][:max_images].permute(0, 2, 3, 1).numpy()[..., ::-1]  # RGB -> BGR
    n, h, w = imgs.shape[:3]
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    canvas = np.full((rows * h, cols * w, 3), 255, np.uint8)
    bidx = batch["batch_idx"].numpy().astype(int)
    boxes = xywh2xyxy(batch["bboxes"].numpy().copy()) * np.array([w, h, w, h])
    cls = batch["cls"].numpy().astype(int)
    for i in range(n):
        tile = np.ascontiguousarray(imgs[i])
        sel = bidx == i
        draw_boxes(tile, boxes[sel], [str(names[c]) if c < len(names) else str(c) for c in cls[sel]],
                   [class_color(c) for c in cls[sel]], 1)
        r, c = divmod(i, cols)
        canvas[r * h : (r + 1) * h, c * w : (c + 1) * w] = tile
    cv2.imwrite(str(out), canvas)
    return Path(out)
