"""DOTA annotations -> samples with oriented boxes (and the tiling of large aerial images for training).

A DOTA label file (one per image, same stem) holds optional header lines (``imagesource:...``, ``gsd:...``) and
one object per line: ``x1 y1 x2 y2 x3 y3 x4 y4 category difficult`` in pixels. Objects become OBB samples: the
four corners normalised (clipped to the image), the enclosing box, the class index of ``category``. Bad lines
(column count, non-numeric values, degenerate quadrilaterals) are counted and named; ``skip_difficult`` drops the
objects flagged difficult (they are kept by default, as a YOLO OBB label has no difficult column).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from yolov12.data.formats.voc import _find_image
from yolov12.data.images import ImageReadError, imread
from yolov12.data.obb import quad_problem
from yolov12.data.sample import Sample, ScanStats
from yolov12.ops.rotated import corners_to_xywhr

# DOTA-v1.0 categories in the official order (v1.5 adds 'container-crane', v2.0 also 'airport', 'helipad')
DOTA_V1_NAMES = ["plane", "ship", "storage-tank", "baseball-diamond", "tennis-court", "basketball-court",
                 "ground-track-field", "harbor", "bridge", "large-vehicle", "small-vehicle", "helicopter",
                 "roundabout", "soccer-ball-field", "swimming-pool"]


def parse_dota_text(text: str, name: str = "<dota>") -> tuple[list[tuple[np.ndarray, str, bool]], list[str]]:
    """-> ([(corners (4, 2) pixels, category, difficult)], problems)."""
    objs, problems = [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        t = line.split()
        if not t or ":" in t[0]:  # blank or a header line (imagesource:..., gsd:...)
            continue
        where = f"{name}:{lineno}"
        if len(t) not in (9, 10):
            problems.append(f"{where}: {len(t)} columns; DOTA lines are x1 y1 ... x4 y4 category [difficult]")
            continue
        try:
            pts = np.array([float(v) for v in t[:8]], np.float64).reshape(4, 2)
            difficult = len(t) == 10 and int(t[9]) != 0
        except ValueError:
            problems.append(f"{where}: non-numeric coordinate or difficult flag")
            continue
        if not np.isfinite(pts).all():
            problems.append(f"{where}: NaN or infinite coordinate")
            continue
        if (why := quad_problem(pts)) is not None:
            problems.append(f"{where}: {why}")
            continue
        objs.append((pts, t[8], difficult))
    return objs, problems


def read_dota(
    label_dir: str | Path, images_dir: str | Path, names: list[str] | None = None, skip_difficult: bool = False,
    stats: ScanStats | None = None,
) -> tuple[list[Sample], list[str]]:
    """A folder of DOTA ``*.txt`` label files + the image folder -> (OBB samples, class names). ``names`` fixes the
    class order (default: the DOTA-v1.0 order when every category is one of them, else sorted names found);
    objects of other categories are counted and skipped."""
    label_dir, images_dir = Path(label_dir), Path(images_dir)
    stats = stats if stats is not None else ScanStats()
    files = sorted(label_dir.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no DOTA *.txt label files in {label_dir}")
    parsed = []
    for f in files:
        objs, problems = parse_dota_text(f.read_text(encoding="utf-8-sig", errors="replace"), str(f))
        for p in problems:
            stats.reject(p)
        parsed.append((f, objs))
    found = sorted({o[1] for _, objs in parsed for o in objs})
    if names is None:
        names = DOTA_V1_NAMES if set(found) <= set(DOTA_V1_NAMES) else found
    index = {n: i for i, n in enumerate(names)}
    samples = []
    for f, objs in parsed:
        im = _find_image(images_dir, None, f.stem)
        if im is None:
            stats.reject(f"{f}: no image {f.stem}.* in {images_dir} (skipped)")
            continue
        try:
            h, w = imread(im).shape[:2]
        except ImageReadError as e:
            stats.reject(f"{e} (skipped)")
            continue
        cls, quads = [], []
        for pts, cat, difficult in objs:
            if cat not in index:
                stats.reject(f"{f}: category {cat!r} is not in names (object skipped)")
                continue
            if difficult and skip_difficult:
                continue
            q = np.clip(pts / [w, h], 0.0, 1.0)
            if quad_problem(q) is not None:  # entirely outside the image
                stats.reject(f"{f}: an object of {cat!r} lies outside the {w}x{h} image (skipped)")
                continue
            cls.append(index[cat])
            quads.append(q.astype(np.float32))
        boxes = np.array([[*(q.min(0) + q.max(0)) / 2, *(q.max(0) - q.min(0))] for q in quads], np.float32)
        samples.append(Sample(str(im), (h, w), np.array(cls, np.int64), boxes.reshape(-1, 4),
                              quads if quads else None))
    return samples, list(names)


def tile_windows(h: int, w: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) windows of at most tile x tile covering an h x w image, neighbours overlapping by
    ``overlap`` px; the last row / column is aligned with the image's far edge (no thin slivers)."""
    if not 0 <= overlap < tile:
        raise ValueError(f"tiling needs 0 <= overlap < tile, got tile={tile}, overlap={overlap}")
    step = tile - overlap

    def starts(n: int) -> list[int]:
        if n <= tile:
            return [0]
        s = list(range(0, n - tile, step)) + [n - tile]
        return sorted(set(s))

    return [(x, y, min(x + tile, w), min(y + tile, h)) for y in starts(h) for x in starts(w)]


def tile_obb_sample(img: np.ndarray, sample: Sample, tile: int, overlap: int, min_visible: float = 0.7
                    ) -> Iterator[tuple[tuple[int, int, int, int], np.ndarray, np.ndarray, np.ndarray]]:
    """Cut a large OBB sample into tiles. Yields (window, crop, classes (n,), corners (n, 4, 2) normalised to the
    crop). An object is kept in a tile when at least ``min_visible`` of its area lies inside; a cut object becomes
    the minimum-area rectangle of its visible part (the exact polygon intersection with the tile)."""
    h, w = img.shape[:2]
    quads = [q * [w, h] for q in (sample.segments or [])]
    for x0, y0, x1, y1 in tile_windows(h, w, tile, overlap):
        rect = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
        cls, out = [], []
        for c, q in zip(sample.cls, quads):
            area = cv2.contourArea(cv2.convexHull(q.astype(np.float32)))
            inter, poly = cv2.intersectConvexConvex(cv2.convexHull(q.astype(np.float32)), rect)
            if area <= 0 or inter < min_visible * area or poly is None:
                continue
            if inter >= area * (1 - 1e-6):
                part = q
            else:  # the visible part's minimum-area rectangle
                part = cv2.boxPoints(cv2.minAreaRect(poly.reshape(-1, 2).astype(np.float32)))
            cls.append(int(c))
            out.append(np.clip((part - [x0, y0]) / [x1 - x0, y1 - y0], 0.0, 1.0))
        yield (x0, y0, x1, y1), img[y0:y1, x0:x1], np.array(cls, np.int64), np.array(out, np.float32).reshape(-1, 4, 2)


def split_obb_dataset(samples: list[Sample], out_dir: str | Path, names: list[str], split: str = "train",
                      tile: int = 1024, overlap: int = 200, min_visible: float = 0.7) -> Path:
    """Tile large OBB images for training: ``out_dir/images/<split>/<stem>__<x0>_<y0>.png`` + OBB labels (the
    tile's objects, see :func:`tile_obb_sample`). Returns the data.yaml path."""
    import yaml

    from yolov12.utils import atomic_write_text

    out_dir = Path(out_dir)
    idir, ldir = out_dir / "images" / split, out_dir / "labels" / split
    idir.mkdir(parents=True, exist_ok=True)
    ldir.mkdir(parents=True, exist_ok=True)
    n = 0
    for s in samples:
        img = imread(s.im_file)
        for (x0, y0, _, _), crop, cls, quads in tile_obb_sample(img, s, tile, overlap, min_visible):
            stem = f"{Path(s.im_file).stem}__{x0}_{y0}"
            cv2.imwrite(str(idir / f"{stem}.png"), crop)
            lines = [" ".join([str(int(c))] + [f"{v:.6f}" for v in q.reshape(-1)]) for c, q in zip(cls, quads)]
            atomic_write_text(ldir / f"{stem}.txt", "".join(line + "\n" for line in lines))
            n += 1
    yaml_path = out_dir / "data.yaml"
    cfg = yaml.safe_load(yaml_path.read_text()) if yaml_path.is_file() else {}
    cfg.update({"path": ".", split: f"images/{split}", "names": list(names)})
    atomic_write_text(yaml_path, yaml.safe_dump(cfg, sort_keys=False))
    return yaml_path


def rboxes_of(sample: Sample) -> np.ndarray:
    """(n, 5) xywhr pixels of a sample's oriented boxes (minimum-area rectangles of its corners)."""
    h, w = sample.shape
    if not sample.segments:
        return np.zeros((0, 5), np.float32)
    return corners_to_xywhr(np.stack(sample.segments) * [w, h])
