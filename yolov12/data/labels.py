"""YOLO-format label files: path mapping and a strict, forgiving parser.

A label file has one object per line: ``class cx cy w h`` (normalised box) or ``class x1 y1 x2 y2 ...``
(normalised polygon, at least 3 points; its bounding box becomes the box). Problems are collected as
:class:`LabelIssue` rather than raised, so a scan can report them once per file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CLIP_TOLERANCE = 0.01  # coordinates within this distance outside [0, 1] are clipped; farther ones are dropped


def img2label_path(im_file: str | Path) -> Path:
    """``.../images/a/b.jpg`` -> ``.../labels/a/b.txt`` (last ``images`` component); beside the image otherwise."""
    parts = list(Path(im_file).parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return Path(im_file).with_suffix(".txt")


@dataclass
class ParsedLabels:
    """Result of parsing one label file.

    Attributes:
        cls: (n,) int64. boxes: (n, 4) float32 normalised cxcywh. segments: n polygons (k, 2) normalised, or None
        unless every object is a polygon. problems: human-readable reasons (one per bad line).
        class_errors: lines whose class id is >= nc (``file:line: ...``), a hard error for the dataset.
    """

    cls: np.ndarray
    boxes: np.ndarray
    segments: list[np.ndarray] | None
    problems: list[str] = field(default_factory=list)
    class_errors: list[str] = field(default_factory=list)
    duplicates: int = 0
    dropped: int = 0
    clipped: int = 0


def _fit_unit(values: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """Clip values slightly outside [0, 1]; None when any is far outside. Returns (values, clipped?)."""
    if (values < -CLIP_TOLERANCE).any() or (values > 1 + CLIP_TOLERANCE).any():
        return None, False
    clipped = bool((values < 0).any() or (values > 1).any())
    return np.clip(values, 0.0, 1.0), clipped


def parse_label_text(text: str, nc: int, name: str = "<labels>") -> ParsedLabels:
    """Parse the text of a YOLO label file for a dataset of ``nc`` classes. See the module docstring."""
    cls_out: list[int] = []
    boxes_out: list[np.ndarray] = []
    segs_out: list[np.ndarray | None] = []
    seen: set[tuple] = set()
    res = ParsedLabels(np.zeros(0, np.int64), np.zeros((0, 4), np.float32), None)
    for lineno, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens:
            continue
        where = f"{name}:{lineno}"
        if len(tokens) != 5 and (len(tokens) < 7 or len(tokens) % 2 == 0):
            res.problems.append(f"{where}: {len(tokens)} columns (need 5, or 1 + 2k with k >= 3 for a polygon)")
            res.dropped += 1
            continue
        try:
            values = np.array([float(t) for t in tokens], dtype=np.float64)
        except ValueError:
            res.problems.append(f"{where}: non-numeric value")
            res.dropped += 1
            continue
        if not np.isfinite(values).all():
            res.problems.append(f"{where}: NaN or infinite value")
            res.dropped += 1
            continue
        c = values[0]
        if c < 0 or c != math.floor(c):
            res.problems.append(f"{where}: class id {tokens[0]} is not a non-negative integer")
            res.dropped += 1
            continue
        if c >= nc:
            res.class_errors.append(f"{where}: class id {int(c)} >= nc={nc}")
            continue
        key = tuple(np.round(values, 6))
        if key in seen:
            res.duplicates += 1
            continue
        seen.add(key)
        seg = None
        if len(tokens) == 5:
            cx, cy, w, h = values[1:]
            if w <= 0 or h <= 0:
                res.problems.append(f"{where}: non-positive box size w={w:g} h={h:g}")
                res.dropped += 1
                continue
            xyxy, clipped = _fit_unit(np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]))
        else:
            pts, clipped = _fit_unit(values[1:].reshape(-1, 2))
            xyxy = None if pts is None else np.array([*pts.min(0), *pts.max(0)])
            seg = pts
        if xyxy is None:
            res.problems.append(f"{where}: coordinates far outside [0, 1]")
            res.dropped += 1
            continue
        if clipped:
            res.clipped += 1
        bw, bh = xyxy[2] - xyxy[0], xyxy[3] - xyxy[1]
        if bw <= 0 or bh <= 0:
            res.problems.append(f"{where}: box has no area after clipping")
            res.dropped += 1
            continue
        cls_out.append(int(c))
        boxes_out.append(np.array([xyxy[0] + bw / 2, xyxy[1] + bh / 2, bw, bh]))
        segs_out.append(seg)
    if res.duplicates:
        res.problems.append(f"{name}: {res.duplicates} duplicate line(s) dropped")
    if res.clipped:
        res.problems.append(f"{name}: {res.clipped} line(s) slightly outside [0, 1] clipped")
    if cls_out:
        res.cls = np.array(cls_out, np.int64)
        res.boxes = np.stack(boxes_out).astype(np.float32)
        if all(s is not None for s in segs_out):
            res.segments = [s.astype(np.float32) for s in segs_out]
    return res


def parse_label_file(path: str | Path, nc: int) -> ParsedLabels:
    """Read and parse one label file (see :func:`parse_label_text`). Raises OSError when unreadable."""
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return parse_label_text(text, nc, name=os.fspath(path))


def format_label_lines(cls: np.ndarray, boxes: np.ndarray, segments: list[np.ndarray] | None = None) -> str:
    """Inverse of the parser: (n,) classes + (n, 4) normalised cxcywh [+ polygons] -> label file text."""
    lines = []
    for i, c in enumerate(np.asarray(cls).reshape(-1)):
        if segments is not None:
            coords = np.asarray(segments[i]).reshape(-1)
        else:
            coords = np.asarray(boxes[i]).reshape(-1)
        lines.append(" ".join([str(int(c))] + [f"{v:.6f}" for v in coords]))
    return "\n".join(lines) + ("\n" if lines else "")
