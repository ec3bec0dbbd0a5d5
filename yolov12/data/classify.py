"""Classification data: folder datasets (``root/{train,val,test}/<class>/<image>``), their augmentations, batches.

>>> cfg = classify_data_config("path/to/root")          # names = the sorted class folders of train/
>>> ds = ClassifyDataset.from_config(cfg, "train", 224, augment=ClassifyAugment())
>>> loader = build_dataloader(ds, 32)                    # batches: see :func:`classify_collate`

``data=`` may be the root folder, a ``data.yaml`` whose ``path`` is such a root (optional ``train``/``val``/
``test`` sub-folder names), or an embedded name (``digits-cls``, see :mod:`yolov12.data.compose_classify`).

Training transform (:class:`ClassifyAugment`): random resized crop (area ``scale``, aspect ``ratio``), flips,
then either HSV jitter or RandAugment-style auto augment (``auto_augment='randaugment'``; HSV is then skipped, as
in the seed), then random erasing (probability ``erasing``). Validation: resize the short side to ``imgsz`` and
centre-crop ``imgsz`` x ``imgsz`` (:func:`center_crop_resize`, also the predictor's preprocessing).

Bad images are counted and skipped (logged once each, ``ScanStats.corrupt``); a split with class folders that are
missing or empty is named in a warning; a class folder that the class list does not have, a dataset with fewer
than two classes, or a split without images are :class:`DataConfigError`.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import yaml

from yolov12.data.augment.color import augment_hsv
from yolov12.data.config import SPLITS, DataConfig, DataConfigError
from yolov12.data.images import ImageReadError, imread, is_image_file
from yolov12.data.sample import ScanStats
from yolov12.utils import LOGGER
from yolov12.utils.checks import check_field_types, check_range

AUTO_AUGMENTS = ("randaugment",)


# ----------------------------------------------------------------------------------------------- data config
def _class_folders(split_dir: Path) -> list[str]:
    return sorted(d.name for d in split_dir.iterdir() if d.is_dir() and not d.name.startswith("."))


def classify_data_config(source: str | Path) -> DataConfig:
    """A folder dataset root (or a data.yaml naming one with ``path``) -> :class:`DataConfig` with one source
    folder per split and the class names of the training folders (sorted; val's when there is no train)."""
    src = Path(source).expanduser()
    splits = {s: s for s in SPLITS}
    yaml_file = None
    if src.is_file() and src.suffix.lower() in (".yaml", ".yml"):
        yaml_file = src.resolve()
        try:
            raw = yaml.safe_load(src.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise DataConfigError(f"{src}: not valid YAML ({e})") from e
        if not isinstance(raw, dict):
            raise DataConfigError(f"{src}: expected a mapping at top level")
        for s in SPLITS:
            if raw.get(s) is not None:
                splits[s] = str(raw[s])
        src = Path(str(raw.get("path") or ".")).expanduser()
        src = src if src.is_absolute() else yaml_file.parent / src
    where = str(yaml_file or src)
    if not src.is_dir():
        raise DataConfigError(f"{where}: classification data must be a folder with train/<class>/ and "
                              f"val/<class>/ sub-folders (or a data.yaml with path: to one); {src} is not a folder")
    root = src.resolve()
    dirs = {s: root / name for s, name in splits.items() if (root / name).is_dir()}
    if "val" not in dirs and "test" in dirs:
        LOGGER.info(f"{root}: no val/ folder; validating on test/")
        dirs["val"] = dirs["test"]
    if "train" not in dirs and "val" not in dirs:
        found = ", ".join(_class_folders(root)[:5]) or "nothing"
        raise DataConfigError(f"{where}: no train/ or val/ folder under {root} (found {found}); expected "
                              f"root/train/<class>/*.jpg and root/val/<class>/*.jpg")
    names = _class_folders(dirs.get("train") or dirs["val"])
    if len(names) < 2:
        raise DataConfigError(f"{where}: classification needs at least 2 classes, found {len(names)} class "
                              f"folder(s) in {dirs.get('train') or dirs['val']}"
                              + (f" ({names[0]!r})" if names else ""))
    return DataConfig(root=root, names=names, yaml_file=yaml_file,
                      **{s: [d] for s, d in dirs.items()})


# ---------------------------------------------------------------------------------------------------- scanning
@dataclass
class ClassifySample:
    """One image of a folder dataset: its file and class index (``boxes`` is empty: no objects to locate)."""

    im_file: str
    cls: int

    @property
    def boxes(self) -> np.ndarray:
        return np.zeros((0, 4), np.float32)


def scan_class_folders(split_dir: Path, names: list[str], prefix: str = "") -> tuple[list[ClassifySample], ScanStats]:
    """List ``split_dir/<class>/**/<image>`` -> samples (sorted) and stats. Class folders missing or empty are
    named in one warning; a folder that is not one of ``names`` is a :class:`DataConfigError`."""
    stats = ScanStats()
    present = _class_folders(split_dir)
    unknown = [d for d in present if d not in names]
    if unknown:
        raise DataConfigError(f"{prefix}{split_dir}: class folder(s) {', '.join(map(repr, unknown[:10]))} are not "
                              f"among the {len(names)} training classes ({', '.join(names[:10])}"
                              f"{', ...' if len(names) > 10 else ''})")
    samples = []
    empty = []
    for c, name in enumerate(names):
        d = split_dir / name
        files = sorted(Path(dp) / f for dp, _, fs in os.walk(d, followlinks=True) for f in fs) if d.is_dir() else []
        imgs = [f for f in files if is_image_file(f)]
        for f in files:
            if not is_image_file(f) and not f.name.startswith("."):
                stats.messages.append(f"{f}: not an image file (skipped)")
        if not imgs:
            empty.append(name)
        samples += [ClassifySample(str(f), c) for f in imgs]
    if empty:
        LOGGER.warning(f"{prefix}{split_dir}: {len(empty)} class folder(s) missing or without images: "
                       f"{', '.join(map(repr, empty[:20]))}{', ...' if len(empty) > 20 else ''}")
        stats.messages.append(f"missing or empty class folders: {', '.join(empty)}")
    stats.found = len(samples)
    return samples, stats


# ------------------------------------------------------------------------------------------------- transforms
def center_crop_resize(img: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize so that the image covers ``size`` (h, w) with its aspect ratio kept, then crop the centre.
    (H, W, 3) uint8 -> (h, w, 3) uint8. For a square size: the short side becomes ``size``, as in the seed."""
    h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    h0, w0 = img.shape[:2]
    r = max(h / h0, w / w0)
    nh, nw = max(h, round(h0 * r)), max(w, round(w0 * r))
    if (nh, nw) != (h0, w0):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR)
    top, left = (nh - h) // 2, (nw - w) // 2
    return np.ascontiguousarray(img[top : top + h, left : left + w])


def random_resized_crop(img: np.ndarray, size: int, rng: np.random.Generator, scale: tuple[float, float],
                        ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> np.ndarray:
    """A crop of random area fraction in ``scale`` and aspect ratio in ``ratio`` (log-uniform), resized to
    ``size`` x ``size`` (ten tries, then the centre crop; the usual ImageNet training crop)."""
    h0, w0 = img.shape[:2]
    area = h0 * w0
    for _ in range(10):
        a = area * rng.uniform(*scale)
        ar = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w, h = round(math.sqrt(a * ar)), round(math.sqrt(a / ar))
        if 0 < w <= w0 and 0 < h <= h0:
            y, x = int(rng.integers(0, h0 - h + 1)), int(rng.integers(0, w0 - w + 1))
            return cv2.resize(img[y : y + h, x : x + w], (size, size), interpolation=cv2.INTER_LINEAR)
    return center_crop_resize(img, size)


def _affine(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(128, 128, 128))


def _blend(a: np.ndarray, b: np.ndarray, f: float) -> np.ndarray:
    """a * f + b * (1 - f) clipped to uint8 (PIL ImageEnhance semantics: f=1 -> a, f=0 -> b)."""
    return np.clip(a.astype(np.float32) * f + b.astype(np.float32) * (1 - f), 0, 255).astype(np.uint8)


def _op(img: np.ndarray, name: str, m: float, rng: np.random.Generator) -> np.ndarray:
    """One RandAugment operation at magnitude ``m`` in [0, 1] (torchvision's ranges; random sign)."""
    sign = 1 if rng.random() < 0.5 else -1
    h, w = img.shape[:2]
    if name == "identity":
        return img
    if name in ("shear_x", "shear_y"):
        s = sign * 0.3 * m
        mat = np.float32([[1, s, -s * h / 2], [0, 1, 0]]) if name == "shear_x" else \
            np.float32([[1, 0, 0], [s, 1, -s * w / 2]])
        return _affine(img, mat)
    if name in ("translate_x", "translate_y"):
        t = sign * 0.45 * m
        return _affine(img, np.float32([[1, 0, t * w], [0, 1, 0]]) if name == "translate_x"
                       else np.float32([[1, 0, 0], [0, 1, t * h]]))
    if name == "rotate":
        return _affine(img, cv2.getRotationMatrix2D((w / 2, h / 2), sign * 30 * m, 1.0))
    if name == "brightness":
        return _blend(img, np.zeros_like(img), 1 + sign * 0.9 * m)
    if name == "color":  # saturation
        grey = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        return _blend(img, grey, 1 + sign * 0.9 * m)
    if name == "contrast":
        mean = float(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).mean())
        return _blend(img, np.full_like(img, round(mean)), 1 + sign * 0.9 * m)
    if name == "sharpness":
        smooth = cv2.filter2D(img, -1, np.float32([[1, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13)
        return _blend(img, smooth, 1 + sign * 0.9 * m)
    if name == "posterize":
        bits = int(8 - round(4 * m))
        return img & np.uint8((0xFF << (8 - bits)) & 0xFF)
    if name == "solarize":
        thr = 255 * (1 - m)
        return np.where(img >= thr, 255 - img, img).astype(np.uint8)
    if name == "autocontrast":
        lo, hi = img.reshape(-1, 3).min(0).astype(np.float32), img.reshape(-1, 3).max(0).astype(np.float32)
        scale = np.where(hi > lo, 255 / np.maximum(hi - lo, 1), 1)
        return np.clip((img - np.where(hi > lo, lo, 0)) * scale, 0, 255).astype(np.uint8)
    if name == "equalize":
        return np.dstack([cv2.equalizeHist(np.ascontiguousarray(img[..., c])) for c in range(3)])
    raise ValueError(f"unknown augmentation op {name!r}")


RAND_AUGMENT_OPS = ("identity", "shear_x", "shear_y", "translate_x", "translate_y", "rotate", "brightness", "color",
                    "contrast", "sharpness", "posterize", "solarize", "autocontrast", "equalize")


def rand_augment(img: np.ndarray, rng: np.random.Generator, num_ops: int = 2, magnitude: int = 9,
                 bins: int = 31) -> np.ndarray:
    """RandAugment (Cubuk et al. 2020) as torchvision's defaults: ``num_ops`` ops drawn uniformly, each at
    ``magnitude`` of ``bins - 1``. (H, W, 3) uint8 -> same shape and dtype."""
    m = magnitude / (bins - 1)
    for i in rng.integers(0, len(RAND_AUGMENT_OPS), num_ops):
        img = _op(img, RAND_AUGMENT_OPS[int(i)], m, rng)
    return img


def random_erasing(img: np.ndarray, rng: np.random.Generator, p: float, scale: tuple[float, float] = (0.02, 0.33),
                   ratio: tuple[float, float] = (0.3, 3.3)) -> np.ndarray:
    """With probability ``p`` replace one random rectangle (area fraction in ``scale``) by uniform noise."""
    if p <= 0 or rng.random() >= p:
        return img
    h0, w0 = img.shape[:2]
    for _ in range(10):
        a = h0 * w0 * rng.uniform(*scale)
        ar = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        h, w = round(math.sqrt(a * ar)), round(math.sqrt(a / ar))
        if 0 < h < h0 and 0 < w < w0:
            y, x = int(rng.integers(0, h0 - h + 1)), int(rng.integers(0, w0 - w + 1))
            img = img.copy()
            img[y : y + h, x : x + w] = rng.integers(0, 256, (h, w, img.shape[2]), dtype=np.uint8)
            return img
    return img


@dataclass
class ClassifyAugment:
    """Training augmentation of classification (see the module docstring); ``None`` means validation."""

    scale: tuple[float, float] = (0.08, 1.0)  # random resized crop: area fraction range
    ratio: tuple[float, float] = (3 / 4, 4 / 3)  # ...and aspect ratio range
    fliplr: float = 0.5
    flipud: float = 0.0
    hsv_h: float = 0.015
    hsv_s: float = 0.4
    hsv_v: float = 0.4
    hue_mode: str = "add"  # 'add' rotates the hue circle, 'scale' scales the hue (see augment_hsv)
    auto_augment: str | None = None  # 'randaugment' (then HSV is skipped)
    erasing: float = 0.0  # random erasing probability

    def __post_init__(self) -> None:
        self.scale, self.ratio = tuple(float(v) for v in self.scale), tuple(float(v) for v in self.ratio)
        check_field_types(self)
        if not 0 < self.scale[0] <= self.scale[1] <= 1:
            raise ValueError(f"scale must be (lo, hi) with 0 < lo <= hi <= 1, got {self.scale}")
        for k in ("fliplr", "flipud", "erasing"):
            check_range(k, getattr(self, k), 0, 1)
        if self.auto_augment not in (None, *AUTO_AUGMENTS):
            raise ValueError(f"auto_augment must be one of {', '.join(AUTO_AUGMENTS)} or None, got "
                             f"{self.auto_augment!r}")

    @classmethod
    def from_hyp(cls, hyp: dict[str, Any], scale: float | None = None) -> ClassifyAugment:
        """From training arguments: ``scale`` s (the detector's zoom range) gives the crop area range (1 - s, 1)
        as in the seed (s 0.5 -> 0.5..1; at least 0.08); HSV gains, flips, auto_augment and erasing by name."""
        s = hyp.get("scale") if hyp.get("scale") is not None else scale
        lo = max(0.08, 1.0 - float(s)) if s is not None else 0.08
        kw = {k: hyp[k] for k in ("fliplr", "flipud", "hsv_h", "hsv_s", "hsv_v", "auto_augment", "erasing")
              if hyp.get(k) is not None}
        if hyp.get("hsv_hue_mode"):
            kw["hue_mode"] = hyp["hsv_hue_mode"]
        if kw.get("auto_augment") == "":
            kw["auto_augment"] = None
        return cls(scale=(lo, 1.0), **kw)

    def __call__(self, img: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """(H, W, 3) uint8 BGR -> (size, size, 3) uint8 BGR."""
        img = random_resized_crop(img, size, rng, self.scale, self.ratio)
        if self.fliplr and rng.random() < self.fliplr:
            img = img[:, ::-1]
        if self.flipud and rng.random() < self.flipud:
            img = img[::-1]
        img = np.ascontiguousarray(img)
        if self.auto_augment == "randaugment":
            img = rand_augment(img, rng)
        elif self.hsv_h or self.hsv_s or self.hsv_v:
            img = augment_hsv(img, rng, self.hsv_h, self.hsv_s, self.hsv_v, self.hue_mode)
        return random_erasing(img, rng, self.erasing)


# ---------------------------------------------------------------------------------------------------- dataset
class ClassifyDataset(torch.utils.data.Dataset):
    """Images of a folder split with their class index; items are dicts for :func:`classify_collate`.

    Bad images are found when the split is opened (each decoded once, in ``workers`` threads; with
    ``cache='ram'`` the decoded images are kept, resized so the short side is ``imgsz``), counted in ``stats``
    and left out. ``cache='disk'`` is read as 'ram' (a decoded folder dataset of this size fits in memory).
    """

    rect = False  # the loader may shuffle

    def __init__(self, samples: list[ClassifySample], names: list[str], imgsz: int = 224,
                 augment: ClassifyAugment | None = None, cache: str | None = None, seed: int = 0, workers: int = 2,
                 prefix: str = "", stats: ScanStats | None = None) -> None:
        if cache not in (None, False, "ram", "disk", True):
            raise ValueError(f"cache must be None, 'ram' or 'disk', got {cache!r}")
        self.names, self.imgsz, self.augment, self.prefix = names, int(imgsz), augment, prefix
        self.stats = stats or ScanStats()
        self.cache = "ram" if cache else None
        self.rng = np.random.default_rng(seed)
        self._ram: list[np.ndarray] | None = None
        self.samples = self._verify(samples, workers)
        if not self.samples:
            raise DataConfigError(f"{prefix}no usable images ({self.stats.corrupt} unreadable)")

    @classmethod
    def from_config(cls, cfg: DataConfig, split: str, imgsz: int = 224, augment: ClassifyAugment | None = None,
                    cache: str | None = None, seed: int = 0, workers: int = 2) -> ClassifyDataset:
        prefix = f"{split}: "
        split_dir = cfg.split(split)[0]
        samples, stats = scan_class_folders(split_dir, cfg.names, prefix)
        return cls(samples, cfg.names, imgsz, augment, cache, seed, workers, prefix, stats)

    def _load_small(self, path: str) -> np.ndarray:
        img = imread(path)
        h0, w0 = img.shape[:2]
        r = self.imgsz / min(h0, w0)
        if r < 1:  # the short side at imgsz: every crop of this image is taken at or below it
            img = cv2.resize(img, (max(1, round(w0 * r)), max(1, round(h0 * r))), interpolation=cv2.INTER_AREA)
        return img

    def _verify(self, samples: list[ClassifySample], workers: int) -> list[ClassifySample]:
        keep_images = self.cache == "ram"

        def check(s: ClassifySample) -> np.ndarray | str | None:
            try:
                img = self._load_small(s.im_file) if keep_images else imread(s.im_file)
            except ImageReadError as e:
                return str(e)
            return img if keep_images else None

        with ThreadPoolExecutor(max(1, workers)) as pool:
            results = list(pool.map(check, samples))
        good, ram = [], []
        for s, r in zip(samples, results):
            if isinstance(r, str):
                self.stats.reject(f"{self.prefix}{r} (image skipped)")
                continue
            good.append(s)
            if keep_images:
                ram.append(r)
        self.stats.found = len(good)
        if self.stats.corrupt:
            LOGGER.warning(f"{self.prefix}{self.stats.corrupt} unreadable image(s) skipped")
        self._ram = ram if keep_images else None
        return good

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def im_files(self) -> list[str]:
        return [s.im_file for s in self.samples]

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def close_mosaic(self) -> None:
        """Nothing to switch off (no mosaic in classification)."""

    def load_image(self, i: int) -> np.ndarray:
        if self._ram is not None:
            return self._ram[i]
        return self._load_small(self.samples[i].im_file)

    def __getitem__(self, i: int) -> dict[str, Any]:
        s = self.samples[i]
        img = self.load_image(i)
        h0, w0 = img.shape[:2]
        img = self.augment(img, self.imgsz, self.rng) if self.augment is not None else \
            center_crop_resize(img, self.imgsz)
        chw = torch.from_numpy(np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1)))  # BGR HWC -> RGB CHW
        return {"img": chw, "cls": s.cls, "im_file": s.im_file, "ori_shape": (h0, w0)}


def classify_collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Batch of B images: ``img`` uint8 (B, 3, S, S) RGB, ``cls`` int64 (B,), ``im_file``, ``ori_shape``; plus,
    for the generic tools (training-batch plots, the validator), each image as one whole-image object:
    ``batch_idx`` (B,) = 0..B-1, ``bboxes`` (B, 4) = (0.5, 0.5, 1, 1), ``ratio_pad`` None each."""
    n = len(items)
    return {
        "img": torch.stack([it["img"] for it in items]).contiguous(),
        "cls": torch.tensor([it["cls"] for it in items], dtype=torch.int64),
        "batch_idx": torch.arange(n, dtype=torch.float32),
        "bboxes": torch.tensor([[0.5, 0.5, 1.0, 1.0]] * n, dtype=torch.float32).reshape(n, 4),
        "im_file": [it["im_file"] for it in items],
        "ori_shape": [it["ori_shape"] for it in items],
        "resized_shape": [tuple(it["img"].shape[1:]) for it in items],
        "ratio_pad": [None] * n,
    }


ClassifyDataset.collate_fn = staticmethod(classify_collate)
