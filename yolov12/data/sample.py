"""The one sample type every reader produces, and the counters a scan reports."""

from __future__ import annotations

from yolov12.utils import LOGGER

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sample:
    """One annotated image, independent of the file format it came from.

    Attributes:
        im_file: path of the image file.
        shape: original image size (height, width) in pixels, after EXIF orientation.
        cls: (n,) int64 class ids in [0, nc).
        boxes: (n, 4) float32 boxes, normalised (cx, cy, w, h) in [0, 1] relative to ``shape``.
        segments: optional list of n polygons, each (k, 2) float32 normalised (x, y); None when the
            labels carry boxes only.
        keypoints: optional (n, K, 3) float32 keypoints, normalised x, y and visibility (0 unlabelled, 1
            occluded, 2 visible); pose datasets only.
    """

    im_file: str
    shape: tuple[int, int]
    cls: np.ndarray
    boxes: np.ndarray
    segments: list[np.ndarray] | None = None
    keypoints: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.cls = np.asarray(self.cls, dtype=np.int64).reshape(-1)
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        if len(self.cls) != len(self.boxes):
            raise ValueError(f"{self.im_file}: {len(self.cls)} classes but {len(self.boxes)} boxes")
        if self.segments is not None and len(self.segments) != len(self.cls):
            raise ValueError(f"{self.im_file}: {len(self.segments)} segments but {len(self.cls)} boxes")
        if self.keypoints is not None:
            self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
            if self.keypoints.ndim != 3 or self.keypoints.shape[2] != 3 or len(self.keypoints) != len(self.cls):
                raise ValueError(f"{self.im_file}: keypoints of shape {self.keypoints.shape} for {len(self.cls)} "
                                 "objects; expected (n, K, 3)")

    def __len__(self) -> int:
        return len(self.cls)


@dataclass
class ScanStats:
    """What a dataset scan found; every problem is counted here and logged once per file."""

    found: int = 0  # images with a non-empty label file that parsed
    missing: int = 0  # images without a label file (kept as background images)
    empty: int = 0  # images with an empty label file (kept as background images)
    corrupt: int = 0  # images that cannot be decoded or whose labels are unusable (excluded)
    duplicates: int = 0  # duplicate label lines dropped
    dropped_lines: int = 0  # label lines dropped (bad columns, NaN, far outside the image...)
    clipped_lines: int = 0  # label lines clipped to the image (slightly outside)
    orphan_labels: int = 0  # label files with no image
    linked_twice: int = 0  # image files reached a second time through directory symlinks (counted once)
    shared_labels: int = 0  # images whose label file is also another image's (same stem, other extension)
    messages: list[str] = field(default_factory=list)  # one line per problem file

    def reject(self, msg: str) -> None:
        """One unusable file: log the reason once, keep it in ``messages`` and count it as corrupt."""
        LOGGER.warning(msg)
        self.messages.append(msg)
        self.corrupt += 1

    def summary(self) -> str:
        return (
            f"{self.found} found, {self.missing} missing, {self.empty} empty, {self.corrupt} corrupt, "
            f"{self.duplicates} duplicate lines, {self.dropped_lines} dropped lines, "
            f"{self.clipped_lines} clipped lines, {self.orphan_labels} labels without images"
            + (f", {self.linked_twice} images reached twice" if self.linked_twice else "")
            + (f", {self.shared_labels} images sharing a label file" if self.shared_labels else "")
        )
