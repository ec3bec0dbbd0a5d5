"""Prediction sources: turn whatever the user passes into a lazy stream of BGR images.

Accepted sources (and lists, tuples or iterators/generators mixing them):

- an image file, a folder of images/videos (not recursive), a glob pattern (``data/*.jpg``, ``**`` recursive);
- a video file (read frame by frame with ``cv2.VideoCapture``);
- a camera index (``0`` or ``"0"``);
- a numpy array, (H, W, 3) BGR as OpenCV gives it, (H, W) or (H, W, 1) grey, or (H, W, 4) BGRA; uint8;
- a PIL image (RGB/L/RGBA...; converted to BGR), only when PIL is installed.

:func:`iter_source` checks paths eagerly (a missing path, an empty folder, an unknown extension are errors
at call time) and then reads one image / frame at a time, so memory stays bounded whatever the source size.
Files found through a folder or glob that cannot be decoded are skipped with a warning; an explicitly named
file that cannot be read, and any video or camera that cannot be opened, raise ``ValueError``.
"""

from __future__ import annotations

import glob as globlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from yolov12.data import ImageReadError, imread
from yolov12.utils import LOGGER

IMG_FORMATS = frozenset({"jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp"})
VID_FORMATS = frozenset({"mp4", "avi", "mov", "mkv", "m4v", "webm", "mpeg", "mpg", "wmv"})


@dataclass(frozen=True)
class VideoInfo:
    """What the predictor needs to write an annotated copy of a video stream."""

    fps: float  # frames per second reported by the container/camera (30 when it reports none)
    frames: int  # total frame count reported by the container (0 for cameras / unknown)
    width: int  # frame width in pixels
    height: int  # frame height in pixels


@dataclass
class SourceItem:
    """One image (or one video frame) of a source.

    Attributes:
        path: file path, ``"camera<i>"`` for a camera, or ``"image<i>"`` for an in-memory image
            (i = position in the source).
        image: (H, W, 3) uint8 BGR, C-contiguous.
        index: running position of this item in the whole source, from 0.
        frame: frame index within the video (0 for still images).
        video: stream info for video/camera frames, ``None`` for still images.
    """

    path: str
    image: np.ndarray
    index: int
    frame: int = 0
    video: VideoInfo | None = None

    @property
    def is_video(self) -> bool:
        return self.video is not None


@dataclass(frozen=True)
class _Entry:
    """A resolved but not yet read source element."""

    kind: Literal["image", "video", "camera", "array"]
    ref: Any  # Path for image/video, int for camera, the object for array
    strict: bool = True  # raise (True) or warn and skip (False) when unreadable


def _suffix(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def _is_pil(obj: Any) -> bool:
    pil = sys.modules.get("PIL.Image")  # only if the caller already uses PIL; never a dependency
    return pil is not None and isinstance(obj, pil.Image)


def _file_entry(path: Path, strict: bool) -> _Entry | None:
    ext = _suffix(path)
    if ext in IMG_FORMATS:
        return _Entry("image", path, strict)
    if ext in VID_FORMATS:
        return _Entry("video", path, strict)
    if strict:
        raise ValueError(
            f"unsupported file type {path.suffix!r} for {path}; images: {sorted(IMG_FORMATS)}, "
            f"videos: {sorted(VID_FORMATS)}"
        )
    return None


def _dir_entries(files: Iterable[Path], what: str) -> list[_Entry]:
    entries = [e for f in sorted(files) if f.is_file() and (e := _file_entry(f, strict=False)) is not None]
    if not entries:
        raise FileNotFoundError(f"no images or videos found in {what}")
    return entries


def _resolve_one(obj: Any) -> list[_Entry]:
    """Resolve one non-list source element into entries (checks existence, does not read pixels)."""
    if isinstance(obj, np.ndarray) or _is_pil(obj):
        return [_Entry("array", obj)]
    if isinstance(obj, bool):
        raise TypeError(f"unsupported source {obj!r}")
    if isinstance(obj, int | np.integer):
        return [_Entry("camera", int(obj))]
    if isinstance(obj, str) and obj.strip().isdigit():
        return [_Entry("camera", int(obj))]
    if not isinstance(obj, str | Path):
        raise TypeError(
            f"unsupported source type {type(obj).__name__}: expected a path, folder, glob, camera index, "
            "numpy array, PIL image or a list of those"
        )
    s = str(obj)
    if isinstance(obj, str) and "://" in s:
        raise ValueError(f"source {s!r}: URLs and streams are not read (nothing is downloaded); "
                         "save the file locally and pass its path")
    if isinstance(obj, str) and any(ch in s for ch in "*?["):
        matches = [Path(p) for p in globlib.glob(s, recursive=True)]
        if not matches:
            raise FileNotFoundError(f"glob pattern {s!r} matched no files")
        return _dir_entries(matches, f"glob {s!r}")
    path = Path(s).expanduser()
    if path.is_dir():
        return _dir_entries(path.iterdir(), f"folder {path}")
    if path.is_file():
        return [_file_entry(path, strict=True)]
    raise FileNotFoundError(f"source {s!r} does not exist")


def _resolve(source: Any) -> Iterator[_Entry]:
    """Entries of a source. Lists/tuples are resolved eagerly (all errors now); iterators/generators lazily."""
    if isinstance(source, list | tuple):
        entries = [e for obj in source for e in _resolve(obj)]
        if not entries:
            raise ValueError("empty source list")
        return iter(entries)
    if isinstance(source, str | Path | int | np.ndarray) or _is_pil(source):
        return iter(_resolve_one(source))
    if isinstance(source, Iterator):  # e.g. a generator of frames: resolved as it is consumed
        return (e for obj in source for e in _resolve(obj))
    return iter(_resolve_one(source))  # raises a clear TypeError



def to_bgr(obj: Any) -> np.ndarray:
    """A numpy array or PIL image as a C-contiguous (H, W, 3) uint8 BGR array.

    numpy input is taken as OpenCV lays it out: (H, W, 3) BGR, (H, W) / (H, W, 1) grey, (H, W, 4) BGRA.
    PIL input is converted from its mode to RGB and then to BGR.
    """
    if _is_pil(obj):
        obj = np.asarray(obj.convert("RGB"))[..., ::-1]
    img = np.asarray(obj)
    if img.dtype != np.uint8:
        raise ValueError(f"image arrays must be uint8 (0-255), got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGRA2BGR)
    elif not (img.ndim == 3 and img.shape[2] == 3):
        raise ValueError(f"image arrays must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {img.shape}")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"empty image of shape {img.shape}")
    return np.ascontiguousarray(img)


def _open_capture(entry: _Entry) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(entry.ref) if entry.kind == "video" else entry.ref)
    if not cap.isOpened():
        cap.release()
        what = f"video file {entry.ref}" if entry.kind == "video" else f"camera {entry.ref}"
        raise ValueError(f"cannot open {what}")
    return cap


def _iter_video(entry: _Entry, start: int) -> Iterator[SourceItem]:
    try:
        cap = _open_capture(entry)
    except ValueError as e:
        if entry.strict:
            raise
        LOGGER.warning(f"WARNING: skipping {entry.ref}: {e}")
        return
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        fps = float(fps) if fps and np.isfinite(fps) and fps > 0 else 30.0
        frames = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0) if entry.kind == "video" else 0
        name = str(entry.ref) if entry.kind == "video" else f"camera{entry.ref}"
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            frame = to_bgr(frame)
            info = VideoInfo(fps=fps, frames=frames, width=frame.shape[1], height=frame.shape[0])
            yield SourceItem(path=name, image=frame, index=start + i, frame=i, video=info)
            i += 1
        if i == 0:
            msg = f"no frames could be read from {name}"
            if entry.strict:
                raise ValueError(msg)
            LOGGER.warning(f"WARNING: skipping {name}: {msg}")
    finally:
        cap.release()


def iter_source(source: Any) -> Iterator[SourceItem]:
    """Lazily yield :class:`SourceItem` s (one image or frame at a time) from any accepted source.

    Raises (at call time, before anything is read) ``FileNotFoundError`` for a missing path, an empty folder or
    a glob with no matches, ``ValueError`` for an unsupported file type, a URL or an empty list, ``TypeError``
    for an unsupported object. While iterating: ``ValueError`` for an explicitly named unreadable image, an
    unopenable video or camera; unreadable files that came from a folder or glob are skipped with a warning.
    """
    entries = _resolve(source)
    return _iter_entries(entries)


def _iter_entries(entries: Iterator[_Entry]) -> Iterator[SourceItem]:
    index = 0
    for entry in entries:
        if entry.kind == "array":
            yield SourceItem(path=f"image{index}", image=to_bgr(entry.ref), index=index)
            index += 1
        elif entry.kind == "image":
            try:
                img = imread(entry.ref)  # (H, W, 3) uint8 BGR
            except (ImageReadError, cv2.error) as e:
                if entry.strict:
                    raise ValueError(f"cannot read image file {entry.ref}: {e}") from e
                LOGGER.warning(f"WARNING: skipping unreadable image {entry.ref}: {e}")
                continue
            yield SourceItem(path=str(entry.ref), image=to_bgr(img), index=index)
            index += 1
        else:
            for item in _iter_video(entry, index):
                yield item
                index += 1
