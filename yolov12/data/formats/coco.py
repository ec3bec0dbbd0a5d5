"""COCO ``instances_*.json`` -> samples. Category ids (arbitrary, sparse) map to 0..nc-1 in id order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from yolov12.data.sample import Sample, ScanStats


def _polygon(segmentation, w: int, h: int) -> np.ndarray | None:
    """Largest polygon of a COCO polygon list -> (k, 2) normalised; None for RLE or degenerate input."""
    if not isinstance(segmentation, list) or not segmentation:
        return None
    polys = [np.asarray(p, np.float64).reshape(-1, 2) for p in segmentation if len(p) >= 6]
    if not polys:
        return None
    best = max(polys, key=lambda p: np.ptp(p[:, 0]) * np.ptp(p[:, 1]))
    return (np.clip(best / [w, h], 0, 1)).astype(np.float32)


def read_coco(
    json_path: str | Path, images_dir: str | Path, stats: ScanStats | None = None, use_segments: bool = True
) -> tuple[list[Sample], list[str]]:
    """Read a COCO detection json -> (samples, class names).

    Boxes are COCO pixel ``[x, y, w, h]`` (top-left corner), clipped to the image and normalised to cxcywh.
    Crowd annotations (``iscrowd=1``) and boxes without area are skipped and counted; images listed in the json
    but missing on disk are logged and skipped. Polygons are kept as segments when every object of an image has
    one (``use_segments``).
    """
    json_path, images_dir = Path(json_path), Path(images_dir)
    stats = stats if stats is not None else ScanStats()
    data = load_coco_json(json_path)
    try:
        return _read(data, json_path, images_dir, stats, use_segments)
    except (KeyError, TypeError, ValueError, AttributeError) as e:  # a record without a field, or a wrong type
        raise ValueError(f"{json_path}: malformed COCO record ({type(e).__name__}: {e})") from e


def load_coco_json(json_path: Path) -> dict:
    """A COCO json file -> its top-level object, with one-line errors for a file that is not one (not json, not an
    object, no categories). Shared by the detection, segment and keypoint readers."""
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{json_path}: not a COCO json file ({e})") from e
    if not isinstance(data, dict):
        raise ValueError(f"{json_path}: expected a COCO json object with 'images', 'annotations' and 'categories', "
                         f"got a {type(data).__name__}")
    if not data.get("categories"):
        raise ValueError(f"{json_path}: no categories")
    return data


def _read(data: dict, json_path: Path, images_dir: Path, stats: ScanStats, use_segments: bool
          ) -> tuple[list[Sample], list[str]]:
    cats = sorted(data["categories"], key=lambda c: c["id"])
    cat_index = {c["id"]: i for i, c in enumerate(cats)}
    names = [str(c["name"]) for c in cats]
    by_image: dict[int, list[dict]] = {}
    for a in data.get("annotations", []):
        by_image.setdefault(a["image_id"], []).append(a)
    samples = []
    for im in sorted(data.get("images", []), key=lambda d: d["id"]):
        path = images_dir / im["file_name"]
        if not path.is_file():
            msg = f"{json_path}: image {path} does not exist (skipped)"
            stats.reject(msg)
            continue
        w, h = int(im["width"]), int(im["height"])
        cls, boxes, segs = [], [], []
        skipped = 0
        for a in by_image.get(im["id"], []):
            if a.get("iscrowd", 0):
                skipped += 1
                continue
            x, y, bw, bh = (float(v) for v in a["bbox"])
            x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + bw, w), min(y + bh, h)
            if x2 <= x1 or y2 <= y1 or a["category_id"] not in cat_index:
                skipped += 1
                continue
            cls.append(cat_index[a["category_id"]])
            boxes.append([(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h])
            segs.append(_polygon(a.get("segmentation"), w, h) if use_segments else None)
        stats.dropped_lines += skipped
        if cls:
            stats.found += 1
        else:
            stats.empty += 1
        segments = segs if segs and all(s is not None for s in segs) else None
        samples.append(Sample(str(path), (h, w), np.array(cls, np.int64), np.array(boxes, np.float32), segments))
    return samples, names
