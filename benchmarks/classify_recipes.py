"""From-scratch yolov12n-cls on a digits-cls subset, top-1 per epoch for each recipe given (stability check).

Default setting (the closing note's): 100 train digits per class (1,000 images), up to 50 val per class (469),
32 px, 10 epochs, batch 32, seed 0, cache=ram; explicit imgsz, so recipe=cls changes only the optimiser fields.

    python benchmarks/classify_recipes.py default cls [--out /tmp/cls_recipes] [--epochs 10] [--imgsz 32]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from yolov12.data.compose_classify import build_digits_cls_dataset
from yolov12.training import TrainConfig, train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recipes", nargs="+")
    ap.add_argument("--out", default="/tmp/cls_recipes")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--imgsz", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    root = Path(a.out) / "data"
    if not (root / ".complete").exists():
        build_digits_cls_dataset(root, per_class_train=100, per_class_val=50)
    for recipe in a.recipes:
        t = time.time()
        r = train(TrainConfig(model="yolov12n-cls.yaml", data=str(root), epochs=a.epochs, imgsz=a.imgsz,
                              batch=a.batch, workers=0, recipe=recipe, project=str(Path(a.out) / "runs"),
                              name=recipe, plots=False, verbose=False, cache="ram"))
        rows = list(csv.DictReader(open(r.save_dir / "results.csv")))
        print(f"{recipe} ({time.time() - t:.0f} s) top-1 per epoch: "
              + " ".join(f"{float(x['top1']):.3f}" for x in rows)
              + " | train loss: " + " ".join(f"{float(x['train/loss']):.2f}" for x in rows), flush=True)


if __name__ == "__main__":
    main()
