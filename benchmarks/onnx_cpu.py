"""ONNX CPU latency: our exported n and s against the published reference graph, same run, same settings.

    /work/venv/bin/python benchmarks/onnx_cpu.py [--threads 2] [--runs 50] [--int8]

Median latency of batch 1, 640x640, onnxruntime CPU (graph optimisation ORT_ENABLE_ALL) for each graph;
the sessions are timed round-robin so machine load affects all of them alike. Prints ours / reference.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from yolov12.export import ExportConfig, export_model
from yolov12.models.detection import build_model

REFERENCE = Path("/work/shared/reference/yolo12n-reference.onnx")


def session(path: Path, threads: int, level: ort.GraphOptimizationLevel) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.graph_optimization_level = level
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--scales", default="n,s")
    ap.add_argument("--basic", action="store_true", help="ORT_ENABLE_BASIC instead of ORT_ENABLE_ALL")
    ap.add_argument("--int8", action="store_true", help="also time static INT8 (QDQ) versions of our graphs")
    args = ap.parse_args()
    level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC if args.basic else ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    tmp = Path(tempfile.mkdtemp(prefix="onnx_cpu_"))
    graphs = {"reference n": REFERENCE}
    for scale in args.scales.split(","):
        graphs[f"ours {scale}"] = export_model(
            build_model(scale), ExportConfig(imgsz=640, output=tmp / f"yolov12{scale}.onnx")
        )
        if args.int8:
            from yolov12.export.quantize import quantize_int8

            graphs[f"ours {scale} int8"] = quantize_int8(graphs[f"ours {scale}"], tmp / f"yolov12{scale}-int8.onnx")
    sessions = {k: session(p, args.threads, level) for k, p in graphs.items()}
    x = np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for s in sessions.values():  # warm-up
        for _ in range(3):
            s.run(None, {s.get_inputs()[0].name: x})
    for _ in range(args.runs):
        for k, s in sessions.items():
            t = time.perf_counter()
            s.run(None, {s.get_inputs()[0].name: x})
            times[k].append((time.perf_counter() - t) * 1e3)
    ref = statistics.median(times["reference n"])
    print(f"onnxruntime {ort.__version__}, {args.threads} threads, {level.name}, batch 1, 640x640, {args.runs} runs")
    for k, ts in times.items():
        med = statistics.median(ts)
        print(f"{k:>16}: median {med:7.1f} ms  (ratio to reference n: {med / ref:.2f})")


if __name__ == "__main__":
    main()
