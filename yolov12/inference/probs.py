"""Classification output of one image: :class:`Probs` (class probabilities with top-1 / top-5 views), its text,
JSON rows and drawing (used by :class:`~yolov12.inference.results.Results` when it holds ``probs``)."""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np
import torch

Array = torch.Tensor | np.ndarray


class Probs:
    """Probabilities (nc,) of one image over the classes; ``data`` may be a torch tensor or a numpy array."""

    def __init__(self, data: Array) -> None:
        if data.ndim != 1:
            raise ValueError(f"Probs expects a (nc,) vector of class probabilities, got shape {tuple(data.shape)}")
        self.data = data

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __repr__(self) -> str:
        return f"Probs(nc={len(self)}, top1={self.top1}, top1conf={self.top1conf:.4f})"

    def _np(self) -> np.ndarray:
        d = self.data
        return d.detach().float().cpu().numpy() if isinstance(d, torch.Tensor) else np.asarray(d, np.float64)

    @property
    def top5(self) -> list[int]:
        """Indices of the (up to) five most probable classes, most probable first."""
        p = self._np()
        return [int(i) for i in np.argsort(-p, kind="stable")[:5]]

    @property
    def top1(self) -> int:
        return int(np.argmax(self._np()))

    @property
    def top1conf(self) -> float:
        return float(self._np().max())

    @property
    def top5conf(self) -> list[float]:
        p = self._np()
        return [float(p[i]) for i in self.top5]

    def cpu(self) -> Probs:
        return Probs(self.data.cpu()) if isinstance(self.data, torch.Tensor) else self

    def numpy(self) -> Probs:
        return Probs(self._np())

    def to(self, device: torch.device | str) -> Probs:
        return Probs(torch.as_tensor(self.data).to(device))


def _name(names: Mapping[int, str], c: int) -> str:
    return names.get(c, str(c))


def probs_verbose(probs: Probs, names: Mapping[int, str]) -> str:
    """``"cat 0.91, dog 0.05, ..."`` over the top five."""
    return ", ".join(f"{_name(names, c)} {p:.2f}" for c, p in zip(probs.top5, probs.top5conf))


def probs_summary(probs: Probs, names: Mapping[int, str], decimals: int = 5) -> list[dict]:
    """The top five as ``[{name, class, confidence}, ...]``, most probable first."""
    return [{"name": _name(names, c), "class": c, "confidence": round(p, decimals)}
            for c, p in zip(probs.top5, probs.top5conf)]


def probs_txt(probs: Probs, names: Mapping[int, str]) -> str:
    """The top five, one ``<confidence> <name>`` line each (the seed's classification text format)."""
    return "".join(f"{p:.2f} {_name(names, c)}\n" for c, p in zip(probs.top5, probs.top5conf))


def draw_probs(img: np.ndarray, probs: Probs, names: Mapping[int, str], conf: bool = True) -> np.ndarray:
    """Write the top-five classes (``name 0.93``, most probable first) in the top-left corner of ``img`` (BGR,
    in place) on a white panel; the text scales with the image. Returns ``img``."""
    h, w = img.shape[:2]
    scale = max(min(h, w) / 640, 0.35)
    thick = max(1, round(scale * 2))
    lines = [f"{_name(names, c)} {p:.2f}" if conf else _name(names, c) for c, p in zip(probs.top5, probs.top5conf)]
    sizes = [cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0] for t in lines]
    lh = max((s[1] for s in sizes), default=0) + max(4, round(8 * scale))
    x0, y0 = max(2, round(6 * scale)), max(2, round(6 * scale))
    pw = max((s[0] for s in sizes), default=0) + 2 * x0
    cv2.rectangle(img, (0, 0), (min(pw, w - 1), min(y0 + lh * len(lines), h - 1)), (255, 255, 255), -1)
    for i, t in enumerate(lines):
        cv2.putText(img, t, (x0, y0 + lh * (i + 1) - max(2, round(4 * scale))), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 0, 0), thick, cv2.LINE_AA)
    return img
