"""ONNX CPU latency: our exported n and s against the published reference graph, same run, same settings.

    /work/venv/bin/python benchmarks/onnx_cpu.py [--threads 2] [--runs 50] [--int8]

Median latency of batch 1, 640x640, onnxruntime CPU (graph optimisation ORT_ENABLE_ALL) for each graph.
Prints ours / reference. The graphs are timed in alternating blocks of ``--block`` runs (the first run of each
block discarded, a pause before it), so machine load affects all of them alike. Not round-robin run by run:
each session owns a thread pool whose threads spin for a while after a run, and on a 2-core machine the
previous session's spinning threads then slow the next session's run by about 35 ms (measured: 106 / 96 ms
round-robin against 69 / 58 ms in blocks for the reference / our n), which hides the graphs' own difference.
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
    ap.add_argument("--block", type=int, default=5, help="timed runs per graph before switching to the next")
    ap.add_argument("--pause", type=float, default=0.2, help="seconds of rest before each block")
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

    def timed(s: ort.InferenceSession) -> float:
        t = time.perf_counter()
        s.run(None, {s.get_inputs()[0].name: x})
        return (time.perf_counter() - t) * 1e3

    for s in sessions.values():  # warm-up
        for _ in range(3):
            timed(s)
    while min(len(t) for t in times.values()) < args.runs:
        for k, s in sessions.items():
            time.sleep(args.pause)  # let the previous session's pool threads stop spinning
            timed(s)  # first run of a block: caches and threads of this session warm up again
            times[k] += [timed(s) for _ in range(args.block)]
    ref = statistics.median(times["reference n"])
    n = min(len(t) for t in times.values())
    print(f"onnxruntime {ort.__version__}, {args.threads} threads, {level.name}, batch 1, 640x640, {n} runs each "
          f"in blocks of {args.block}")
    for k, ts in times.items():
        med = statistics.median(ts)
        print(f"{k:>16}: median {med:7.1f} ms  (ratio to reference n: {med / ref:.2f})")


if __name__ == "__main__":
    main()
