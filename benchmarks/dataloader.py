"""Training data pipeline throughput (images/s): mosaic + affine + HSV + flip vs. no augmentation.

Run: python benchmarks/dataloader.py [--imgsz 640 --batch 16 --workers 2 --batches 12]
Uses composed digit images of 480-640 px (PNG) built from the shipped digits in a temporary folder.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from yolov12.data import AugmentConfig, build_dataloader, build_dataset, no_augment
from yolov12.data.compose import build_digits_dataset
from yolov12.data.embedded import load_digit_crops


def throughput(ds, batch: int, workers: int, batches: int) -> float:
    loader = build_dataloader(ds, batch_size=batch, workers=workers, seed=0, persistent_workers=True)
    it = iter(loader)
    next(it)  # warm-up: worker start
    t0, n = time.perf_counter(), 0
    for _ in range(batches):
        try:
            n += len(next(it)["im_file"])
        except StopIteration:
            it = iter(loader)
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batches", type=int, default=12)
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--profile", action="store_true", help="profile __getitem__ in-process (hot spots)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        digits, labels = load_digit_crops()
        yaml_path = build_digits_dataset(digits, labels, Path(tmp) / "d", n_train=a.images, n_val=0,
                                         size_range=(480, 640))
        aug = AugmentConfig(mixup=0.0, copy_paste=0.0)  # mosaic + affine + HSV + flip (yolov12n recipe)
        print(f"settings: imgsz={a.imgsz} batch={a.batch} workers={a.workers} batches={a.batches} "
              f"images={a.images} (PNG, 480-640 px)")
        runs = (("train (mosaic+affine+hsv+flip)", aug, None), ("train, cache='ram'", aug, "ram"),
                ("no augmentation (letterbox)", no_augment(), None))
        for name, cfg, cache in runs:
            ds = build_dataset(yaml_path, "train", imgsz=a.imgsz, augment=cfg, cache=cache, label_cache=False)
            print(f"{name:34s}: {throughput(ds, a.batch, a.workers, a.batches):7.1f} images/s")
        if a.profile:
            ds = build_dataset(yaml_path, "train", imgsz=a.imgsz, augment=aug, label_cache=False)
            prof = cProfile.Profile()
            prof.enable()
            for i in range(64):
                ds[i % len(ds)]
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
