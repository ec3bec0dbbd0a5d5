"""COCO instance segmentation json (``instances_*.json``) -> YOLO segment samples (one polygon per object).

A YOLO segment line carries exactly one polygon (``class x1 y1 x2 y2 ...``), so an object is written as one
polygon whatever its COCO form:

- a polygon list of one part: that polygon;
- a polygon list of several parts that do not overlap: all parts joined by zero-width bridges (there and back
  along the shortest link between a vertex of the polygon so far and a vertex of the next part, largest part
  first), the way :func:`yolov12.data.compose_segment.mask_to_bridged_polygon` writes the digits' ink. An
  even-odd fill of the joined polygon (cv2.fillPoly, COCO's rasteriser) gives back every part;
- a polygon list whose parts overlap: COCO's mask is the union of the parts, which an even-odd fill of bridged
  parts would not give (the overlap would become a hole); the union is rasterised and traced like an RLE;
- an RLE (``counts`` as an uncompressed list or a compressed string; decoded by :func:`yolov12.ops.masks.rle_decode`):
  every outer and hole contour of the mask (cv2.findContours), bridged into one polygon.

Crowd annotations (``iscrowd=1``) are skipped and counted; category ids (any order, gaps, not starting at 1) map
to 0..nc-1 in id order; images without annotations are kept as background (empty label file); annotations of
unknown images or categories, without a usable mask, or with an RLE of another size than their image are
counted and skipped. Everything skipped is in the :class:`CocoSegmentReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yolov12.data.compose_segment import mask_to_bridged_polygon
from yolov12.data.formats.coco import load_coco_json
from yolov12.data.sample import Sample, ScanStats
from yolov12.ops.masks import polygon_to_mask, rle_decode
from yolov12.utils import LOGGER


@dataclass
class CocoSegmentReport:
    """What a conversion kept and skipped (counts of annotations unless said otherwise)."""

    images: int = 0  # images written (with or without objects)
    background: int = 0  # images written with an empty label file
    missing_images: int = 0  # images listed in the json but not on disk (skipped)
    instances: int = 0  # objects written
    multi_part: int = 0  # objects of several polygon parts, bridged into one polygon
    overlapping_parts: int = 0  # of those, objects whose parts overlap (written as the traced union)
    from_rle: int = 0  # objects converted from an RLE mask
    crowd: int = 0  # iscrowd=1 annotations skipped
    unknown_image: int = 0  # annotations whose image_id is not in 'images'
    unknown_category: int = 0  # annotations whose category_id is not in 'categories'
    no_mask: int = 0  # annotations without a segmentation, with fewer than 3 points or an empty mask
    bad_rle_size: int = 0  # RLE whose 'size' differs from its image's height and width
    messages: list[str] = field(default_factory=list)

    def skipped(self) -> int:
        return self.crowd + self.unknown_image + self.unknown_category + self.no_mask + self.bad_rle_size

    def summary(self) -> str:
        return (f"{self.images} images ({self.background} background, {self.missing_images} missing on disk), "
                f"{self.instances} objects ({self.multi_part} multi-part, {self.overlapping_parts} with overlapping "
                f"parts, {self.from_rle} from RLE); skipped: {self.crowd} crowd, {self.unknown_image} unknown image, "
                f"{self.unknown_category} unknown category, {self.no_mask} without a usable mask, "
                f"{self.bad_rle_size} RLE of the wrong size")


def _area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def bridge_polygons(parts: list[np.ndarray]) -> np.ndarray:
    """Join (k_i, 2) polygons into one by zero-width bridges: largest part first, each further part (by area)
    attached at the closest vertex pair to the polygon built so far (out along the bridge, round the part, back)."""
    parts = sorted((np.asarray(p, np.float64).reshape(-1, 2) for p in parts), key=lambda p: -_area(p))
    poly = parts[0]
    for c in parts[1:]:
        d = ((poly[:, None, :] - c[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(int(d.argmin()), d.shape)
        poly = np.concatenate([poly[: i + 1], c[j:], c[: j + 1], poly[i:]])
    return poly


def _mask_polygon(mask: np.ndarray) -> np.ndarray | None:
    poly = mask_to_bridged_polygon(mask > 0).astype(np.float64)
    return poly if len(poly) >= 3 else None


def segmentation_polygon(seg, w: int, h: int, report: CocoSegmentReport, where: str) -> np.ndarray | None:
    """One annotation's ``segmentation`` -> one (k, 2) polygon in pixels (module docstring), or None (counted)."""
    if isinstance(seg, dict):
        size = [int(v) for v in seg.get("size", [])]
        if size != [h, w]:
            report.bad_rle_size += 1
            report.messages.append(f"{where}: RLE size {seg.get('size')} differs from the image's [h, w] = {[h, w]}")
            return None
        poly = _mask_polygon(rle_decode({"size": size, "counts": seg["counts"]}))
        if poly is None:
            report.no_mask += 1
            report.messages.append(f"{where}: empty RLE mask")
            return None
        report.from_rle += 1
        return poly
    parts = [np.asarray(p, np.float64).reshape(-1, 2) for p in seg or [] if len(p) >= 6 and len(p) % 2 == 0]
    parts = [p for p in parts if _area(p) > 0]
    if not parts:
        report.no_mask += 1
        report.messages.append(f"{where}: no segmentation polygon of 3+ points with an area")
        return None
    if len(parts) == 1:
        return parts[0]
    report.multi_part += 1
    masks = [polygon_to_mask(p, (h, w)) for p in parts]
    cover = np.sum(masks, axis=0, dtype=np.int32)
    if (cover > 1).any():  # overlapping parts: COCO's mask is their union
        report.overlapping_parts += 1
        poly = _mask_polygon(cover > 0)
        if poly is None:
            report.no_mask += 1
        return poly
    return bridge_polygons(parts)


def read_coco_segment(json_path: str | Path, images_dir: str | Path, stats: ScanStats | None = None
                      ) -> tuple[list[Sample], list[str], CocoSegmentReport]:
    """Read a COCO instances json -> (samples with one normalised polygon per object, class names, report)."""
    json_path, images_dir = Path(json_path), Path(images_dir)
    stats = stats if stats is not None else ScanStats()
    data = load_coco_json(json_path)
    try:
        samples, names, report = _read(data, json_path, images_dir, stats)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise ValueError(f"{json_path}: malformed COCO record ({type(e).__name__}: {e})") from e
    for m in report.messages[:20]:
        LOGGER.warning(m)
    if len(report.messages) > 20:
        LOGGER.warning(f"... and {len(report.messages) - 20} more skipped annotations")
    LOGGER.info(f"{json_path.name}: {report.summary()}")
    return samples, names, report


def _read(data: dict, json_path: Path, images_dir: Path, stats: ScanStats
          ) -> tuple[list[Sample], list[str], CocoSegmentReport]:
    report = CocoSegmentReport()
    cats = sorted(data["categories"], key=lambda c: c["id"])
    cat_index = {c["id"]: i for i, c in enumerate(cats)}
    names = [str(c["name"]) for c in cats]
    images = sorted(data.get("images", []), key=lambda d: d["id"])
    image_ids = {im["id"] for im in images}
    by_image: dict[int, list[dict]] = {}
    for a in data.get("annotations", []):
        if a["image_id"] not in image_ids:
            report.unknown_image += 1
            report.messages.append(f"{json_path}: annotation {a.get('id')} refers to unknown image {a['image_id']}")
            continue
        by_image.setdefault(a["image_id"], []).append(a)
    samples = []
    for im in images:
        path = images_dir / im["file_name"]
        anns = by_image.get(im["id"], [])
        if not path.is_file():
            stats.reject(f"{json_path}: image {path} does not exist (skipped)")
            report.missing_images += 1
            continue
        w, h = int(im["width"]), int(im["height"])
        cls, boxes, segs = [], [], []
        for a in anns:
            where = f"{json_path}: annotation {a.get('id')} of {im['file_name']}"
            if a.get("iscrowd", 0):
                report.crowd += 1
                continue
            if a["category_id"] not in cat_index:
                report.unknown_category += 1
                report.messages.append(f"{where}: unknown category {a['category_id']}")
                continue
            poly = segmentation_polygon(a.get("segmentation"), w, h, report, where)
            if poly is None:
                continue
            p = np.clip(poly / [w, h], 0.0, 1.0).astype(np.float32)
            lo, hi = p.min(0), p.max(0)
            if len(np.unique(p, axis=0)) < 3 or (hi <= lo).any():
                report.no_mask += 1
                report.messages.append(f"{where}: polygon without area inside the image")
                continue
            cls.append(cat_index[a["category_id"]])
            boxes.append([*(lo + hi) / 2, *(hi - lo)])
            segs.append(p)
        report.instances += len(cls)
        report.images += 1
        report.background += not cls
        stats.found += bool(cls)
        stats.empty += not cls
        samples.append(Sample(str(path), (h, w), np.array(cls, np.int64), np.array(boxes, np.float32), segs))
    stats.dropped_lines += report.skipped()
    return samples, names, report
