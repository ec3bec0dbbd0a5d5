"""Detections for one image: :class:`Boxes` (the (n, 6) tensor with format views) and :class:`Results`.

Coordinates are in pixels of the *original* image (the predictor has already undone the letterbox);
the ``...n`` views are normalised by the original width/height to [0, 1].
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from yolov12.inference.keypoints import Keypoints, draw_keypoints, keypoint_fields, keypoint_records
from yolov12.inference.masks import Masks, overlay_masks, polygon_lines
from yolov12.inference.plotting import class_color, draw_boxes
from yolov12.inference.probs import Probs, draw_probs, probs_summary, probs_txt, probs_verbose
from yolov12.ops.boxes import xyxy2xywh
from yolov12.utils import atomic_write_bytes, atomic_write_text

Array = torch.Tensor | np.ndarray


def normalize_names(names: Mapping[int, str] | Sequence[str] | None) -> dict[int, str]:
    """Class names as ``{index: name}`` from a list, a dict (keys coerced to int) or ``None`` (empty)."""
    if names is None:
        return {}
    if isinstance(names, Mapping):
        return {int(k): str(v) for k, v in names.items()}
    return {i: str(n) for i, n in enumerate(names)}


class Boxes:
    """Detections of one image as an (n, 6) array: x1, y1, x2, y2 (pixels), confidence, class index.

    ``data`` may be a torch tensor (any device) or a numpy array; every view returns the same type.
    """

    def __init__(self, data: Array, orig_shape: tuple[int, int]) -> None:
        if data.ndim == 1:
            data = data[None, :]
        if data.ndim != 2 or data.shape[1] != 6:
            raise ValueError(f"Boxes expects (n, 6) x1,y1,x2,y2,conf,cls data, got shape {tuple(data.shape)}")
        self.data = data
        self.orig_shape = (int(orig_shape[0]), int(orig_shape[1]))

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index) -> Boxes:
        return Boxes(self.data[index], self.orig_shape)

    def __repr__(self) -> str:
        return f"Boxes(n={len(self)}, orig_shape={self.orig_shape}, data={self.data!r})"

    @property
    def xyxy(self) -> Array:
        """(n, 4) x1, y1, x2, y2 in original-image pixels."""
        return self.data[:, :4]

    @property
    def conf(self) -> Array:
        """(n,) confidence in [0, 1]."""
        return self.data[:, 4]

    @property
    def cls(self) -> Array:
        """(n,) class index (float, as stored)."""
        return self.data[:, 5]

    @property
    def xywh(self) -> Array:
        """(n, 4) cx, cy, w, h in original-image pixels."""
        return xyxy2xywh(self.xyxy)

    def _norm(self, boxes: Array) -> Array:
        h, w = self.orig_shape
        scale = [w, h, w, h]
        if isinstance(boxes, torch.Tensor):
            return boxes / torch.tensor(scale, dtype=boxes.dtype, device=boxes.device)
        return boxes / np.asarray(scale, dtype=boxes.dtype if boxes.dtype.kind == "f" else np.float64)

    @property
    def xyxyn(self) -> Array:
        """(n, 4) x1, y1, x2, y2 normalised by the original width and height."""
        return self._norm(self.xyxy)

    @property
    def xywhn(self) -> Array:
        """(n, 4) cx, cy, w, h normalised by the original width and height (YOLO label format)."""
        return self._norm(self.xywh)

    def cpu(self) -> Boxes:
        return Boxes(self.data.cpu(), self.orig_shape) if isinstance(self.data, torch.Tensor) else self

    def numpy(self) -> Boxes:
        if isinstance(self.data, torch.Tensor):
            return Boxes(self.data.detach().cpu().numpy(), self.orig_shape)
        return self

    def to(self, device: torch.device | str) -> Boxes:
        return Boxes(torch.as_tensor(self.data).to(device), self.orig_shape)


class Results:
    """Detections of one image or video frame, in original-image coordinates.

    Attributes:
        orig_img: (H, W, 3) uint8 BGR image the detections refer to.
        orig_shape: (H, W) of ``orig_img``.
        path: file path of the image/video, or a generated name (``image0``) for in-memory inputs.
        names: ``{class index: name}``.
        boxes: :class:`Boxes` with (n, 6) x1, y1, x2, y2 (pixels), conf, cls.
        masks: :class:`~yolov12.inference.masks.Masks` (segment models; None otherwise), one per box.
        speed: milliseconds per image for ``preprocess``, ``inference`` and ``postprocess``.
        frame: frame index within a video (0 for still images).
        keypoints: pose models: :class:`~yolov12.inference.keypoints.Keypoints` (n, K, D) aligned with ``boxes``,
            else None.
        obb: oriented boxes (:class:`~yolov12.inference.obb.OBB`, (n, 7) cx, cy, w, h, r, conf, cls) for the obb
            task, else None; ``boxes`` then holds their enclosing axis-aligned boxes.
        probs: classification: :class:`~yolov12.inference.probs.Probs` over the classes (None otherwise).
    """

    def __init__(
        self,
        orig_img: np.ndarray,
        path: str,
        names: Mapping[int, str] | Sequence[str] | None,
        boxes: Array | None = None,
        speed: dict[str, float] | None = None,
        frame: int = 0,
        keypoints: Array | None = None,
        masks: Array | None = None,
        obb: Any = None,
        probs: Array | None = None,
    ) -> None:
        self.orig_img = orig_img
        self.orig_shape: tuple[int, int] = (int(orig_img.shape[0]), int(orig_img.shape[1]))
        self.path = str(path)
        self.names = normalize_names(names)
        self.obb = obb
        if boxes is None:
            boxes = obb.boxes_data() if obb is not None else torch.zeros((0, 6))
        self.boxes = Boxes(boxes, self.orig_shape)
        self.speed = dict(speed or {"preprocess": None, "inference": None, "postprocess": None})
        self.frame = int(frame)
        self.keypoints = None if keypoints is None else Keypoints(keypoints, self.orig_shape)
        if self.keypoints is not None and len(self.keypoints) != len(self.boxes):
            raise ValueError(f"{len(self.keypoints)} keypoint sets for {len(self.boxes)} boxes")
        self.masks = None if masks is None else Masks(masks, self.orig_shape)
        self.probs = Probs(probs) if probs is not None else None

    def __len__(self) -> int:
        return len(self.boxes)

    def __repr__(self) -> str:
        return f"Results(path={self.path!r}, orig_shape={self.orig_shape}, {self.verbose()})"

    def _new(self, boxes: Boxes, keypoints: Keypoints | None = None, masks: Masks | None = None,
             obb: Any = None) -> Results:
        return Results(self.orig_img, self.path, self.names, boxes.data, self.speed, self.frame,
                       keypoints=None if keypoints is None else keypoints.data,
                       masks=None if masks is None else masks.data, obb=obb,
                       probs=self.probs.data if self.probs is not None else None)

    def cpu(self) -> Results:
        r = self._new(self.boxes.cpu(), self.keypoints and self.keypoints.cpu(), self.masks and self.masks.cpu(),
                      None if self.obb is None else self.obb.cpu())
        r.probs = self.probs.cpu() if self.probs is not None else None
        return r

    def numpy(self) -> Results:
        r = self._new(self.boxes.numpy(), self.keypoints and self.keypoints.numpy(),
                      self.masks and self.masks.numpy(), None if self.obb is None else self.obb.numpy())
        r.probs = self.probs.numpy() if self.probs is not None else None
        return r

    def _name(self, c: int) -> str:
        return self.names.get(c, str(c))

    def _rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n, 4) float64 xyxy pixels, (n,) conf, (n,) int class, as numpy."""
        data = self.boxes.numpy().data.astype(np.float64)
        return data[:, :4], data[:, 4], data[:, 5].round().astype(int)

    def verbose(self) -> str:
        """Counts per class in class-index order, e.g. ``"2 persons, 1 car"``; ``"(no detections)"`` if none."""
        if self.probs is not None:
            return probs_verbose(self.probs, self.names)
        if len(self) == 0:
            return "(no detections)"
        counts = Counter(self._rows()[2].tolist())
        return ", ".join(f"{n} {self._name(c)}{'s' * (n > 1)}" for c, n in sorted(counts.items()))

    def summary(self, normalize: bool = False, decimals: int = 5) -> list[dict]:
        """One dict per detection: ``{name, class, confidence, box: {x1, y1, x2, y2}}``.

        Boxes are in original-image pixels, or normalised to [0, 1] when ``normalize``.
        """
        if self.probs is not None:  # classification: the top five classes
            return probs_summary(self.probs, self.names, decimals)
        xyxy, conf, cls = self._rows()
        if normalize:
            h, w = self.orig_shape
            xyxy = xyxy / np.array([w, h, w, h], dtype=np.float64)
        out = []
        polys = None if self.masks is None else (self.masks.xyn if normalize else self.masks.xy)
        for box, cf, c in zip(xyxy, conf, cls, strict=True):
            x1, y1, x2, y2 = (round(float(v), decimals) for v in box)
            out.append(
                {
                    "name": self._name(int(c)),
                    "class": int(c),
                    "confidence": round(float(cf), decimals),
                    "box": {"x1": x1, "y1": y1, "x2": x2, "y2": y2},
                }
            )
            if polys is not None:
                p = polys[len(out) - 1]
                out[-1]["segments"] = {"x": [round(float(v), decimals) for v in p[:, 0]],
                                       "y": [round(float(v), decimals) for v in p[:, 1]]}
        if self.keypoints is not None:
            for rec, kp in zip(out, keypoint_records(self.keypoints, normalize, decimals), strict=True):
                rec["keypoints"] = kp
        if self.obb is not None:
            self.obb.annotate(out, normalize, decimals)
        return out

    def to_json(self, normalize: bool = False, decimals: int = 5) -> str:
        """:meth:`summary` as a JSON string (a list of objects)."""
        return json.dumps(self.summary(normalize=normalize, decimals=decimals), indent=2)

    def plot(self, line_width: int | None = None, labels: bool = True, conf: bool = True) -> np.ndarray:
        """Annotated copy of ``orig_img`` (H, W, 3) uint8 BGR: one box per detection coloured by class,
        labelled ``"<name> <conf>"`` (only the name when ``conf`` is False; no text when ``labels`` is False).
        """
        img = np.ascontiguousarray(self.orig_img.copy())
        if self.probs is not None:
            return draw_probs(img, self.probs, self.names, conf) if labels else img
        xyxy, cf, cls = self._rows()
        if self.masks is not None:
            overlay_masks(img, self.masks.numpy().data, [class_color(c) for c in cls])
        text = None
        if labels:
            text = [f"{self._name(c)} {p:.2f}" if conf else self._name(c) for c, p in zip(cls, cf, strict=True)]
        if self.obb is not None:
            return self.obb.plot(img, text, [class_color(c) for c in cls], line_width)
        img = draw_boxes(img, xyxy, text, [class_color(c) for c in cls], line_width)
        if self.keypoints is not None:
            draw_keypoints(img, np.asarray(self.keypoints.numpy().data), cls)
        return img

    def save(self, filename: str | Path, line_width: int | None = None) -> Path:
        """Write :meth:`plot` to ``filename`` (format from its extension); returns the path."""
        filename = Path(filename)
        ok, buf = cv2.imencode(filename.suffix or ".jpg", self.plot(line_width=line_width))
        if not ok:
            raise ValueError(f"cannot encode an image as {filename.suffix!r} for {filename}")
        return atomic_write_bytes(filename, buf.tobytes())

    def save_txt(self, path: str | Path, save_conf: bool = False) -> Path:
        """Write YOLO labels, one line per box: ``class cx cy w h [conf]`` (cx..h normalised to [0, 1]); pose
        results add the keypoints before the confidence (``x y v`` normalised, the pose label format).

        The file is written (empty when there are no detections) and replaced if it exists; returns the path.
        Oriented boxes: ``class x1 y1 x2 y2 x3 y3 x4 y4 [conf]``, their corners (the OBB label format).
        """
        if self.probs is not None:  # classification: ``<conf> <name>`` per top-five class
            return atomic_write_text(path, probs_txt(self.probs, self.names))
        if self.obb is not None:
            return atomic_write_text(path, self.obb.label_text(save_conf))
        xywhn = self.boxes.numpy().xywhn.astype(np.float64)
        _, cf, cls = self._rows()
        if self.masks is not None:  # segment label format: class and the normalised polygon
            lines = polygon_lines(cls, self.masks.xyn, cf if save_conf else None)
            return atomic_write_text(path, "".join(line + "\n" for line in lines))
        lines = []
        kpt = keypoint_fields(self.keypoints) if self.keypoints is not None else [[] for _ in cls]
        for c, box, p, kf in zip(cls, xywhn, cf, kpt, strict=True):
            fields = [str(int(c))] + [f"{v:.6f}" for v in box] + kf + ([f"{p:.6f}"] if save_conf else [])
            lines.append(" ".join(fields))
        return atomic_write_text(path, "".join(line + "\n" for line in lines))

    def save_crop(self, save_dir: str | Path, file_name: str | None = None) -> list[Path]:
        """Save each detection's pixels as ``save_dir/<class name>/<file_name>.jpg`` (``_2``, ``_3``... when
        the name is taken). Boxes are rounded outwards and clipped; empty crops are skipped. Returns the paths.
        """
        save_dir = Path(save_dir)
        stem = Path(file_name).stem if file_name else Path(self.path).stem or "im"
        h, w = self.orig_shape
        xyxy, _, cls = self._rows()
        paths = []
        for box, c in zip(xyxy, cls, strict=True):
            x1, y1 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
            x2, y2 = min(int(np.ceil(box[2])), w), min(int(np.ceil(box[3])), h)
            if x2 <= x1 or y2 <= y1:
                continue
            out = save_dir / self._name(c).replace("/", "_").replace("\\", "_") / f"{stem}.jpg"
            n = 2
            while out.exists():
                out = out.with_name(f"{stem}_{n}.jpg")
                n += 1
            ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(self.orig_img[y1:y2, x1:x2]))
            if ok:
                paths.append(atomic_write_bytes(out, buf.tobytes()))
        return paths
