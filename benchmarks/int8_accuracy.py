"""INT8 (static QDQ) against float32 ONNX on a real validation set: mAP change and latency, same run.

    /work/venv/bin/python benchmarks/int8_accuracy.py [--imgsz 224] [--threads 1]

Exports the shipped digits model (trained by this project on real handwritten digits) to float32 ONNX and to
INT8 calibrated on the shipped real images, validates both through onnxruntime on the 40 digits validation
images (batch 1, letterbox at the exported size), times both on one letterboxed image in alternating blocks,
and prints mAP50-95 / mAP50, the change in points and the latency ratio.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from yolov12 import YOLO
from yolov12.demo import SHIPPED
from yolov12.export import load_onnx
from yolov12.utils import LOGGER


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="int8_"))
    model = YOLO(SHIPPED)
    paths = {
        "fp32": model.export(imgsz=args.imgsz, output=tmp / "fp32.onnx"),
        "int8": model.export(imgsz=args.imgsz, int8=True, output=tmp / "int8.onnx"),
    }
    LOGGER.setLevel(logging.WARNING)
    maps, times = {}, {}
    for k, p in paths.items():
        m = YOLO(p)
        m.model = load_onnx(p, threads=args.threads)  # the default backend runs 2 threads
        r = m.val(data="digits", imgsz=args.imgsz, batch=1, workers=0, plots=False, verbose=False,
                  project=str(tmp / "val"), name=k)
        maps[k] = (r.metrics.map50_95, r.metrics.map50)
        times[k] = (m.model, [])
    x = np.random.default_rng(0).random((1, 3, args.imgsz, args.imgsz), dtype=np.float32)
    xt = torch.from_numpy(x)
    while min(len(t) for _, t in times.values()) < args.runs:
        for backend, ts in times.values():
            time.sleep(0.1)
            backend(xt)
            for _ in range(5):
                t = time.perf_counter()
                backend(xt)
                ts.append((time.perf_counter() - t) * 1e3)
    med = {k: statistics.median(ts) for k, (_, ts) in times.items()}
    print(f"digits val (40 images), {args.imgsz} px, batch 1, onnxruntime {args.threads} thread(s)")
    for k in paths:
        print(f"  {k}: mAP50-95 {maps[k][0]:.4f}  mAP50 {maps[k][1]:.4f}  latency {med[k]:.1f} ms")
    d = (maps["int8"][0] - maps["fp32"][0]) * 100
    print(f"  int8 - fp32: {d:+.2f} mAP50-95 points, {(maps['int8'][1] - maps['fp32'][1]) * 100:+.2f} mAP50 points; "
          f"latency ratio {med['int8'] / med['fp32']:.2f}")


if __name__ == "__main__":
    main()
