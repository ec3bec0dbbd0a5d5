"""Our COCO evaluation vs pycocotools on the same synthetic data, in the same process.

Default: 5,000 images x 300 detections, 80 classes, ~7 ground-truth boxes per image (10 % crowd). Times:
  ours        = DetectionEvaluator.update() for every image + compute() (all 12 stats, per-class AP, P/R/F1,
                confusion matrix);
  pycocotools = COCO index + loadRes + evaluate + accumulate + summarize, from in-memory dicts (no JSON I/O).
Also checks that the 12 stats agree and prints the largest difference.

    python benchmarks/coco_eval.py [--images 5000] [--dets 300] [--nc 80] [--skip-pycocotools]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # script: make tests/ importable for the fixture

from tests.evaluation._fixtures import make_dataset, run_pycocotools  # noqa: E402
from yolov12.evaluation import DetectionEvaluator  # noqa: E402
from yolov12.evaluation.coco_eval import STAT_NAMES  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--dets", type=int, default=300)
    ap.add_argument("--nc", type=int, default=80)
    ap.add_argument("--skip-pycocotools", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = make_dataset(args.images, args.nc, args.dets, seed=0, max_gt=14)
    n_gt = sum(len(d.gt_classes) for d in data)
    n_dt = sum(len(d.pred_classes) for d in data)
    print(f"data: {args.images} images, {args.nc} classes, {n_gt} gt ({sum(int(d.gt_crowd.sum()) for d in data)} "
          f"crowd), {n_dt} detections [generated in {time.perf_counter() - t0:.1f}s]")

    t0 = time.perf_counter()
    ev = DetectionEvaluator(args.nc)
    for d in data:
        ev.update(d.pred_boxes, d.pred_scores, d.pred_classes, d.gt_boxes, d.gt_classes, gt_crowd=d.gt_crowd,
                  gt_area=d.gt_area, image_id=d.image_id)
    t_update = time.perf_counter() - t0
    t0 = time.perf_counter()
    metrics = ev.compute()
    t_compute = time.perf_counter() - t0
    ours = t_update + t_compute
    print(f"ours:        {ours:7.2f} s  (update {t_update:.2f} s + compute {t_compute:.2f} s)")
    if args.skip_pycocotools:
        return

    dataset, results = ev.to_coco()
    t0 = time.perf_counter()
    ref = run_pycocotools(dataset, results)
    theirs = time.perf_counter() - t0
    diff = np.abs(np.array([getattr(metrics, n) for n in STAT_NAMES]) - ref.stats)
    print(f"pycocotools: {theirs:7.2f} s  (index + loadRes + evaluate + accumulate + summarize)")
    print(f"speed-up: {theirs / ours:.1f}x   max |stat difference|: {diff.max():.2e}")
    for name, ours_v, ref_v in zip(STAT_NAMES, (getattr(metrics, n) for n in STAT_NAMES), ref.stats):
        print(f"  {name:<11} ours {ours_v:.6f}  pycocotools {ref_v:.6f}")


if __name__ == "__main__":
    main()
