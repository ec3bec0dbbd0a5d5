"""Converters to YOLO format (images/ + labels/ + data.yaml), the API behind ``yolov12 data convert``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

from yolov12.data.formats import read_coco, read_voc
from yolov12.data.formats.coco_pose import pose_lines, read_coco_pose
from yolov12.data.labels import format_label_lines
from yolov12.data.sample import Sample
from yolov12.utils import LOGGER, atomic_write_text


def write_split_files(samples: list[Sample], out_dir: Path, split: str, link: bool,
                      label_text: Callable[[Sample], str]) -> tuple[Path, Path]:
    """Copy (or hard-link/symlink with ``link``) each sample's image to ``out_dir/images/<split>/`` and write
    ``label_text(sample)`` to ``out_dir/labels/<split>/<stem>.txt``; same file names from different folders get
    ``_1``, ``_2``... Returns (images folder, labels folder)."""
    if not samples:
        raise ValueError("no image could be converted (the reasons are logged above); nothing written")
    img_dir, lbl_dir = out_dir / "images" / split, out_dir / "labels" / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for s in samples:
        src = Path(s.im_file)
        stem, k = src.stem, 1
        while stem in used:  # same file name from different folders
            stem, k = f"{src.stem}_{k}", k + 1
        used.add(stem)
        dst = img_dir / f"{stem}{src.suffix.lower()}"
        if not dst.exists():
            if link:
                try:
                    os.link(src, dst)
                except OSError:
                    dst.symlink_to(src.resolve())
            else:
                shutil.copy2(src, dst)
        atomic_write_text(lbl_dir / f"{stem}.txt", label_text(s))
    return img_dir, lbl_dir


def write_yolo_dataset(
    samples: list[Sample], names: list[str], out_dir: str | Path, split: str = "train", link: bool = False
) -> Path:
    """Write samples as ``out_dir/images/<split>/*`` + ``out_dir/labels/<split>/*.txt`` and update
    ``out_dir/data.yaml`` (other splits already there are kept). Images are copied (or hard-linked/symlinked
    with ``link``). Returns the data.yaml path.
    """
    out_dir = Path(out_dir)
    img_dir, lbl_dir = write_split_files(samples, out_dir, split, link,
                                         lambda s: format_label_lines(s.cls, s.boxes, s.segments))
    yaml_path = out_dir / "data.yaml"
    cfg = yaml.safe_load(yaml_path.read_text()) if yaml_path.is_file() else {}
    if cfg.get("names") and list(cfg["names"]) != list(names):
        raise ValueError(f"{yaml_path}: existing names {cfg['names']} differ from {names}")
    cfg.update({"path": ".", split: f"images/{split}", "names": list(names)})
    atomic_write_text(yaml_path, yaml.safe_dump(cfg, sort_keys=False))
    LOGGER.info(f"wrote {len(samples)} images to {img_dir} and {lbl_dir}")
    return yaml_path


def coco_to_yolo(
    json_path: str | Path, images_dir: str | Path, out_dir: str | Path, split: str = "train",
    use_segments: bool = True, link: bool = False, task: str = "detect",
) -> Path:
    """COCO ``instances_*.json`` + its image folder -> YOLO dataset in ``out_dir``. Returns data.yaml.

    Category ids map to 0..nc-1 in id order; crowd annotations are skipped. ``task="detect"``: boxes; polygons
    become segment lines when every object of an image has one and ``use_segments``. ``task="segment"``: one
    polygon line per object from its polygons (all parts) or RLE (see :mod:`yolov12.data.formats.coco_segment`).
    """
    if task not in ("detect", "segment"):
        raise ValueError(f"COCO conversion task must be 'detect' or 'segment', got {task!r}")
    _check_inputs(json_path, images_dir)
    if task == "segment":
        from yolov12.data.formats.coco_segment import read_coco_segment

        samples, names, _ = read_coco_segment(json_path, images_dir)
        return write_yolo_dataset(samples, names, out_dir, split, link)
    samples, names = read_coco(json_path, images_dir, use_segments=use_segments)
    return write_yolo_dataset(samples, names, out_dir, split, link)


def voc_to_yolo(
    xml_dir: str | Path, images_dir: str | Path, out_dir: str | Path, split: str = "train",
    names: list[str] | None = None, skip_difficult: bool = False, link: bool = False,
) -> Path:
    """Pascal VOC XML folder + image folder -> YOLO dataset in ``out_dir``. Returns data.yaml.

    ``names`` fixes the class order (default: sorted object names found).
    """
    _check_inputs(xml_dir, images_dir)
    if Path(xml_dir).is_dir() and not any(Path(xml_dir).glob("*.xml")):
        raise FileNotFoundError(f"no *.xml annotation files in {xml_dir}")
    samples, names = read_voc(xml_dir, images_dir, names=names, skip_difficult=skip_difficult)
    return write_yolo_dataset(samples, names, out_dir, split, link)


def dota_to_yolo(
    label_dir: str | Path, images_dir: str | Path, out_dir: str | Path, split: str = "train",
    names: list[str] | None = None, skip_difficult: bool = False, link: bool = False, tile: int | None = None,
    overlap: int = 200,
) -> Path:
    """DOTA label folder (``x1 y1 ... x4 y4 category difficult`` in pixels) + image folder -> YOLO OBB dataset
    (normalised corners) in ``out_dir``. ``tile``: also cut the images into tile x tile crops overlapping by
    ``overlap`` px (large aerial images), objects kept when 70% visible. Returns data.yaml."""
    from yolov12.data.formats.dota import read_dota, split_obb_dataset

    _check_inputs(label_dir, images_dir)
    samples, names = read_dota(label_dir, images_dir, names=names, skip_difficult=skip_difficult)
    if tile:
        if not samples:
            raise ValueError("no image could be converted (the reasons are logged above); nothing written")
        return split_obb_dataset(samples, out_dir, names, split, tile=int(tile), overlap=int(overlap))
    return write_yolo_dataset(samples, names, out_dir, split, link)


def _check_inputs(src: str | Path, images_dir: str | Path) -> None:
    if not Path(src).exists():
        raise FileNotFoundError(f"annotations not found: {src}")
    if not Path(images_dir).is_dir():
        raise FileNotFoundError(f"images folder not found: {images_dir}")


def coco_pose_to_yolo(json_path: str | Path, images_dir: str | Path, out_dir: str | Path, split: str = "train",
                      link: bool = False) -> Path:
    """COCO person-keypoints json + images -> YOLO pose dataset (labels + data.yaml with kpt_shape and flip_idx)."""
    if not Path(json_path).is_file():
        raise FileNotFoundError(f"not found: {json_path}")
    if not Path(images_dir).is_dir():
        raise FileNotFoundError(f"image folder not found: {images_dir}")
    samples, names, kpt_shape, flip_idx = read_coco_pose(json_path, images_dir)
    out_dir = Path(out_dir)
    img_dir, lbl_dir = write_split_files(samples, out_dir, split, link, pose_lines)
    yaml_path = out_dir / "data.yaml"
    cfg = yaml.safe_load(yaml_path.read_text()) if yaml_path.is_file() else {}
    for key, val in (("names", names), ("kpt_shape", kpt_shape)):
        if cfg.get(key) and list(cfg[key]) != list(val):
            raise ValueError(f"{yaml_path}: existing {key} {cfg[key]} differ from {val}")
    cfg.update({"path": ".", split: f"images/{split}", "names": names, "kpt_shape": kpt_shape,
                "flip_idx": flip_idx})
    atomic_write_text(yaml_path, yaml.safe_dump(cfg, sort_keys=False))
    LOGGER.info(f"wrote {len(samples)} images to {img_dir} and {lbl_dir} (kpt_shape {kpt_shape})")
    return yaml_path
