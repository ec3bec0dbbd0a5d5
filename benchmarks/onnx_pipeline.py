"""Whole predict / val loops through onnxruntime: idle pool threads sleeping (our default) against spinning.

    /work/venv/bin/python benchmarks/onnx_pipeline.py [--imgsz 224] [--repeats 3]

Exports the shipped digits model to ONNX, then times ``YOLO(onnx).val(data="digits", batch=1)`` and
``predict`` over the 40 digits validation images with ``load_onnx(spin=False)`` (the default) and
``spin=True`` (onnxruntime's own default), alternating, and prints the median seconds and the ratio. Between
graph runs the loop letterboxes, runs NMS and builds results on the same cores; spinning pool threads compete
with that work.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from yolov12 import YOLO
from yolov12.data.embedded import embedded_dataset
from yolov12.demo import SHIPPED
from yolov12.export import load_onnx
from yolov12.utils import LOGGER


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="onnx_pipeline_"))
    path = YOLO(SHIPPED).export(imgsz=args.imgsz, output=tmp / "digits.onnx")
    images = embedded_dataset("digits").parent / "images" / "val"
    LOGGER.setLevel(logging.WARNING)
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.repeats):
        for spin in (False, True):
            model = YOLO(path)
            model.model = load_onnx(path, spin=spin)
            t = time.perf_counter()
            model.val(data="digits", batch=1, workers=0, plots=False, verbose=False, project=str(tmp / "val"))
            times.setdefault(("val", spin), []).append(time.perf_counter() - t)
            t = time.perf_counter()
            model.predict(images)
            times.setdefault(("predict", spin), []).append(time.perf_counter() - t)
    print(f"digits model, onnxruntime 2 threads, {args.imgsz} px, 40 val images, batch 1, {args.repeats} repeats")
    for task in ("val", "predict"):
        quiet, spinning = (statistics.median(times[(task, s)]) for s in (False, True))
        print(f"  {task:>7}: no spinning {quiet:.2f} s, spinning {spinning:.2f} s (ratio {quiet / spinning:.2f})")


if __name__ == "__main__":
    main()
