"""Classification metrics: top-1 / top-5 accuracy, per-class accuracy (recall of each class) and the confusion
matrix; its plots. Headline and fitness: top-1."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from yolov12.evaluation.plots import plot_confusion_matrix


@dataclass
class ClassifyMetrics:
    top1: float = 0.0
    top5: float = 0.0  # top-k with k = min(5, nc)
    n: int = 0  # images evaluated
    per_class_acc: np.ndarray = field(default_factory=lambda: np.zeros(0))  # NaN for classes without images
    per_class_n: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    confusion_matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))  # [pred, true]
    names: list[str] = field(default_factory=list)

    @property
    def fitness(self) -> float:
        """What training keeps the best weights by: top-1 accuracy."""
        return self.top1

    def to_dict(self) -> dict:
        return {"top1": self.top1, "top5": self.top5, "fitness": self.fitness}

    def summary(self) -> str:
        lines = [f"{'class':>16} {'images':>7} {'accuracy':>9}", f"{'all':>16} {self.n:>7} {self.top1:>9.3f}  "
                 f"(top-5 {self.top5:.3f})"]
        for i, name in enumerate(self.names[:50]):
            acc = self.per_class_acc[i]
            lines.append(f"{str(name)[:16]:>16} {int(self.per_class_n[i]):>7} "
                         f"{'-' if np.isnan(acc) else f'{acc:.3f}':>9}")
        return "\n".join(lines)


class ClassifyEvaluator:
    """``update(probs (nc,), true class) -> image id``; ``compute() -> ClassifyMetrics``."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        self.nc = len(self.names)
        self.top5: list[np.ndarray] = []
        self.targets: list[int] = []

    def update(self, probs: torch.Tensor, target: int) -> int:
        k = min(5, self.nc)
        p = probs.detach().float().cpu()
        self.top5.append(torch.topk(p, k).indices.numpy())
        self.targets.append(int(target))
        return len(self.targets) - 1

    def compute(self) -> ClassifyMetrics:
        nc = self.nc
        if not self.targets:
            return ClassifyMetrics(per_class_acc=np.full(nc, np.nan), per_class_n=np.zeros(nc, np.int64),
                                   confusion_matrix=np.zeros((nc, nc), np.int64), names=self.names)
        top = np.stack(self.top5)
        t = np.asarray(self.targets)
        hit = top == t[:, None]
        cm = np.zeros((nc, nc), np.int64)
        np.add.at(cm, (top[:, 0], t), 1)
        per_n = np.bincount(t, minlength=nc)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_acc = np.where(per_n > 0, np.diag(cm) / np.maximum(per_n, 1), np.nan)
        return ClassifyMetrics(top1=float(hit[:, 0].mean()), top5=float(hit.any(1).mean()), n=len(t),
                               per_class_acc=per_acc, per_class_n=per_n, confusion_matrix=cm, names=self.names)


def plot_per_class_accuracy(metrics: ClassifyMetrics, names: list[str], out: Path) -> Path:
    """Horizontal bars of the accuracy of each class (first 100 classes)."""
    n = min(len(names), 100)
    row = 18
    img = np.full((n * row + 40, 420, 3), 255, np.uint8)
    cv2.putText(img, f"per-class accuracy (top-1 {metrics.top1:.3f})", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (0, 0, 0), 1, cv2.LINE_AA)
    for i in range(n):
        y = 30 + i * row
        acc = float(np.nan_to_num(metrics.per_class_acc[i]))
        cv2.rectangle(img, (100, y), (100 + int(300 * acc), y + row - 4), (160, 80, 20), -1)
        cv2.putText(img, str(names[i])[:12], (4, y + row - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                    cv2.LINE_AA)
    cv2.imwrite(str(out), img)
    return out


def plot_classify_metrics(metrics: ClassifyMetrics, names: list[str], save_dir: Path) -> None:
    """confusion_matrix.png (rows predicted, columns true) and per_class_accuracy.png under ``save_dir``."""
    plot_confusion_matrix(metrics.confusion_matrix, names, Path(save_dir) / "confusion_matrix.png")
    plot_per_class_accuracy(metrics, names, Path(save_dir) / "per_class_accuracy.png")
