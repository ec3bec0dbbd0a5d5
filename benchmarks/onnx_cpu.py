"""ONNX CPU latency: our exported n and s against the published reference graph, same run, same settings.

    /work/venv/bin/python benchmarks/onnx_cpu.py [--threads 2] [--runs 40] [--int8] [--mode both|interleaved|blocks]

Median latency of batch 1, 640x640, onnxruntime CPU (graph optimisation ORT_ENABLE_ALL, 2 intra-op threads)
for each graph, ours / reference printed as a ratio. Our n is exported from the reference graph's own weights
(``yolo12n-reference.safetensors``), and the script first prints how far the two graphs' outputs differ. Two
ways of sharing the machine fairly, both printed:

- ``interleaved``: one run of each graph per round in a shuffled order, sessions built with
  ``session.intra_op.allow_spinning=0``. The steadiest comparison (ratio within about 0.02 between repeats
  here), since drift hits every graph alike.
- ``blocks``: onnxruntime's default spinning thread pools, graphs timed in shuffled blocks of ``--block``
  runs after a pause (the first run of each block dropped). Run-by-run interleaving is wrong with spinning
  pools: each session's pool threads spin for a while after its run, and on a 2-core machine they slow the
  next session's run by about 35 ms (measured: 106 / 96 ms interleaved against 69 / 58 ms in blocks for the
  reference / our n), hiding the graphs' own difference. Blocks see more drift between graphs (0.8-0.9).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from yolov12.export import ExportConfig, export_model
from yolov12.models.detection import build_model
from yolov12.tasks import load_model

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
REFERENCE = SHARED / "yolo12n-reference.onnx"
REFERENCE_WEIGHTS = SHARED / "yolo12n-reference.safetensors"  # the weights inside REFERENCE


def session(path: Path, threads: int, level: ort.GraphOptimizationLevel, spin: bool) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.graph_optimization_level = level
    if not spin:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def measure(graphs: dict[str, Path], args, level, mode: str) -> dict[str, list[float]]:
    """Latencies in ms per graph, timed the ``mode`` way (see the module docstring)."""
    sessions = {k: session(p, args.threads, level, spin=mode == "blocks") for k, p in graphs.items()}
    x = np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)

    def timed(s: ort.InferenceSession) -> float:
        t = time.perf_counter()
        s.run(None, {s.get_inputs()[0].name: x})
        return (time.perf_counter() - t) * 1e3

    for s in sessions.values():  # warm-up
        for _ in range(3):
            timed(s)
    times: dict[str, list[float]] = {k: [] for k in sessions}
    rng = random.Random(0)
    while min(len(t) for t in times.values()) < args.runs:
        order = list(sessions.items())
        rng.shuffle(order)  # a fresh order each round: no graph always follows the same one (worth ~2% here)
        for k, s in order:
            if mode == "interleaved":
                times[k].append(timed(s))
                continue
            time.sleep(args.pause)  # let the previous session's pool threads stop spinning
            timed(s)  # first run of a block: this session's caches and threads warm up again
            times[k] += [timed(s) for _ in range(args.block)]
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--scales", default="n,s")
    ap.add_argument("--mode", choices=("both", "interleaved", "blocks"), default="both")
    ap.add_argument("--basic", action="store_true", help="ORT_ENABLE_BASIC instead of ORT_ENABLE_ALL")
    ap.add_argument("--block", type=int, default=5, help="blocks mode: timed runs per graph before the next")
    ap.add_argument("--pause", type=float, default=0.2, help="blocks mode: seconds of rest before each block")
    ap.add_argument("--int8", action="store_true", help="also time static INT8 (QDQ) versions of our graphs")
    args = ap.parse_args()
    level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC if args.basic else ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    tmp = Path(tempfile.mkdtemp(prefix="onnx_cpu_"))
    graphs = {"reference n": REFERENCE}
    for scale in args.scales.split(","):
        # n: the reference graph's own weights, so both graphs compute the same function (checked below); the
        # speed does not depend on it (untrained weights measured the same: 0.85-0.87 vs 0.84-0.86)
        same = scale == "n" and REFERENCE_WEIGHTS.is_file()
        model = load_model(REFERENCE_WEIGHTS)[0] if same else build_model(scale)
        graphs[f"ours {scale}"] = export_model(model, ExportConfig(imgsz=640, output=tmp / f"yolov12{scale}.onnx"))
        if args.int8:
            from yolov12.export.quantize import quantize_int8

            graphs[f"ours {scale} int8"] = quantize_int8(graphs[f"ours {scale}"], tmp / f"yolov12{scale}-int8.onnx")
    if "ours n" in graphs and REFERENCE_WEIGHTS.is_file():
        x = np.random.default_rng(1).random((1, 3, 640, 640), dtype=np.float32)
        ref, ours = (session(graphs[k], args.threads, level, spin=False).run(None, {"images": x})[0]
                     for k in ("reference n", "ours n"))
        print(f"same weights, same input: max |ours n - reference n| / max |reference n| = "
              f"{np.abs(ours - ref).max() / np.abs(ref).max():.1e}")
    modes = ("interleaved", "blocks") if args.mode == "both" else (args.mode,)
    for mode in modes:
        times = measure(graphs, args, level, mode)
        ref = statistics.median(times["reference n"])
        n = min(len(t) for t in times.values())
        how = "interleaved run by run, no spinning" if mode == "interleaved" else f"blocks of {args.block}, spinning"
        print(f"onnxruntime {ort.__version__}, {args.threads} threads, {level.name}, batch 1, 640x640, {n} runs each, "
              f"{how}")
        for k, ts in times.items():
            med = statistics.median(ts)
            print(f"{k:>16}: median {med:7.1f} ms  (ratio to reference n: {med / ref:.2f})")


if __name__ == "__main__":
    main()
