"""Our OKS keypoint evaluation vs pycocotools and faster-coco-eval (iouType 'keypoints') on the same synthetic
person-keypoint data, in one process, interleaved (``--repeat`` rounds, median per tool).

Default: 3,000 images, 1 class, 17 keypoints (COCO sigmas), ~3.7 ground truths per image (8 % crowd, some without
labelled keypoints, tiny to large), ~1.5 jittered detections per ground truth plus false positives. Times:
  ours            = evaluate_keypoints (OKS matching + accumulate + the 10 stats), from flat arrays;
  pycocotools     = COCO index + loadRes + evaluate + accumulate + summarize, from in-memory dicts;
  faster-coco-eval = the same with its COCO / COCOeval_faster.
Checks that the stats agree (max abs difference printed).

    python benchmarks/pose_eval.py [--images 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # script: make tests/ importable for the fixture

from tests.evaluation._pose_fixtures import make_pose_data, pycocotools_keypoints, to_coco  # noqa: E402
from yolov12.evaluation.pose_eval import evaluate_keypoints  # noqa: E402
from yolov12.loss.pose import default_sigmas  # noqa: E402


def faster(gt_json: dict, dets: list[dict], sigmas) -> np.ndarray | None:
    try:
        from faster_coco_eval import COCO, COCOeval_faster
    except ImportError:
        return None
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(copy.deepcopy(gt_json))
        res = coco.loadRes(copy.deepcopy(dets))
        e = COCOeval_faster(coco, res, "keypoints", kpt_oks_sigmas=list(sigmas), print_function=lambda *a: None)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return np.asarray(e.stats[:10])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    gt, dt = make_pose_data(args.images, 1, 17, seed=0)
    sigmas = default_sigmas((17, 3))
    gt_json, dets = to_coco(gt, dt, args.images, 1)
    print(f"data: {args.images} images, {len(gt.cls)} ground truths ({int(gt.crowd.sum())} crowd), "
          f"{len(dt.cls)} detections")
    times: dict[str, list[float]] = {"ours": [], "pycocotools": [], "faster-coco-eval": []}
    stats = {}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        stats["ours"] = evaluate_keypoints(gt, dt, 1, sigmas)[2]
        times["ours"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        stats["pycocotools"] = pycocotools_keypoints(copy.deepcopy(gt_json), copy.deepcopy(dets), sigmas)
        times["pycocotools"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        f = faster(gt_json, dets, sigmas)
        if f is not None:
            stats["faster-coco-eval"] = f
            times["faster-coco-eval"].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) for k, v in times.items() if v}
    for k, v in med.items():
        diff = np.abs(stats[k] - stats["pycocotools"]).max()
        print(f"{k:17s} {v:7.3f} s (median of {len(times[k])})  ratio to ours {v / med['ours']:6.2f}x  "
              f"OKS mAP50-95 {stats[k][0]:.6f}  max |stat - pycocotools| {diff:.2e}")


if __name__ == "__main__":
    main()
