"""Our rotated mAP (OBBEvaluator: batched exact polygon IoU in torch) vs a straightforward shapely loop (one
polygon pair at a time, COCO matching, 101-point AP), on the same synthetic rotated boxes, in the same process.
Checks that mAP50 and mAP50-95 agree and prints both times.

    python benchmarks/obb_eval.py [--images 200] [--nc 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # script: make tests/ importable for the fixture

import torch  # noqa: E402

from tests.evaluation.test_obb_eval import make_case, reference_map  # noqa: E402
from yolov12.evaluation.obb_eval import OBBEvaluator  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--nc", type=int, default=5)
    args = ap.parse_args()
    images = make_case(0, n_img=args.images, nc=args.nc)
    print(f"data: {args.images} images, {sum(len(g) for _, g, _ in images)} gt, "
          f"{sum(len(p) for p, _, _ in images)} detections, {args.nc} classes")
    t = time.perf_counter()
    ev = OBBEvaluator([str(i) for i in range(args.nc)])
    for pred, gt, gc in images:
        ev.update(torch.tensor(pred), {"rboxes": torch.tensor(gt), "cls": torch.tensor(gc)})
    m = ev.compute()
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    map50, map5095 = reference_map(images, args.nc)
    t_ref = time.perf_counter() - t
    print(f"ours    : mAP50 {m.map50:.6f}  mAP50-95 {m.map50_95:.6f}  {t_ours:.2f} s")
    print(f"shapely : mAP50 {map50:.6f}  mAP50-95 {map5095:.6f}  {t_ref:.2f} s")
    print(f"max |difference| {max(abs(m.map50 - map50), abs(m.map50_95 - map5095)):.2e}; "
          f"ours {t_ref / t_ours:.1f}x faster")


if __name__ == "__main__":
    main()
