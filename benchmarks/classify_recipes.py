"""From-scratch yolov12n-cls on a digits-cls subset, top-1 per epoch for each recipe given (stability check).

Default setting (the closing note's): 100 train digits per class (1,000 images), up to 50 val per class (469),
32 px, 10 epochs, batch 32, seed 0, cache=ram; explicit imgsz, so recipe=cls changes only the optimiser fields.

A run is ``RECIPE`` or ``RECIPE:key=value,key=value`` (TrainConfig overrides, e.g. ``cls:batch=256``,
``cls:warmup_epochs=3``, ``cls:lr0=0.02``); ``--reduction sum`` sums the accumulated batch means as the seed does
(the trainer's 'sum' loss reduction) instead of averaging them.

    python benchmarks/classify_recipes.py default cls [--out /tmp/cls_recipes] [--epochs 10] [--imgsz 32]
    python benchmarks/classify_recipes.py cls cls:nbs=32 cls:warmup_epochs=3 --epochs 40
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from pathlib import Path

import yaml

from yolov12.data.compose_classify import build_digits_cls_dataset
from yolov12.tasks import get_task
from yolov12.training import TrainConfig, train


def parse_run(spec: str) -> tuple[str, dict]:
    """``"cls:batch=256,lr0=0.02"`` -> ("cls", {"batch": 256, "lr0": 0.02}) (values parsed as YAML scalars)."""
    recipe, _, rest = spec.partition(":")
    overrides = {}
    for item in filter(None, rest.split(",")):
        k, sep, v = item.partition("=")
        if not sep:
            raise SystemExit(f"bad override {item!r} in {spec!r}: expected key=value")
        overrides[k.strip()] = yaml.safe_load(v)
    return recipe, overrides


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="RECIPE or RECIPE:key=value,...")
    ap.add_argument("--out", default="/tmp/cls_recipes")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--imgsz", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reduction", choices=("mean", "sum"), default="mean")
    a = ap.parse_args()
    root = Path(a.out) / "data"
    if not (root / ".complete").exists():
        build_digits_cls_dataset(root, per_class_train=100, per_class_val=50)
    get_task("classify").loss_reduction = a.reduction
    for spec in a.runs:
        recipe, overrides = parse_run(spec)
        kw = dict(model="yolov12n-cls.yaml", data=str(root), epochs=a.epochs, imgsz=a.imgsz, batch=a.batch,
                  workers=0, recipe=recipe, plots=False, verbose=False, cache="ram")
        kw.update(overrides)
        name = re.sub(r"[^A-Za-z0-9_.=-]+", "_", f"{spec}_{a.reduction}_e{kw['epochs']}")
        t = time.time()
        r = train(TrainConfig(**kw, project=str(Path(a.out) / "runs"), name=name, exist_ok=True))
        rows = list(csv.DictReader(open(r.save_dir / "results.csv")))
        print(f"{spec} [{a.reduction}] ({time.time() - t:.0f} s) top-1 per epoch: "
              + " ".join(f"{float(x['top1']):.3f}" for x in rows)
              + " | train loss: " + " ".join(f"{float(x['train/loss']):.2f}" for x in rows), flush=True)


if __name__ == "__main__":
    main()
