"""YOLO-format label files: path mapping and a strict, forgiving parser, told the task's format.

One object per line, normalised coordinates; what a line may hold is the task's :class:`LabelFormat`:

- ``detect``: ``class cx cy w h``, or ``class x1 y1 x2 y2 ...`` (a polygon of 3+ points; its bounding box is used);
- ``segment``: ``class x1 y1 x2 y2 ...``, a polygon of 3+ points;
- ``pose``: ``class cx cy w h`` then K keypoints of D values (``x y`` or ``x y v``), ``kpt_shape`` = (K, D); v is
  0 (unlabelled), 1 (labelled, occluded) or 2 (visible); with D = 2 a negative coordinate marks an unlabelled point.
  Labelled keypoints must lie in [0, 1] (within the clipping tolerance). Keypoints are returned as (n, K, 3)
  x, y, v whatever D (D = 2: v = 2 labelled, 0 unlabelled, unlabelled points at (0, 0));
- ``obb``: ``class x1 y1 x2 y2 x3 y3 x4 y4``, the four corners of an oriented box.

The format is never guessed from the column count: a line that does not fit it is a problem naming the file and
line, counted and dropped. Problems are collected rather than raised, so a scan can report them once per file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yolov12.data.obb import quad_problem

CLIP_TOLERANCE = 0.01  # coordinates within this distance outside [0, 1] are clipped; farther ones are dropped


def img2label_path(im_file: str | Path) -> Path:
    """``.../images/a/b.jpg`` -> ``.../labels/a/b.txt`` (last ``images`` component); beside the image otherwise."""
    parts = list(Path(im_file).parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return Path(im_file).with_suffix(".txt")


LABEL_KINDS = ("detect", "segment", "pose", "obb")


@dataclass(frozen=True)
class LabelFormat:
    """What one label line holds (see the module docstring). ``kpt_shape`` (K, D) only for ``pose``."""

    kind: str = "detect"
    kpt_shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.kind not in LABEL_KINDS:
            raise ValueError(f"unknown label format {self.kind!r}; expected one of {', '.join(LABEL_KINDS)}")
        if self.kind == "pose":
            k = self.kpt_shape
            if k is None or len(k) != 2 or int(k[0]) < 1 or int(k[1]) not in (2, 3):
                raise ValueError(f"pose labels need kpt_shape [K, 2] or [K, 3] with K >= 1, got {k!r}")
            object.__setattr__(self, "kpt_shape", (int(k[0]), int(k[1])))
        elif self.kpt_shape is not None:
            raise ValueError(f"kpt_shape is only for pose labels, not {self.kind!r}")

    def expected(self) -> str:
        """The line layout, for messages."""
        return {
            "detect": "class cx cy w h, or class and a polygon of 3+ points (1 + 2k columns, k >= 3)",
            "segment": "class and a polygon of 3+ points (1 + 2k columns, k >= 3)",
            "obb": "class x1 y1 x2 y2 x3 y3 x4 y4 (9 columns)",
            "pose": f"class cx cy w h and {self.kpt_shape and self.kpt_shape[0]} keypoints of "
                    f"{self.kpt_shape and self.kpt_shape[1]} values ({5 + self._kpt_values()} columns)",
        }[self.kind]

    def _kpt_values(self) -> int:
        return self.kpt_shape[0] * self.kpt_shape[1] if self.kpt_shape else 0

    def fits(self, n: int) -> str | None:
        """How a line of ``n`` columns is read: 'box', 'polygon', 'keypoints', or None when it does not fit."""
        polygon = n >= 7 and n % 2 == 1
        if self.kind == "detect":
            return "box" if n == 5 else "polygon" if polygon else None
        if self.kind == "segment":
            return "polygon" if polygon else None
        if self.kind == "obb":
            return "polygon" if n == 9 else None
        return "keypoints" if n == 5 + self._kpt_values() else None


DETECT_LABELS = LabelFormat("detect")


@dataclass
class ParsedLabels:
    """Result of parsing one label file.

    Attributes:
        cls: (n,) int64. boxes: (n, 4) float32 normalised cxcywh. segments: n polygons (k, 2) normalised, or None
        unless every object is a polygon (segment: the polygons; obb: the 4 corners). keypoints: (n, K, 3)
        normalised x, y and visibility for pose labels (also for an empty file), else None. problems: human-readable reasons (one per bad line).
        class_errors: lines whose class id is >= nc (``file:line: ...``), a hard error for the dataset.
    """

    cls: np.ndarray
    boxes: np.ndarray
    segments: list[np.ndarray] | None
    keypoints: np.ndarray | None = None
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


def _keypoints(values: np.ndarray, kpt_shape: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """K x D keypoint values of one line -> ((K, 3) x, y, v, '') or (None, why the line is bad)."""
    k, d = kpt_shape
    kp = values.reshape(k, d)
    out = np.zeros((k, 3), np.float64)
    if d == 3:
        v = kp[:, 2]
        bad = ~np.isin(v, (0.0, 1.0, 2.0))
        if bad.any():
            i = int(np.argmax(bad))
            return None, f"keypoint {i} has visibility {v[i]:g}; expected 0 (unlabelled), 1 (occluded) or 2 (visible)"
        labelled = v > 0
        out[:, 2] = v
    else:
        labelled = (kp[:, 0] >= 0) & (kp[:, 1] >= 0)
        out[:, 2] = np.where(labelled, 2.0, 0.0)
    xy = kp[:, :2]
    far = labelled & ((xy < -CLIP_TOLERANCE) | (xy > 1 + CLIP_TOLERANCE)).any(1)
    if far.any():
        return None, f"keypoint {int(np.argmax(far))} at {xy[far][0].round(4).tolist()} is far outside [0, 1]"
    out[:, :2] = np.where(labelled[:, None], np.clip(xy, 0.0, 1.0), 0.0)
    return out, ""


def parse_label_text(text: str, nc: int, name: str = "<labels>", fmt: LabelFormat = DETECT_LABELS) -> ParsedLabels:
    """Parse the text of a YOLO label file in format ``fmt`` for a dataset of ``nc`` classes (module docstring)."""
    cls_out: list[int] = []
    boxes_out: list[np.ndarray] = []
    segs_out: list[np.ndarray | None] = []
    kpts_out: list[np.ndarray] = []
    seen: set[tuple] = set()
    res = ParsedLabels(np.zeros(0, np.int64), np.zeros((0, 4), np.float32), None)
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark would make the first class id unreadable
    for lineno, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens:
            continue
        where = f"{name}:{lineno}"
        layout = fmt.fits(len(tokens))
        if layout is None:
            res.problems.append(f"{where}: {len(tokens)} columns; {fmt.kind} labels are {fmt.expected()}")
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
        seg = kpts = None
        if layout == "keypoints":
            kpts, why = _keypoints(values[5:], fmt.kpt_shape)
            if kpts is None:
                res.problems.append(f"{where}: {why}")
                res.dropped += 1
                continue
        if layout != "polygon":
            cx, cy, w, h = values[1:5]
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
        if fmt.kind == "obb" and (why := quad_problem(seg)) is not None:
            res.problems.append(f"{where}: {why}")
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
        if kpts is not None:
            kpts_out.append(kpts)
    if res.duplicates:
        res.problems.append(f"{name}: {res.duplicates} duplicate line(s) dropped")
    if res.clipped:
        res.problems.append(f"{name}: {res.clipped} line(s) slightly outside [0, 1] clipped")
    if fmt.kind == "pose":
        res.keypoints = np.zeros((0, fmt.kpt_shape[0], 3), np.float32)
    if cls_out:
        res.cls = np.array(cls_out, np.int64)
        res.boxes = np.stack(boxes_out).astype(np.float32)
        if all(s is not None for s in segs_out):
            res.segments = [s.astype(np.float32) for s in segs_out]
        if kpts_out:
            res.keypoints = np.stack(kpts_out).astype(np.float32)
    return res


def parse_label_file(path: str | Path, nc: int, fmt: LabelFormat = DETECT_LABELS) -> ParsedLabels:
    """Read and parse one label file (see :func:`parse_label_text`). Raises OSError when unreadable."""
    path = Path(path)
    with open(path, encoding="utf-8-sig", errors="replace") as f:  # -sig: a BOM is not part of the first line
        text = f.read()
    return parse_label_text(text, nc, name=os.fspath(path), fmt=fmt)


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
