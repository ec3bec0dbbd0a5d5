"""Scan a YOLO-format split: list images, check every image and label file, cache the result.

The scan decodes every image once (to catch corrupt files and learn the EXIF-corrected size) and parses every
label file. Results are cached in an ``.npz`` beside the labels (or in ``cache_dir``), keyed by a hash of the
paths, sizes and modification times of all files, so a second start on an unchanged dataset only ``stat``s.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from yolov12.data.images import ImageReadError, imread, is_image_file
from yolov12.data.labels import DETECT_LABELS, LabelFormat, img2label_path, parse_label_file
from yolov12.data.sample import Sample, ScanStats
from yolov12.utils import LOGGER, YoloError, atomic_write_bytes

CACHE_VERSION = 2


class LabelError(YoloError, ValueError):
    """Labels that make the dataset unusable as configured (class ids >= nc); names every file and line."""


def list_image_files(sources: list[Path], stats: ScanStats | None = None) -> list[Path]:
    """Expand folders (recursively) and ``.txt`` lists into a sorted, de-duplicated list of image paths.

    Paths in a ``.txt`` list are relative to the list's folder. Unreadable folders and listed files that do not
    exist are logged and counted in ``stats.corrupt`` / ``stats.messages``.
    """
    stats = stats if stats is not None else ScanStats()
    files: list[Path] = []

    def on_error(err: OSError) -> None:
        msg = f"unreadable directory {err.filename}: {err.strerror}"
        LOGGER.warning(msg)
        stats.messages.append(msg)

    walked: set[str] = set()  # real paths of folders walked: each folder is walked once, whatever links lead to it
    for src in sources:
        src = Path(src)
        if src.is_dir():
            top, skipped = os.path.realpath(src), 0
            for dirpath, dirnames, filenames in os.walk(src, onerror=on_error, followlinks=True):
                real = os.path.realpath(dirpath)
                if real in walked:
                    dirnames[:] = []
                    continue
                walked.add(real)
                # a link to a folder inside this source is a loop or a second way in: that folder is walked by its
                # own path (so its labels are found where that path maps); links leading out are followed once
                keep = [d for d in dirnames if not (os.path.islink(os.path.join(dirpath, d))
                                                    and _inside(os.path.realpath(os.path.join(dirpath, d)), top))]
                skipped += len(dirnames) - len(keep)
                dirnames[:] = sorted(keep)
                files += [Path(dirpath) / f for f in sorted(filenames) if is_image_file(f)]
            if skipped:
                msg = f"{src}: {skipped} folder link(s) back into the folder skipped (a loop or a second path)"
                LOGGER.warning(msg)
                stats.messages.append(msg)
        elif src.suffix == ".txt":
            for line in src.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if not line:
                    continue
                p = Path(line)
                p = p if p.is_absolute() else (src.parent / p)
                if not p.is_file():
                    msg = f"{src}: listed image does not exist: {p}"
                    stats.reject(msg)
                    continue
                files.append(p)
        elif src.is_file() and is_image_file(src):
            files.append(src)
        else:
            raise FileNotFoundError(f"image source is neither a folder, a .txt list nor an image: {src}")
    return _unique_files(files, stats)


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _unique_files(files: list[Path], stats: ScanStats) -> list[Path]:
    """Sorted image paths, each real file once (by the path without symlinks when one was listed, else the first
    path reaching it: its labels are where that path maps), names that are not valid UTF-8 rejected by name (they
    cannot be logged, hashed or cached reliably)."""
    by_real: dict[str, Path] = {}
    for f in sorted({os.path.normpath(f): Path(os.path.normpath(f)) for f in files}.values()):
        try:
            str(f).encode("utf-8")
        except UnicodeEncodeError:
            stats.reject(f"{ascii(str(f))}: file name is not valid UTF-8 (image skipped; rename it)")
            continue
        real = os.path.realpath(f)
        if real in by_real:
            stats.linked_twice += 1
            if os.path.abspath(f) == real:  # the direct path wins over a link listed before it
                by_real[real] = f
            continue
        by_real[real] = f
    if stats.linked_twice:
        msg = f"{stats.linked_twice} image path(s) lead to files already listed (symlinks); each image counted once"
        LOGGER.warning(msg)
        stats.messages.append(msg)
    return sorted(by_real.values())


def _stat_key(p: Path) -> tuple[int, int]:
    try:
        st = p.stat()
        return st.st_size, st.st_mtime_ns
    except OSError:
        return -1, -1


def files_hash(im_files: list[Path], label_files: list[Path], nc: int, fmt: LabelFormat = DETECT_LABELS) -> str:
    """Hash of all paths, sizes and mtimes (and nc, label format): changes whenever any image or label changes."""
    h = hashlib.sha256(f"v{CACHE_VERSION} nc={nc} fmt={fmt.kind}:{fmt.kpt_shape}".encode())
    for im, lb in zip(im_files, label_files):
        h.update(f"{im}|{_stat_key(im)}|{lb}|{_stat_key(lb)}\n".encode())
    return h.hexdigest()


@dataclass
class _FileResult:
    sample: Sample | None
    status: str  # found / missing / empty / corrupt
    problems: list[str]
    class_errors: list[str]
    duplicates: int = 0
    dropped: int = 0
    clipped: int = 0


def _scan_one(im_file: Path, label_file: Path, nc: int, fmt: LabelFormat) -> _FileResult:
    try:
        shape = imread(im_file).shape[:2]
    except ImageReadError as e:
        return _FileResult(None, "corrupt", [f"{e} (image excluded)"], [])
    kpt0 = None if fmt.kpt_shape is None else np.zeros((0, fmt.kpt_shape[0], 3), np.float32)
    empty = np.zeros(0, np.int64), np.zeros((0, 4), np.float32), None, kpt0
    if label_file.exists() and not label_file.is_file():
        return _FileResult(None, "corrupt", [f"{label_file}: label path is not a file (image excluded)"], [])
    if not label_file.is_file():
        return _FileResult(Sample(str(im_file), shape, *empty), "missing", [], [])
    try:
        parsed = parse_label_file(label_file, nc, fmt)
    except OSError as e:
        return _FileResult(None, "corrupt", [f"{label_file}: unreadable label file ({e}) (image excluded)"], [])
    sample: Sample | None = Sample(str(im_file), shape, parsed.cls, parsed.boxes, parsed.segments,
                                     parsed.keypoints)
    if len(parsed.cls):
        status = "found"
    elif parsed.dropped:  # every line was bad: the image has objects we cannot label -> exclude it
        status, sample = "corrupt", None
        parsed.problems.append(f"{label_file}: no usable label line (image excluded)")
    else:
        status = "empty"
    return _FileResult(
        sample, status, parsed.problems, parsed.class_errors, parsed.duplicates, parsed.dropped, parsed.clipped
    )


def _orphan_labels(im_files: list[Path], label_files: list[Path]) -> list[Path]:
    wanted = {os.path.normpath(p) for p in label_files}
    dirs = {p.parent for p in label_files if p.parent.is_dir() and p.parent.name != p.parent.parent.name}
    orphans = []
    for d in sorted(dirs):
        if "labels" not in d.parts:  # labels beside images: any .txt could be anything
            continue
        for f in sorted(d.glob("*.txt")):
            if os.path.normpath(f) not in wanted and f.name != "classes.txt":
                orphans.append(f)
    return orphans


# --- cache (npz, no pickle) --------------------------------------------------------------------------------


def _save_cache(path: Path, key: str, samples: list[Sample], stats: ScanStats) -> None:
    counts = np.array([len(s) for s in samples], np.int64)
    seg_flags = np.array([s.segments is not None for s in samples], bool)
    seg_lens = [len(p) for s in samples if s.segments is not None for p in s.segments]
    seg_pts = [p for s in samples if s.segments is not None for p in s.segments]
    meta = {
        "version": CACHE_VERSION,
        "hash": key,
        "im_files": [s.im_file for s in samples],
        "stats": asdict(stats),
    }
    buf = io.BytesIO()
    kpts = [s.keypoints for s in samples if s.keypoints is not None]
    extra = {"kpts": np.concatenate(kpts).astype(np.float32)} if kpts and len(kpts) == len(samples) else {}
    np.savez_compressed(
        buf,
        **extra,
        meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
        shapes=np.array([s.shape for s in samples], np.int64).reshape(-1, 2),
        counts=counts,
        cls=np.concatenate([s.cls for s in samples]) if samples else np.zeros(0, np.int64),
        boxes=np.concatenate([s.boxes for s in samples]) if samples else np.zeros((0, 4), np.float32),
        seg_flags=seg_flags,
        seg_lens=np.array(seg_lens, np.int64),
        seg_pts=np.concatenate(seg_pts).astype(np.float32) if seg_pts else np.zeros((0, 2), np.float32),
    )
    try:
        atomic_write_bytes(path, buf.getvalue())
        LOGGER.info(f"label cache saved: {path}")
    except OSError as e:
        LOGGER.warning(f"label cache not saved, folder not writable: {path} ({e})")


def _load_cache(path: Path, key: str) -> tuple[list[Sample], ScanStats] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            if meta.get("version") != CACHE_VERSION or meta.get("hash") != key:
                return None
            shapes, counts, cls, boxes = z["shapes"], z["counts"], z["cls"], z["boxes"]
            seg_flags, seg_lens, seg_pts = z["seg_flags"], z["seg_lens"], z["seg_pts"]
            kpts = z["kpts"] if "kpts" in z.files else None
    except Exception as e:  # a torn or foreign file is simply rebuilt
        LOGGER.debug(f"ignoring label cache {path}: {e}")
        return None
    samples = []
    starts = np.concatenate([[0], np.cumsum(counts)])
    seg_starts = np.concatenate([[0], np.cumsum(seg_lens)])
    si = 0
    for i, im_file in enumerate(meta["im_files"]):
        a, b = starts[i], starts[i + 1]
        segs = None
        if seg_flags[i]:
            segs = [seg_pts[seg_starts[j] : seg_starts[j + 1]] for j in range(si, si + (b - a))]
            si += b - a
        samples.append(Sample(im_file, (int(shapes[i][0]), int(shapes[i][1])), cls[a:b], boxes[a:b], segs,
                              None if kpts is None else kpts[a:b]))
    return samples, ScanStats(**meta["stats"])


def default_cache_path(sources: list[Path], cache_dir: Path | None, key: str) -> Path:
    """Where the label cache of a split goes: in ``cache_dir`` when given, else beside the split's first source
    as the dataset names it (``images/train`` -> ``labels/train.cache.npz`` when that labels folder exists, else
    ``images/train.cache.npz``; ``train.txt`` -> ``train.cache.npz``), never where an entry of a list points."""
    if cache_dir is not None:
        return Path(cache_dir) / f"labels-{key[:16]}.cache.npz"
    src = Path(sources[0])
    if src.is_dir():
        labels = img2label_path(src / "x").parent
        base = labels if labels != src and labels.is_dir() else src
    else:
        base = src.with_suffix("")
    return base.with_name(base.name + ".cache.npz")


def _label_layout_problems(im_files: list[Path], label_files: list[Path], stats: ScanStats, prefix: str) -> None:
    """Say once per folder when a labels folder does not exist, and name every label file that several images
    (same stem, other extension) share."""
    missing_dirs: dict[Path, int] = {}
    for lb in label_files:
        if not lb.parent.is_dir():
            missing_dirs[lb.parent] = missing_dirs.get(lb.parent, 0) + 1
    for d, n in missing_dirs.items():
        msg = f"labels folder {d} does not exist: its {n} image(s) have no labels and train as background"
        LOGGER.warning(f"{prefix}{msg}")
        stats.messages.append(msg)
    users: dict[Path, list[Path]] = {}
    for im, lb in zip(im_files, label_files):
        users.setdefault(lb, []).append(im)
    for lb, ims in users.items():
        if len(ims) > 1:
            stats.shared_labels += len(ims)
            msg = (f"{lb} is the label file of {len(ims)} images ({', '.join(p.name for p in ims)}): each gets "
                   "all its objects; give the images distinct names")
            LOGGER.warning(f"{prefix}{msg}")
            stats.messages.append(msg)


def scan_split(
    sources: list[Path],
    nc: int,
    cache: bool = True,
    cache_dir: Path | None = None,
    workers: int = 4,
    prefix: str = "",
    label_format: LabelFormat = DETECT_LABELS,
) -> tuple[list[Sample], ScanStats]:
    """Scan image sources of one split -> (usable samples, stats).

    Label lines are read in ``label_format`` (the task's). Background images (no or empty label file) are kept
    with zero objects; corrupt images are excluded. Raises
    :class:`LabelError` listing every ``file:line`` whose class id is >= ``nc``, and FileNotFoundError when no
    image is found at all.
    """
    stats = ScanStats()
    im_files = list_image_files(sources, stats)
    if not im_files:
        raise FileNotFoundError(f"{prefix}no images found in {', '.join(map(str, sources))}")
    label_files = [img2label_path(p) for p in im_files]
    _label_layout_problems(im_files, label_files, stats, prefix)
    key = files_hash(im_files, label_files, nc, label_format)
    cache_path = default_cache_path(sources, cache_dir, key)
    if cache and cache_path.is_file():
        loaded = _load_cache(cache_path, key)
        if loaded is not None:
            samples, stats = loaded
            LOGGER.info(f"{prefix}labels from cache {cache_path}: {stats.summary()}")
            return samples, stats

    with ThreadPoolExecutor(max(1, workers)) as pool:
        results = list(pool.map(lambda a: _scan_one(a[0], a[1], nc, label_format), zip(im_files, label_files)))

    samples: list[Sample] = []
    class_errors: list[str] = []
    for res in results:
        setattr(stats, res.status, getattr(stats, res.status) + 1)
        stats.duplicates += res.duplicates
        stats.dropped_lines += res.dropped
        stats.clipped_lines += res.clipped
        class_errors += res.class_errors
        if res.problems:
            msg = "; ".join(res.problems)
            LOGGER.warning(f"{prefix}{msg}")
            stats.messages.append(msg)
        if res.sample is not None:
            samples.append(res.sample)
    for orphan in _orphan_labels(im_files, label_files):
        stats.orphan_labels += 1
        msg = f"{orphan}: label file without an image (ignored)"
        LOGGER.warning(f"{prefix}{msg}")
        stats.messages.append(msg)
    if class_errors:
        shown = "\n  ".join(class_errors[:20])
        more = f"\n  ... and {len(class_errors) - 20} more" if len(class_errors) > 20 else ""
        raise LabelError(f"{prefix}{len(class_errors)} label line(s) with class id >= nc={nc}:\n  {shown}{more}")
    LOGGER.info(f"{prefix}scanned {len(im_files)} images: {stats.summary()}")
    if not samples:
        raise FileNotFoundError(f"{prefix}no usable images in {', '.join(map(str, sources))}: {stats.summary()}")
    if cache:
        _save_cache(cache_path, key, samples, stats)
    return samples, stats
