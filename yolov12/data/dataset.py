"""The detection dataset: loads images, applies the training augmentation or the validation letterbox.

Each item is a dict (see :func:`yolov12.data.loader.collate_fn` for the batch contract):
``img`` (3, H, W) uint8 RGB tensor, ``cls`` (n,) float32, ``bboxes`` (n, 4) float32 normalised cxcywh,
``im_file``, ``ori_shape`` (h0, w0), ``resized_shape`` (H, W), ``ratio_pad`` (gain, (pad_w, pad_h)) and, when
the labels have polygons, ``segments`` (n, K, 2) float32 normalised xy; for pose datasets (samples with
keypoints) ``keypoints`` (n, K, 3) float32: normalised x, y and visibility (0 unlabelled, 1 occluded, 2 visible).
With ``mask_ratio`` (segment labels) also ``masks``: the overlap index mask (H / r, W / r) (objects reordered
largest mask first, value j + 1 = object j) or, without ``overlap_mask``, (n, H / r, W / r) one mask per object.
For oriented-box labels (format ``obb``) ``rboxes`` (n, 5) float32: cx / W, cy / H, w / W, h / H and the angle in
radians in [0, pi/2) of each object's minimum-area rectangle, refit from its transformed corners
(:mod:`yolov12.data.obb`).
"""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from yolov12.data.augment import (
    AugmentConfig,
    Labels,
    augment_hsv,
    copy_paste_flip,
    flip_lr,
    flip_ud,
    letterbox,
    mixup,
    mosaic4,
    mosaic9,
    random_affine,
    resample_polygon,
)
from yolov12.data.images import ImageReadError, imread, resize_long_side
from yolov12.data.labels import DETECT_LABELS, LabelFormat
from yolov12.data.obb import densify_quads, rboxes_from_points
from yolov12.data.sample import Sample
from yolov12.ops.boxes import xywh2xyxy, xyxy2xywh
from yolov12.ops.masks import overlap_masks, polygons_to_masks
from yolov12.utils import LOGGER, atomic_write_bytes

CACHE_MODES = (None, "ram", "disk")


def rect_batch_shapes(shapes: np.ndarray, batch_size: int, imgsz: int, stride: int, pad: float) -> np.ndarray:
    """Batch shapes for rectangular batches. shapes: (N, 2) (h, w) sorted by aspect h/w -> (nb, 2) (h, w) px.

    Each batch gets ceil(aspect * imgsz / stride + pad) * stride on the short side and imgsz on the long side.
    """
    ar = shapes[:, 0] / shapes[:, 1]
    bi = np.arange(len(shapes)) // batch_size
    nb = int(bi[-1]) + 1
    rel = np.ones((nb, 2))
    for i in range(nb):
        ari = ar[bi == i]
        mini, maxi = ari.min(), ari.max()
        if maxi < 1:
            rel[i] = [maxi, 1]
        elif mini > 1:
            rel[i] = [1, 1 / mini]
    return (np.ceil(rel * imgsz / stride + pad).astype(int) * stride).astype(int)


class YOLODataset(Dataset):
    """Detection dataset over scanned :class:`Sample` records.

    Args:
        samples: annotated images (from :func:`yolov12.data.scan.scan_split` or a COCO/VOC reader).
        imgsz: training/validation size in pixels (images are loaded with their long side at imgsz).
        augment: training augmentation, or None for validation (plain letterbox, no upscaling).
        rect: rectangular batches (validation): images sorted by aspect ratio, each batch letterboxed to its own
            shape; needs ``batch_size``.
        batch_size, stride, pad: rect batch shape = ceil(aspect * imgsz / stride + pad) * stride.
        cache: None, 'ram' (decoded resized images in memory) or 'disk' (decoded images as .npy files).
        cache_dir: where 'disk' writes its .npy files (default: beside each image).
        seed: seed of the augmentation random generator (workers reseed from torch's per-worker seed).
        flip_idx: pose datasets: keypoint order after a left-right flip. Without it, left-right flips of objects
            with 2+ keypoints are switched off (logged once).
        mask_ratio: when set (segment labels), items carry ``masks`` at (H / mask_ratio, W / mask_ratio) rasterised
            from the transformed polygons; ``overlap_mask`` chooses one index mask per image or one per object.
        label_format: the task's label format; ``obb`` adds the ``rboxes`` key to each item.
    """

    def __init__(
        self,
        samples: list[Sample],
        imgsz: int = 640,
        augment: AugmentConfig | None = None,
        rect: bool = False,
        batch_size: int = 16,
        stride: int = 32,
        pad: float = 0.5,
        cache: str | None = None,
        cache_dir: str | Path | None = None,
        seed: int = 0,
        names: list[str] | None = None,
        prefix: str = "",
        flip_idx: list[int] | None = None,
        mask_ratio: int | None = None,
        overlap_mask: bool = True,
        label_format: LabelFormat = DETECT_LABELS,
    ) -> None:
        if cache not in CACHE_MODES:
            raise ValueError(f"cache must be one of {CACHE_MODES}, got {cache!r}")
        if not samples:
            raise ValueError(f"{prefix}dataset has no images")
        self.imgsz, self.stride, self.pad = imgsz, stride, pad
        if mask_ratio is not None and (not isinstance(mask_ratio, int) or mask_ratio < 1 or stride % mask_ratio):
            raise ValueError(f"mask_ratio must be a positive integer dividing the stride {stride}, got {mask_ratio!r}")
        self.mask_ratio, self.overlap_mask = mask_ratio, overlap_mask
        self.rect = rect
        self.batch_size = batch_size
        self.names = names
        self.prefix = prefix
        self.obb = label_format.kind == "obb"
        self.rng = np.random.default_rng(seed)
        self.samples = list(samples)
        self.flip_idx = list(flip_idx) if flip_idx is not None else None
        kpt = next((s.keypoints for s in self.samples if s.keypoints is not None), None)
        self.num_keypoints = None if kpt is None else int(kpt.shape[1])
        if (augment is not None and augment.fliplr > 0 and self.flip_idx is None and self.num_keypoints
                and self.num_keypoints > 1):
            LOGGER.warning(f"{prefix}left-right flips switched off: the dataset has {self.num_keypoints} keypoints "
                           "per object but no flip_idx in data.yaml (which keypoint each becomes when mirrored)")
            augment = replace(augment, fliplr=0.0)
        self.augment = augment
        self.batch_shapes: np.ndarray | None = None
        if rect:
            shapes = np.array([s.shape for s in self.samples], dtype=np.float64)
            order = np.argsort(shapes[:, 0] / shapes[:, 1], kind="stable")
            self.samples = [self.samples[i] for i in order]
            self.batch_shapes = rect_batch_shapes(shapes[order], batch_size, imgsz, stride, pad)
        self.cache = cache
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._ram: list[np.ndarray | None] = [None] * len(self.samples)
        # mosaic buffer (as in the YOLO training code): the last few decoded training images stay in memory and the
        # mosaic draws its 3 partner tiles from them, so a mosaic decodes one image instead of four
        self._buffer: dict[int, np.ndarray] = {}
        self.max_buffer = min(len(self.samples), batch_size * 8, 1000) if augment is not None and cache != "ram" else 0
        self._failed: set[str] = set()
        if cache == "ram":
            self._fill_ram_cache()
        elif cache == "disk":
            self._fill_disk_cache()

    # --- bookkeeping --------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def im_files(self) -> list[str]:
        return [s.im_file for s in self.samples]

    def reseed(self, seed: int) -> None:
        """Restart the augmentation random generator (called per worker by the loader's worker_init_fn, and per
        epoch by the trainer) and empty the mosaic buffer, so an epoch's items depend on the seed alone."""
        self.rng = np.random.default_rng(seed)
        self._buffer.clear()

    def close_mosaic(self) -> None:
        """Switch mosaic, mixup and copy-paste off (the last ``close_mosaic`` epochs of training).

        Takes effect in worker processes started afterwards (the loader starts fresh workers every epoch unless
        built with persistent workers).
        """
        if self.augment is not None:
            self.augment = replace(self.augment, mosaic=0.0, mixup=0.0, copy_paste=0.0)
            LOGGER.info(f"{self.prefix}closing mosaic: mosaic, mixup and copy-paste off")

    # --- image loading and caching ------------------------------------------------------------------------

    def _npy_path(self, i: int) -> Path:
        """The disk-cache file of image i: named after the whole file name (``a.jpg`` and ``a.png`` get their own)."""
        p = Path(self.samples[i].im_file)
        if self.cache_dir is not None:
            tag = hashlib.sha1(str(p.resolve()).encode()).hexdigest()[:12]
            return self.cache_dir / f"{p.name}-{tag}.npy"
        return p.with_name(p.name + ".npy")

    def _cached(self, i: int) -> Path | None:
        """The disk-cache file of image i when it is current: it carries the image's modification time (set when
        written) and is read only while the image still has it, so an edited or replaced image is decoded again."""
        npy = self._npy_path(i)
        try:
            return npy if npy.stat().st_mtime_ns == Path(self.samples[i].im_file).stat().st_mtime_ns else None
        except OSError:
            return None

    def _write_npy(self, i: int, img: np.ndarray) -> None:
        npy, im = self._npy_path(i), Path(self.samples[i].im_file)
        mtime = im.stat().st_mtime_ns
        buf = io.BytesIO()
        np.save(buf, img, allow_pickle=False)
        atomic_write_bytes(npy, buf.getvalue())
        os.utime(npy, ns=(mtime, mtime))

    def _decode(self, i: int) -> np.ndarray:
        if self.cache == "disk":
            npy = self._cached(i)
            if npy is not None:
                try:
                    return np.load(npy, allow_pickle=False)
                except (OSError, ValueError):
                    LOGGER.warning(f"{self.prefix}{npy}: unreadable cache file, decoding the image again")
            img = imread(self.samples[i].im_file)
            try:
                self._write_npy(i, img)
            except OSError as e:
                LOGGER.debug(f"{self.prefix}disk cache not refreshed: {e}")
            return img
        return imread(self.samples[i].im_file)

    def _fill_ram_cache(self) -> None:
        def load(i: int) -> None:
            try:
                self._ram[i] = resize_long_side(imread(self.samples[i].im_file), self.imgsz, self.augment is not None)
            except ImageReadError as e:
                LOGGER.warning(f"{self.prefix}{e}")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(load, range(len(self))))
        nbytes = sum(im.nbytes for im in self._ram if im is not None)
        LOGGER.info(f"{self.prefix}cached {len(self)} images in RAM ({nbytes / 2**30:.2f} GiB)")

    def _fill_disk_cache(self) -> None:
        def save(i: int) -> None:
            if self._cached(i) is not None:
                return
            try:
                self._write_npy(i, imread(self.samples[i].im_file))
            except (ImageReadError, OSError) as e:
                LOGGER.warning(f"{self.prefix}disk cache: {e}")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(save, range(len(self))))

    def load_image(self, i: int) -> tuple[np.ndarray, tuple[int, int]]:
        """Image i with its long side at imgsz -> ((h, w, 3) uint8 BGR, original (h0, w0))."""
        img = self._ram[i] if self._ram[i] is not None else self._buffer.get(i)
        if img is None:
            img = resize_long_side(self._decode(i), self.imgsz, self.augment is not None)
            if self.max_buffer:
                self._buffer[i] = img
                while len(self._buffer) > self.max_buffer:
                    del self._buffer[next(iter(self._buffer))]  # oldest first
        return img, self.samples[i].shape

    def pixel_labels(self, i: int, h: int, w: int) -> Labels:
        """Labels of sample i in pixels of an (h, w) image: boxes xyxy, polygons resampled to K points."""
        s = self.samples[i]
        boxes = xywh2xyxy(s.boxes) * np.array([w, h, w, h], np.float32)
        seg = None
        if s.segments is None and self.mask_ratio and not len(s):  # an empty image of a segment dataset
            seg = np.zeros((0, 100, 2), np.float32)
        if s.segments is not None or self.obb:  # obb: always an array (a background tile must not drop them all)
            if self.obb:  # corners kept exactly (the refit box must not shrink)
                seg = densify_quads(np.stack(s.segments), 100) if len(s) and s.segments else np.zeros((0, 100, 2))
            else:
                seg = np.stack([resample_polygon(p) for p in s.segments]) if len(s) else np.zeros((0, 100, 2))
            seg = (seg * np.array([w, h], np.float32)).astype(np.float32)
        kpt = None
        if s.keypoints is not None:
            kpt = s.keypoints * np.array([w, h, 1], np.float32)
        return Labels(s.cls.copy(), boxes.astype(np.float32), seg, kpt)

    # --- items ----------------------------------------------------------------------------------------------

    def __getitem__(self, index: int) -> dict[str, Any]:
        for _ in range(10):
            try:
                return self._get(index)
            except ImageReadError as e:
                f = self.samples[index].im_file
                if f not in self._failed:
                    self._failed.add(f)
                    LOGGER.warning(f"{self.prefix}{e}; substituting another image")
                index = int(self.rng.integers(len(self)))
        raise ImageReadError(f"{self.prefix}10 consecutive images failed to load; is the dataset readable?")

    def _get(self, i: int) -> dict[str, Any]:
        if self.augment is None:
            img, labels, ratio_pad = self._letterboxed(i)
        else:
            img, labels, ratio_pad = self._augmented(i)
        return self._to_item(i, img, labels, ratio_pad)

    def _letterboxed(self, i: int, shape: tuple[int, int] | None = None, scaleup: bool = False):
        img, (h0, w0) = self.load_image(i)
        h, w = img.shape[:2]
        if shape is None:
            shape = tuple(self.batch_shapes[i // self.batch_size]) if self.rect else (self.imgsz, self.imgsz)
        out, r, (pw, ph) = letterbox(img, shape, auto=False, scaleup=scaleup)
        nw, nh = int(round(w * r)), int(round(h * r))
        labels = self.pixel_labels(i, nh, nw).transformed(1.0, 1.0, pw, ph)
        gain = r * max(h, w) / max(h0, w0)
        return out, labels, (gain, (pw, ph))

    def _tile(self, i: int) -> tuple[np.ndarray, Labels]:
        img, _ = self.load_image(i)
        return img, self.pixel_labels(i, *img.shape[:2])

    def _mosaic_affine(self, i: int) -> tuple[np.ndarray, Labels, tuple]:
        """The pre-transform: mosaic (or letterbox) -> copy-paste -> random affine. Output imgsz x imgsz."""
        cfg, s = self.augment, self.imgsz
        if self.rng.random() < cfg.mosaic:
            k = 9 if cfg.mosaic9 else 4
            first = self._tile(i)  # enters the buffer before the partners are drawn from it
            pool = list(self._buffer) if self._buffer else range(len(self))
            idx = [pool[j] for j in self.rng.integers(0, len(pool), k - 1)]
            tiles = [first] + [self._tile(j) for j in idx]
            img, labels = (mosaic9 if k == 9 else mosaic4)(tiles, s, self.rng)
            border = (-s // 2, -s // 2)
            ratio_pad = (s / max(self.samples[i].shape), (0.0, 0.0))
        else:
            img, labels, ratio_pad = self._letterboxed(i, (s, s))
            border = (0, 0)
        img, labels = copy_paste_flip(img, labels, cfg.copy_paste, self.rng)
        img, labels = random_affine(
            img, labels, self.rng, cfg.degrees, cfg.translate, cfg.scale, cfg.shear, cfg.perspective, border
        )
        return img, labels, ratio_pad

    def _augmented(self, i: int):
        cfg = self.augment
        img, labels, ratio_pad = self._mosaic_affine(i)
        if cfg.mixup and self.rng.random() < cfg.mixup:
            img2, labels2, _ = self._mosaic_affine(int(self.rng.integers(len(self))))
            img, labels = mixup(img, labels, img2, labels2, self.rng)
        augment_hsv(img, self.rng, cfg.hsv_h, cfg.hsv_s, cfg.hsv_v, cfg.hsv_hue_mode)
        if self.rng.random() < cfg.flipud:
            img, labels = flip_ud(img, labels)
        if self.rng.random() < cfg.fliplr:
            img, labels = flip_lr(img, labels, self.flip_idx)
        return img, labels, ratio_pad

    def _to_item(self, i: int, img: np.ndarray, labels: Labels, ratio_pad) -> dict[str, Any]:
        h, w = img.shape[:2]
        labels.clip(h, w)
        b = labels.boxes
        keep = ((b[:, 2] - b[:, 0]) > 0) & ((b[:, 3] - b[:, 1]) > 0)
        labels = labels.select(keep)
        rboxes = None
        if self.obb:
            pts = labels.segments if labels.segments is not None else np.zeros((0, 4, 2), np.float32)
            rboxes = rboxes_from_points(pts)
            keep = (rboxes[:, 2] > 0) & (rboxes[:, 3] > 0)  # a rotated box squeezed flat by clipping
            labels, rboxes = labels.select(keep), rboxes[keep]
        norm = np.array([w, h, w, h], np.float32)
        item = {
            # BGR HWC -> RGB CHW in numpy: torch's uint8 permute().contiguous() is ~30x slower on CPU
            "img": torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)[::-1])),
            "cls": torch.from_numpy(labels.cls.astype(np.float32)),
            "bboxes": torch.from_numpy((xyxy2xywh(labels.boxes) / norm).astype(np.float32)).reshape(-1, 4),
            "im_file": self.samples[i].im_file,
            "ori_shape": tuple(self.samples[i].shape),
            "resized_shape": (h, w),
            "ratio_pad": (float(ratio_pad[0]), (float(ratio_pad[1][0]), float(ratio_pad[1][1]))),
        }
        if self.mask_ratio:
            item.update(self._masks(labels, h, w))
        elif labels.segments is not None:
            item["segments"] = torch.from_numpy((labels.segments / np.array([w, h], np.float32)).astype(np.float32))
        if labels.keypoints is not None:
            item["keypoints"] = torch.from_numpy((labels.keypoints / np.array([w, h, 1], np.float32)).astype(np.float32))
        if rboxes is not None:
            item["rboxes"] = torch.from_numpy((rboxes / np.array([w, h, w, h, 1], np.float32)).astype(np.float32))
        return item

    def _masks(self, labels: Labels, h: int, w: int) -> dict[str, torch.Tensor]:
        """``masks`` (and the objects reordered to match, with overlap masks) from the transformed polygons."""
        if labels.segments is None:
            raise ValueError(f"{self.prefix}segment labels without polygons (mask_ratio needs polygon labels)")
        masks = polygons_to_masks(labels.segments, (h, w), self.mask_ratio)
        cls, boxes, seg = labels.cls, labels.boxes, labels.segments
        if self.overlap_mask:
            index, order = overlap_masks(masks)
            cls, boxes, seg, out = cls[order], boxes[order], seg[order], index
        else:
            out = masks
        return {
            "cls": torch.from_numpy(cls.astype(np.float32)),
            "bboxes": torch.from_numpy((xyxy2xywh(boxes) / np.array([w, h, w, h], np.float32))
                                       .astype(np.float32)).reshape(-1, 4),
            "segments": torch.from_numpy((seg / np.array([w, h], np.float32)).astype(np.float32)),
            "masks": torch.from_numpy(out),
        }
