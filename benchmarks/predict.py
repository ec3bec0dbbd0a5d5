"""Time the prediction pipeline (letterbox -> model -> NMS -> Results) per stage on CPU.

Default: an untrained, fused YOLOv12-n (80 classes) on a 480x640 random BGR image at imgsz 640, conf 0.25.
Prints the settings and the median milliseconds per image for preprocess / inference / postprocess.

    python benchmarks/predict.py [--scale n] [--imgsz 640] [--height 480 --width 640] [--runs 7] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch

from yolov12.inference import PredictConfig, Predictor
from yolov12.models import build_model
from yolov12.tasks import get_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="n")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model = build_model(args.scale, nc=80).fuse().eval()
    predictor = Predictor(model, [str(i) for i in range(80)], PredictConfig(imgsz=args.imgsz, conf=args.conf),
                          get_task("detect"))
    img = np.random.default_rng(0).integers(0, 256, (args.height, args.width, 3), dtype=np.uint8)
    predictor(img)  # warm-up
    speeds = [predictor(img)[0].speed for _ in range(args.runs)]
    print(
        f"yolov12{args.scale} image {args.height}x{args.width} imgsz {args.imgsz} conf {args.conf} "
        f"threads {torch.get_num_threads()} runs {args.runs}"
    )
    for stage in ("preprocess", "inference", "postprocess"):
        print(f"  {stage:12s} {statistics.median(s[stage] for s in speeds):8.2f} ms")


if __name__ == "__main__":
    main()
