"""Detection metric plots: confusion matrix and per-class AP, written with OpenCV (no matplotlib)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from yolov12.evaluation.metrics import DetectionMetrics


def plot_confusion_matrix(matrix: np.ndarray, names: list[str], out: Path, cell: int = 28) -> Path:
    """Column-normalised confusion matrix (rows predicted, columns true; last = background) as a heat map."""
    m = matrix.astype(np.float64)
    norm = m / np.maximum(m.sum(0, keepdims=True), 1)
    n = len(m)
    pad = 60
    img = np.full((n * cell + pad + 10, n * cell + pad + 10, 3), 255, np.uint8)
    labels = [str(x) for x in names] + ["bg"]
    for r in range(n):
        for c in range(n):
            v = norm[r, c]
            color = tuple(int(255 - v * (255 - x)) for x in (180, 90, 30))
            x0, y0 = pad + c * cell, pad + r * cell
            cv2.rectangle(img, (x0, y0), (x0 + cell - 1, y0 + cell - 1), color, -1)
            if n <= 25 and v > 0:
                cv2.putText(img, f"{v:.2f}"[1:] if v < 1 else "1", (x0 + 2, y0 + cell // 2 + 4),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1, cv2.LINE_AA)
        if n <= 25:
            cv2.putText(img, labels[r][:5], (2, pad + r * cell + cell // 2 + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        (0, 0, 0), 1, cv2.LINE_AA)
            cv2.putText(img, labels[r][:5], (pad + r * cell + 2, pad - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0),
                        1, cv2.LINE_AA)
    cv2.putText(img, "rows: predicted, cols: true", (2, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(str(out), img)
    return out


def plot_per_class_ap(metrics: DetectionMetrics, names: list[str], out: Path) -> Path:
    """Horizontal bars of AP50 and AP50-95 per class."""
    n = len(names)
    row = 18
    img = np.full((n * row + 40, 420, 3), 255, np.uint8)
    cv2.putText(img, "per-class AP50 (light) and AP50-95 (dark)", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                cv2.LINE_AA)
    for i, name in enumerate(names):
        y = 30 + i * row
        ap50, ap = (float(np.nan_to_num(v[i])) for v in (metrics.per_class_ap50, metrics.per_class_ap))
        cv2.rectangle(img, (100, y), (100 + int(300 * ap50), y + row - 4), (230, 180, 120), -1)
        cv2.rectangle(img, (100, y), (100 + int(300 * ap), y + row - 4), (160, 80, 20), -1)
        cv2.putText(img, str(name)[:12], (4, y + row - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(str(out), img)
    return out
