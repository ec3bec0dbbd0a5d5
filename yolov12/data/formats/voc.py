"""Pascal VOC XML annotations -> samples."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from yolov12.data.images import IMG_FORMATS, ImageReadError, imread
from yolov12.data.sample import Sample, ScanStats


def _find_image(images_dir: Path, filename: str | None, stem: str) -> Path | None:
    if filename:
        p = images_dir / filename
        if p.is_file():
            return p
        stem = Path(filename).stem
    for ext in sorted(IMG_FORMATS):
        for e in (ext, ext.upper()):
            p = images_dir / f"{stem}{e}"
            if p.is_file():
                return p
    return None


def read_voc(
    xml_files: str | Path | list[Path],
    images_dir: str | Path,
    names: list[str] | None = None,
    skip_difficult: bool = False,
    stats: ScanStats | None = None,
) -> tuple[list[Sample], list[str]]:
    """Read VOC XML files (a folder of ``*.xml`` or a list) -> (samples, class names).

    ``names`` fixes the class order; otherwise it is the sorted set of object names found. Boxes are pixel
    ``xmin, ymin, xmax, ymax`` (clipped, normalised to cxcywh). The image is looked up in ``images_dir`` by the
    XML's ``filename`` (or the XML's stem with any image extension); its size comes from ``<size>`` or, when
    absent, from decoding it. Problems are logged and counted in ``stats``.
    """
    images_dir = Path(images_dir)
    stats = stats if stats is not None else ScanStats()
    if isinstance(xml_files, (str, Path)) and Path(xml_files).is_dir():
        xml_files = sorted(Path(xml_files).glob("*.xml"))
    elif isinstance(xml_files, (str, Path)):
        xml_files = [Path(xml_files)]
    parsed = []
    for xf in map(Path, xml_files):
        try:
            root = ET.parse(xf).getroot()
        except (ET.ParseError, OSError) as e:
            msg = f"{xf}: unreadable XML ({e}) (skipped)"
            stats.reject(msg)
            continue
        objs = []
        for o in root.iter("object"):
            name = (o.findtext("name") or "").strip()
            bb = o.find("bndbox")
            if not name or bb is None:
                stats.dropped_lines += 1
                continue
            if skip_difficult and (o.findtext("difficult") or "0").strip() == "1":
                continue
            try:
                box = [float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
            except (TypeError, ValueError):
                stats.dropped_lines += 1
                continue
            objs.append((name, box))
        parsed.append((xf, root.findtext("filename"), root.find("size"), objs))
    if names is None:
        names = sorted({n for *_, objs in parsed for n, _ in objs})
    index = {n: i for i, n in enumerate(names)}
    samples = []
    for xf, filename, size, objs in parsed:
        img_path = _find_image(images_dir, filename, xf.stem)
        if img_path is None:
            msg = f"{xf}: image {filename or xf.stem} not found in {images_dir} (skipped)"
            stats.reject(msg)
            continue
        try:
            w, h = int(float(size.findtext("width"))), int(float(size.findtext("height")))
            assert w > 0 and h > 0
        except (AttributeError, TypeError, ValueError, AssertionError):
            try:
                h, w = imread(img_path).shape[:2]
            except ImageReadError as e:
                stats.reject(str(e))
                continue
        cls, boxes = [], []
        for name, (x1, y1, x2, y2) in objs:
            if name not in index:
                stats.dropped_lines += 1
                continue
            x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
            if x2 <= x1 or y2 <= y1:
                stats.dropped_lines += 1
                continue
            cls.append(index[name])
            boxes.append([(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h])
        stats.found += bool(cls)
        stats.empty += not cls
        samples.append(Sample(str(img_path), (h, w), np.array(cls, np.int64), np.array(boxes, np.float32)))
    return samples, list(names)
