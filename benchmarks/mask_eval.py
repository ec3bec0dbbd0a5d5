"""Mask (iouType segm) COCO evaluation: ours (MaskEvaluator) vs pycocotools vs faster-coco-eval, same data, same run.

Synthetic data: N images of H x W with 2-12 ground-truth masks each (random filled ellipses, 10 % crowd, some tiny),
per image noisy copies of the ground truth plus false positives (D detections), 10 classes. Times (one process,
``--repeat`` rounds, each running all three with the order rotated, so contention hits all alike; medians):
  ours             = MaskEvaluator.update_masks() for every image (dense bool masks in) + compute();
  pycocotools      = masks -> RLE (maskUtils.encode) + COCO index + loadRes + evaluate + accumulate + summarize;
  faster-coco-eval = the same with faster_coco_eval's COCO / COCOeval_faster (if installed; dev-only).
The 12 stats are checked to agree.

    python benchmarks/mask_eval.py [--images 300] [--size 160] [--dets 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from yolov12.evaluation.segment_eval import MaskEvaluator  # noqa: E402
from yolov12.evaluation.coco_eval import STAT_NAMES  # noqa: E402


def make_data(n: int, size: int, dets: int, nc: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        gts, gcls, crowd = [], [], []
        for j in range(int(rng.integers(2, 13))):
            m = np.zeros((size, size), np.uint8)
            r = int(rng.integers(1, size // 4)) if j else 1  # first one tiny
            c = rng.integers(0, size, 2)
            cv2.ellipse(m, (int(c[0]), int(c[1])), (r, int(rng.integers(1, size // 4))), float(rng.uniform(0, 180)),
                        0, 360, 1, -1)
            gts.append(m.astype(bool))
            gcls.append(int(rng.integers(nc)))
            crowd.append(bool(rng.random() < 0.1))
        dm, ds, dc = [], [], []
        for _ in range(dets):
            k = int(rng.integers(len(gts)))
            if rng.random() < 0.6:
                shift = rng.integers(-3, 4, 2)
                m = np.roll(gts[k], tuple(int(s) for s in shift), (0, 1))
                c = gcls[k] if rng.random() < 0.9 else int(rng.integers(nc))
            else:
                m = np.zeros((size, size), np.uint8)
                cv2.circle(m, tuple(int(v) for v in rng.integers(0, size, 2)), int(rng.integers(2, size // 5)), 1, -1)
                m, c = m.astype(bool), int(rng.integers(nc))
            dm.append(m)
            ds.append(float(rng.random()))
            dc.append(c)
        gm, dm = np.stack(gts), np.stack(dm)
        boxes = (np.array([_box(m) for m in gm], np.float64), np.array([_box(m) for m in dm], np.float64))
        out.append((gm, np.array(gcls), np.array(crowd), dm, np.array(ds), np.array(dc), boxes))
    return out


def _box(m):
    ys, xs = np.nonzero(m)
    return [0, 0, 0, 0] if len(xs) == 0 else [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def run_ours(data, nc):
    import torch
    ev = MaskEvaluator(nc)
    for gm, gc, cr, dm, ds, dc, (gb, db) in data:
        ev.update_masks(db, ds, dc, torch.from_numpy(dm), gb, gc, torch.from_numpy(gm), cr)
    m = ev.compute()
    return np.array([getattr(m, k) for k in STAT_NAMES])


def run_coco(data, nc, COCO, COCOeval, mask_utils):
    ds_ = {"images": [], "annotations": [], "categories": [{"id": c} for c in range(nc)]}
    res = []
    for i, (gm, gc, cr, dm, ds, dc, (gb, _)) in enumerate(data):
        h, w = gm.shape[1:]
        ds_["images"].append({"id": i, "height": h, "width": w})
        g_rle = mask_utils.encode(np.asfortranarray(gm.transpose(1, 2, 0).astype(np.uint8)))
        for m, r, c, k, (x1, y1, x2, y2) in zip(gm, g_rle, gc, cr, gb):
            ds_["annotations"].append({"id": len(ds_["annotations"]) + 1, "image_id": i, "category_id": int(c),
                                       "segmentation": r, "area": float(m.sum()), "iscrowd": int(k),
                                       "bbox": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]})
        d_rle = mask_utils.encode(np.asfortranarray(dm.transpose(1, 2, 0).astype(np.uint8)))
        res += [{"image_id": i, "category_id": int(c), "segmentation": r, "score": float(s)}
                for r, s, c in zip(d_rle, ds, dc)]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = ds_
        gt.createIndex()
        dt = gt.loadRes(res)
        e = COCOeval(gt, dt, "segm")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return np.asarray(e.stats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--dets", type=int, default=40)
    ap.add_argument("--nc", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; each runs every evaluator once, order rotated")
    args = ap.parse_args()
    data = make_data(args.images, args.size, args.dets, args.nc)
    n_gt = sum(len(d[1]) for d in data)
    print(f"data: {args.images} images {args.size}x{args.size}, {n_gt} gt masks, {args.images * args.dets} detections")
    runners = {"ours": lambda: run_ours(data, args.nc)}
    from pycocotools import mask as pmask
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    runners["pycocotools"] = lambda: run_coco(data, args.nc, COCO, COCOeval, pmask)
    try:
        from faster_coco_eval import COCO as FCOCO, COCOeval_faster
        from faster_coco_eval.core import mask as fmask
        runners["faster-coco-eval"] = lambda: run_coco(data, args.nc, FCOCO, COCOeval_faster, fmask)
    except ImportError:
        print("faster-coco-eval not installed: skipped (pip install faster-coco-eval)")
    names = list(runners)
    runs: dict[str, list[float]] = {k: [] for k in names}
    stats = {}
    for r in range(max(1, args.repeat)):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            stats[name] = runners[name]()
            runs[name].append(time.perf_counter() - t0)
    times = {k: float(np.median(v)) for k, v in runs.items()}
    for name in names:
        diff = np.abs(stats[name] - stats["pycocotools"]).max()
        print(f"{name:>17}: median {times[name]:6.3f} s of {len(runs[name])} "
              f"[{' '.join(f'{t:.3f}' for t in runs[name])}]   mask mAP50-95 {stats[name][0]:.4f}   "
              f"max |stat - pycocotools| {diff:.1e}   {name} / ours = {times[name] / times['ours']:.2f}")

if __name__ == "__main__":
    main()
