"""A one-off prediction on a folder: eager model vs the per-shape frozen graphs (ShapeCachedGraphs) at two
thresholds, each from a fresh inference model (as one ``yolov12 predict`` call) and then again warm (as a server).

Default: the shipped digits model on the 40 embedded digits val images at imgsz 224 (3 letterboxed shapes).
Prints the input shapes, then per mode the seconds of each pass and how many graphs were traced (and their cost).

    python benchmarks/predict_folder.py [--weights FILE] [--source DIR] [--imgsz 224] [--reps 1] [--after 3 100]
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import yolov12.models.optimize as optimize
from yolov12.api import YOLO
from yolov12.data.embedded import embedded_dataset
from yolov12.demo import SHIPPED
from yolov12.inference.predictor import PredictConfig, Predictor
from yolov12.tasks import get_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=str(SHIPPED))
    ap.add_argument("--source", default="")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--after", type=int, nargs="+", default=[3, 100])
    args = ap.parse_args()
    folder = Path(args.source) if args.source else Path(embedded_dataset("digits")).parent / "images" / "val"
    images = sorted(str(p) for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"))
    yolo = YOLO(args.weights)
    cfg = PredictConfig(imgsz=args.imgsz, verbose=False)
    task = get_task("detect")

    traces: list[float] = []
    trace = optimize.freeze_trace

    def timed_trace(model, x):
        t0 = time.perf_counter()
        graph = trace(model, x)
        traces.append(time.perf_counter() - t0)
        return graph

    optimize.freeze_trace = timed_trace  # ShapeCachedGraphs looks it up in the module at call time
    shapes: collections.Counter = collections.Counter()
    eager = yolo._predictor_model("cpu", graphs=False)
    hook = eager.register_forward_pre_hook(lambda m, a: shapes.update([tuple(a[0].shape[2:])]))
    Predictor(eager, yolo.names, cfg, task)(images)
    hook.remove()
    print(f"{len(images)} images from {folder} at imgsz {args.imgsz}; input shapes {dict(shapes)}")
    for rep in range(args.reps):
        for after in [0, *args.after]:  # 0: eager
            yolo._inference_model = None  # a fresh inference model: no graphs yet
            model = yolo._predictor_model("cpu", graphs=after > 0)
            if after:
                model.after = after
            passes = []
            for _ in range(2):
                traces.clear()
                t0 = time.perf_counter()
                Predictor(model, yolo.names, cfg, task)(images)
                passes.append(f"{time.perf_counter() - t0:6.2f} s ({len(traces)} traces, {sum(traces):.1f} s)")
            mode = f"after={after}" if after else "eager"
            print(f"  rep {rep} {mode:10s} first {passes[0]}   second {passes[1]}")


if __name__ == "__main__":
    main()
