"""Time the prediction pipeline (letterbox -> model -> NMS -> Results) per stage on CPU.

Default: an untrained, fused YOLOv12-n (80 classes) on a 480x640 random BGR image at imgsz 640, conf 0.25.
Prints the settings and the median milliseconds per image for preprocess / inference / postprocess.

    python benchmarks/predict.py [--scale n] [--weights FILE] [--source IMAGE] [--imgsz 640]
                                 [--height 480 --width 640] [--runs 7] [--threads N] [--default-path]
                                 [--denormal] [--count-denormals]

``--weights`` predicts with a weight file instead (e.g. yolov12/assets/weights/yolov12n-digits.safetensors),
``--source`` on an image file instead of random pixels. ``--default-path`` runs the model ``YOLO.predict`` runs
(BN folded, channels-last, a frozen graph once an input shape repeats) instead of the plain fused one.
``--denormal`` times every run twice, interleaved: with ``torch.set_flush_denormal(True)`` (denormal floats
flushed to zero) and without, to show whether flushing pays for inference; ``--count-denormals`` counts the
subnormal values among the outputs of every leaf module in one eager prediction (flushing can only pay if
there are some).
"""

from __future__ import annotations

import argparse
import statistics

import cv2
import numpy as np
import torch

from yolov12.api import YOLO
from yolov12.inference import PredictConfig, Predictor
from yolov12.models import build_model
from yolov12.tasks import get_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="n")
    ap.add_argument("--weights", default="")
    ap.add_argument("--source", default="")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--default-path", action="store_true", help="the model YOLO.predict runs")
    ap.add_argument("--denormal", action="store_true", help="interleave runs with and without flush-denormal")
    ap.add_argument("--count-denormals", action="store_true", help="count subnormal leaf-module outputs")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    yolo = YOLO(args.weights) if args.weights else YOLO(build_model(args.scale, nc=80))
    model = yolo._predictor_model("cpu") if args.default_path else yolo.model.fuse().eval()
    predictor = Predictor(model, yolo.names, PredictConfig(imgsz=args.imgsz, conf=args.conf), get_task("detect"))
    if args.source:
        img = cv2.imread(args.source)
    else:
        img = np.random.default_rng(0).integers(0, 256, (args.height, args.width, 3), dtype=np.uint8)
    if args.count_denormals:
        count_denormals(yolo, img, args.imgsz)
        return
    modes = (True, False) if args.denormal else (None,)
    for flush in modes:  # warm-up (and, on the default path, the frozen graph for this shape)
        for _ in range(model.after if args.default_path else 1):
            if flush is not None:
                torch.set_flush_denormal(flush)
            predictor(img)
    speeds: dict = {m: [] for m in modes}
    for _ in range(args.runs):
        for flush in modes:
            if flush is not None:
                torch.set_flush_denormal(flush)
            speeds[flush].append(predictor(img)[0].speed)
    torch.set_flush_denormal(False)
    h, w = img.shape[:2]
    print(
        f"{args.weights or 'untrained yolov12' + args.scale} image {h}x{w} "
        f"{args.source or 'random'} imgsz {args.imgsz} conf {args.conf} threads {torch.get_num_threads()} "
        f"runs {args.runs}{' (interleaved)' if args.denormal else ''} "
        f"{'default path' if args.default_path else 'plain fused'}"
    )
    for flush, sp in speeds.items():
        if flush is not None:
            print(f" flush-denormal {'on ' if flush else 'off'}")
        for stage in ("preprocess", "inference", "postprocess"):
            t = [s[stage] for s in sp]
            print(f"  {stage:12s} {statistics.median(t):8.2f} ms (min {min(t):.2f})")


def count_denormals(yolo: YOLO, img, imgsz: int) -> None:
    """One eager prediction with the default-path model; print how many leaf-module outputs are subnormal."""
    tiny = torch.finfo(torch.float32).tiny
    counts = {"subnormal": 0, "values": 0}

    def hook(module, inputs, out):
        for t in out if isinstance(out, list | tuple) else [out]:
            if isinstance(t, torch.Tensor) and t.is_floating_point():
                counts["subnormal"] += int(((t != 0) & (t.abs() < tiny)).sum())
                counts["values"] += t.numel()

    model = yolo._predictor_model("cpu", graphs=False)
    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    Predictor(model, yolo.names, PredictConfig(imgsz=imgsz), get_task("detect"))(img)
    for h in handles:
        h.remove()
    print(f"image {img.shape[0]}x{img.shape[1]} imgsz {imgsz}: {counts['subnormal']} subnormal values among "
          f"{counts['values']} leaf-module outputs")


if __name__ == "__main__":
    main()
