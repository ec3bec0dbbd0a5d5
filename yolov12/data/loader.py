"""Typed entry points: ``build_dataset`` (config + split -> dataset) and ``build_dataloader`` (-> batches).

Batch contract (what the trainer, validator and loss consume), B images with n objects in total:

- ``img``: uint8 tensor (B, 3, H, W), RGB, contiguous.
- ``batch_idx``: float32 (n,) index within the batch of the image each object belongs to.
- ``cls``: float32 (n,) class ids.
- ``bboxes``: float32 (n, 4) normalised (cx, cy, w, h) relative to the batch image (H, W).
- ``im_file``: list[str]; ``ori_shape``: list[(h0, w0)] original sizes; ``resized_shape``: list[(H, W)].
- ``ratio_pad``: list[(gain, (pad_w, pad_h))] mapping original pixels to batch pixels:
  ``x_batch = x_orig * gain + pad_w`` (so ``boxes_orig = (boxes_batch - pad) / gain``).
- ``segments``: list per image of (k, K, 2) float32 normalised polygons (None for images without); only
  present when some image has polygons.
- ``keypoints``: float32 (n, K, 3) normalised x, y and visibility per object, aligned with ``cls``; pose datasets
  only.
- ``masks`` (segment labels): (B, H / r, W / r) overlap index masks (value j + 1 = the image's j-th object in
  batch order), or (n, H / r, W / r) one mask per object without ``overlap_mask``; r = ``mask_ratio``.
- ``rboxes``: float32 (n, 5) oriented boxes cx / W, cy / H, w / W, h / H, angle (radians), in object order; only
  for oriented-box datasets (label format ``obb``).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler

from yolov12.data.augment import AugmentConfig
from yolov12.data.config import DataConfig, load_data_config
from yolov12.data.dataset import YOLODataset
from yolov12.data.labels import DETECT_LABELS, LabelFormat
from yolov12.data.scan import scan_split


def build_dataset(
    data_cfg: str | Path | dict | DataConfig,
    split: str,
    imgsz: int = 640,
    augment: AugmentConfig | None = None,
    rect: bool = False,
    stride: int = 32,
    batch_size: int = 16,
    cache: str | None = None,
    cache_dir: str | Path | None = None,
    label_cache: bool = True,
    seed: int = 0,
    workers: int = 4,
    label_format: LabelFormat = DETECT_LABELS,
    mask_ratio: int = 4,
    overlap_mask: bool = True,
) -> YOLODataset:
    """Scan split ``split`` of a dataset and wrap it in a :class:`YOLODataset`.

    ``augment`` None means validation behaviour (letterbox, no upscaling); pass ``rect=True`` (with the loader's
    ``batch_size``) for rectangular validation batches. ``cache`` is None, 'ram' or 'disk' (decoded images);
    ``label_cache`` toggles the scan cache (``cache_dir`` holds both when given). ``label_format``: what the
    task's label lines hold (:class:`~yolov12.data.labels.LabelFormat`); segment labels give items ``masks`` at
    1 / ``mask_ratio`` of the image (``overlap_mask``: one index mask per image).
    """
    cfg = load_data_config(data_cfg)
    prefix = f"{split}: "
    samples, _ = scan_split(
        cfg.split(split), cfg.nc, cache=label_cache, cache_dir=Path(cache_dir) if cache_dir else None,
        workers=workers, prefix=prefix, label_format=label_format,
    )
    return YOLODataset(
        samples, imgsz=imgsz, augment=augment, rect=rect, batch_size=batch_size, stride=stride, cache=cache,
        cache_dir=cache_dir, seed=seed, names=cfg.names, prefix=prefix,
        flip_idx=cfg.flip_idx if label_format.kind == "pose" else None,
        mask_ratio=mask_ratio if label_format.kind == "segment" else None, overlap_mask=overlap_mask,
        label_format=label_format,
    )


def collate_fn(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack dataset items into the batch dict described in the module docstring.

    Images of different sizes (only possible when a sampler mixes rect batches) are padded bottom/right with
    114 to the largest, and their boxes renormalised, so the contract always holds.
    """
    H = max(it["img"].shape[1] for it in items)
    W = max(it["img"].shape[2] for it in items)
    imgs, bboxes, kpts = [], [], []
    for it in items:
        im, b, kp = it["img"], it["bboxes"], it.get("keypoints")
        h, w = im.shape[1:]
        if (h, w) != (H, W):
            canvas = torch.full((3, H, W), 114, dtype=torch.uint8)
            canvas[:, :h, :w] = im
            im = canvas
            b = b * torch.tensor([w / W, h / H, w / W, h / H], dtype=torch.float32)
            if kp is not None:
                kp = kp * torch.tensor([w / W, h / H, 1.0], dtype=torch.float32)
        imgs.append(im)
        bboxes.append(b)
        kpts.append(kp)
    batch = {
        "img": torch.stack(imgs, 0).contiguous(),
        "batch_idx": torch.cat([torch.full((len(it["cls"]),), float(i)) for i, it in enumerate(items)]),
        "cls": torch.cat([it["cls"] for it in items]).float(),
        "bboxes": torch.cat(bboxes).reshape(-1, 4).float(),
        "im_file": [it["im_file"] for it in items],
        "ori_shape": [it["ori_shape"] for it in items],
        "resized_shape": [(H, W) for _ in items],
        "ratio_pad": [it["ratio_pad"] for it in items],
    }
    if any(k is not None for k in kpts):
        if any(k is None for k in kpts):
            raise ValueError("a batch mixes items with and without keypoints")
        batch["keypoints"] = torch.cat(kpts).float()
    if any("segments" in it for it in items):
        batch["segments"] = [it.get("segments") for it in items]
    if any("masks" in it for it in items):
        batch["masks"] = _collate_masks([it["masks"] for it in items])
    if any("rboxes" in it for it in items):
        rb = []
        for it in items:  # renormalised like the boxes when an image was padded
            h, w = it["img"].shape[1:]
            r = it.get("rboxes", torch.zeros(0, 5))
            rb.append(r * torch.tensor([w / W, h / H, w / W, h / H, 1.0], dtype=torch.float32))
        batch["rboxes"] = torch.cat(rb).reshape(-1, 5).float()
    return batch


def _collate_masks(masks: list[torch.Tensor]) -> torch.Tensor:
    """Overlap index masks (h, w) -> (B, H, W); per-object masks (n, h, w) -> (sum n, H, W); smaller ones padded."""
    per_object = masks[0].ndim == 3
    H = max(m.shape[-2] for m in masks)
    W = max(m.shape[-1] for m in masks)
    dtype = torch.int32 if any(m.dtype == torch.int32 for m in masks) else torch.uint8
    out = []
    for m in masks:
        m = m.to(dtype)
        if m.shape[-2:] != (H, W):
            m = torch.nn.functional.pad(m.unsqueeze(0) if not per_object else m, (0, W - m.shape[-1], 0, H - m.shape[-2]))
            m = m if per_object else m[0]
        out.append(m)
    return torch.cat(out) if per_object else torch.stack(out)


def seed_worker(worker_id: int) -> None:
    """worker_init_fn: derive every random generator of the worker from torch's per-worker seed.

    torch gives worker k of an epoch the seed base + k, with base drawn from the loader's generator, so a seeded
    loader reproduces the same augmentations run after run (for a fixed number of workers).
    """
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    info = torch.utils.data.get_worker_info()
    if info is not None and hasattr(info.dataset, "reseed"):
        info.dataset.reseed(seed)


def build_dataloader(
    dataset: YOLODataset,
    batch_size: int = 16,
    workers: int = 2,
    shuffle: bool = True,
    seed: int = 0,
    rank: int = -1,
    world_size: int = 1,
    drop_last: bool = False,
    persistent_workers: bool = False,
    pin_memory: bool | None = None,
) -> DataLoader:
    """A DataLoader yielding batch dicts (see module docstring).

    Distributed: when ``torch.distributed`` is initialised (or ``world_size > 1`` with ``rank >= 0``) a
    DistributedSampler splits the data; call ``loader.sampler.set_epoch(epoch)`` each epoch. Rect datasets are
    never shuffled (their batch shapes depend on the order). Workers are reseeded from ``seed`` (+ rank), so a
    run is reproducible. Non-persistent workers (default) pick up :meth:`YOLODataset.close_mosaic` at the next
    epoch. A dataset with a ``collate_fn`` attribute (classification's) batches its items with it.
    """
    if dataset.rect and shuffle:
        shuffle = False
    if dist.is_available() and dist.is_initialized():
        rank = dist.get_rank() if rank < 0 else rank
        world_size = dist.get_world_size()
    sampler = None
    if world_size > 1 and rank >= 0:
        sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=shuffle, seed=seed)
    workers = max(0, min(workers, batch_size if batch_size > 1 else workers))
    generator = torch.Generator()
    generator.manual_seed(seed + max(rank, 0))
    if workers == 0:
        dataset.reseed(seed + max(rank, 0))
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=workers,
        collate_fn=getattr(dataset, "collate_fn", collate_fn),  # a dataset of another task may bring its own
        worker_init_fn=seed_worker,
        generator=generator,
        drop_last=drop_last,
        persistent_workers=persistent_workers and workers > 0,
        pin_memory=torch.cuda.is_available() if pin_memory is None else pin_memory,
    )
