"""COCO person-keypoints json (``person_keypoints_*.json``) -> pose samples and a YOLO pose dataset.

Every category must list the same number K of ``keypoints`` names; ``kpt_shape`` is [K, 3]. ``flip_idx`` pairs
names that differ only by ``left``/``right`` (COCO's 17 person keypoints: nose stays, left_eye <-> right_eye...).
Crowd annotations are skipped and counted; keypoints with v = 0 are written as ``0 0 0``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from yolov12.data.formats.coco import load_coco_json
from yolov12.data.sample import Sample, ScanStats


def flip_index(names: list[str]) -> list[int]:
    """Left/right partner of each keypoint name (itself when it has none)."""
    index = {n: i for i, n in enumerate(names)}
    out = []
    for n in names:
        low = n.lower()
        other = low.replace("left", "\0").replace("right", "left").replace("\0", "right")
        match = next((j for m, j in index.items() if m.lower() == other), None)
        out.append(match if match is not None else index[n])
    return out


def read_coco_pose(json_path: str | Path, images_dir: str | Path, stats: ScanStats | None = None
                   ) -> tuple[list[Sample], list[str], list[int], list[int]]:
    """-> (samples with keypoints (n, K, 3) normalised, class names, kpt_shape [K, 3], flip_idx)."""
    json_path, images_dir = Path(json_path), Path(images_dir)
    stats = stats if stats is not None else ScanStats()
    data = load_coco_json(json_path)
    try:
        return _read(data, json_path, images_dir, stats)
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{json_path}: malformed COCO record ({type(e).__name__}: {e})") from e


def _read(data: dict, json_path: Path, images_dir: Path, stats: ScanStats):
    cats = sorted(data["categories"], key=lambda c: c["id"])
    kp_names = [list(c.get("keypoints") or []) for c in cats]
    if not kp_names[0] or any(len(k) != len(kp_names[0]) for k in kp_names):
        raise ValueError(f"{json_path}: every category needs the same non-empty 'keypoints' name list (a COCO "
                         "person-keypoints file); for boxes only use format=coco")
    k = len(kp_names[0])
    cat_index = {c["id"]: i for i, c in enumerate(cats)}
    by_image: dict[int, list[dict]] = {}
    for a in data.get("annotations", []):
        by_image.setdefault(a["image_id"], []).append(a)
    samples = []
    for im in sorted(data.get("images", []), key=lambda d: d["id"]):
        path = images_dir / im["file_name"]
        if not path.is_file():
            stats.reject(f"{json_path}: image {path} does not exist (skipped)")
            continue
        w, h = int(im["width"]), int(im["height"])
        cls, boxes, kpts, skipped = [], [], [], 0
        for a in by_image.get(im["id"], []):
            x, y, bw, bh = (float(v) for v in a["bbox"])
            x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + bw, w), min(y + bh, h)
            kp = np.asarray(a.get("keypoints") or [], np.float64)
            if a.get("iscrowd", 0) or x2 <= x1 or y2 <= y1 or a["category_id"] not in cat_index:
                skipped += 1
                continue
            if kp.size != 3 * k or not np.isin(kp[2::3], (0, 1, 2)).all():
                stats.reject(f"{json_path}: annotation {a.get('id')} has {kp.size} keypoint values (expected {3 * k}, "
                             "visibility 0/1/2); skipped")
                skipped += 1
                continue
            kp = kp.reshape(k, 3)
            kp[:, :2] = np.clip(kp[:, :2] / [w, h], 0, 1)
            kp[kp[:, 2] == 0] = 0.0
            cls.append(cat_index[a["category_id"]])
            boxes.append([(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h])
            kpts.append(kp)
        stats.dropped_lines += skipped
        stats.found += bool(cls)
        stats.empty += not cls
        samples.append(Sample(str(path), (h, w), np.array(cls, np.int64), np.array(boxes, np.float32), None,
                              np.array(kpts, np.float32).reshape(-1, k, 3)))
    return samples, [str(c["name"]) for c in cats], [k, 3], flip_index(kp_names[0])


def pose_lines(s: Sample) -> str:
    out = []
    for c, b, kp in zip(s.cls, s.boxes, s.keypoints, strict=True):
        out.append(" ".join([str(int(c)), *(f"{v:.6f}" for v in b),
                             *(f"{x:.6f} {y:.6f} {int(v)}" for x, y, v in kp)]))
    return "".join(line + "\n" for line in out)
