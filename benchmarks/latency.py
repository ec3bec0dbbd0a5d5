"""Median forward latency of our default inference path against the reference TorchScript graph (CPU).

Batch 1, random input, ``torch.inference_mode()``. Ours: an untrained model of each scale put on the default
inference path by :func:`yolov12.models.prepare_for_inference` (BN folded, eval, channels-last on CPU). The
reference: ``/work/shared/reference/yolo12n-reference.torchscript`` (BN folded, traced) via ``torch.jit.load``,
timed in the same loop, interleaved with ours run by run so load from other processes hits both alike.

    python benchmarks/latency.py [--scales n s] [--imgsz 640] [--runs 30] [--warmup 5] [--threads 2]
                                 [--channels-last {auto,on,off}] [--dtype float32] [--jit] [--compile]
                                 [--plain]

``--plain`` also times the plain fused NCHW eager model (the path before this benchmark's optimisations);
``--jit`` also times a traced + frozen TorchScript graph of the optimised model; ``--compile`` also times
``torch.compile`` (inductor) and reports its compile time. ``--dtype bfloat16/float16`` runs ours under CPU
autocast.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from yolov12.models import build_model, prepare_for_inference
from yolov12.models.optimize import ShapeCachedGraphs

REFERENCE = Path(os.environ.get("YOLOV12_REFERENCE_DIR", "/work/shared/reference")) / "yolo12n-reference.torchscript"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="+", default=["n", "s"])
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto")
    ap.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32")
    ap.add_argument("--plain", action="store_true", help="also time the plain fused NCHW eager model")
    ap.add_argument("--jit", action="store_true", help="also time trace + freeze of the optimised model")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (inductor)")
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cl = {"auto": None, "on": True, "off": False}[args.channels_last]
    dtype = getattr(torch, args.dtype)
    amp = (lambda: torch.autocast("cpu", dtype=dtype)) if dtype != torch.float32 else contextlib.nullcontext
    x = torch.rand(1, 3, args.imgsz, args.imgsz)

    cands: dict[str, tuple] = {}  # name -> (callable, context factory)
    notes = []
    if not args.no_reference:
        if REFERENCE.is_file():
            cands["reference n"] = (torch.jit.load(str(REFERENCE)).eval(), contextlib.nullcontext)
        else:
            notes.append(f"reference graph not found at {REFERENCE}")
    for s in args.scales:
        base = build_model(s, nc=80).eval()
        if args.plain:
            cands[f"plain {s}"] = (copy.deepcopy(base).fuse(), contextlib.nullcontext)
        model = prepare_for_inference(copy.deepcopy(base), channels_last=cl)
        cands[f"ours {s}"] = (model, amp)
        # what YOLO.predict runs once an input shape has repeated (ShapeCachedGraphs' `after` calls; 1 here, so
        # the warm-up builds the graph and the timed runs see the steady state)
        cands[f"default {s}"] = (
            ShapeCachedGraphs(prepare_for_inference(copy.deepcopy(base), channels_last=cl), after=1), amp
        )
        if args.jit:
            t0 = time.perf_counter()
            graph = prepare_for_inference(copy.deepcopy(base), channels_last=cl, trace_size=(args.imgsz,) * 2)
            notes.append(f"jit {s}: trace + freeze {time.perf_counter() - t0:.1f} s")
            cands[f"jit {s}"] = (graph, amp)
        if args.compile:
            compiled = torch.compile(prepare_for_inference(copy.deepcopy(base), channels_last=cl))
            t0 = time.perf_counter()
            with torch.inference_mode(), amp():
                compiled(x)
            notes.append(f"compile {s}: first call (compile) {time.perf_counter() - t0:.1f} s")
            cands[f"compile {s}"] = (compiled, amp)

    times: dict[str, list[float]] = {k: [] for k in cands}
    with torch.inference_mode():
        for f, ctx in cands.values():
            with ctx():
                for _ in range(args.warmup):
                    f(x)
        for _ in range(args.runs):  # interleaved: one run of each candidate per round
            for name, (f, ctx) in cands.items():
                with ctx():
                    t0 = time.perf_counter()
                    f(x)
                    times[name].append((time.perf_counter() - t0) * 1e3)

    print(
        f"torch {torch.__version__} | {platform.processor() or platform.machine()} | threads {torch.get_num_threads()}"
        f" | mkldnn {torch.backends.mkldnn.is_available()} | cpu capability {torch.backends.cpu.get_cpu_capability()}"
    )
    print(
        f"batch 1, {args.imgsz}x{args.imgsz}, runs {args.runs} (interleaved), warmup {args.warmup}, "
        f"channels-last {args.channels_last}, dtype {args.dtype}, inference_mode"
    )
    for n in notes:
        print("  " + n)
    ref = statistics.median(times["reference n"]) if "reference n" in times else None
    if os.environ.get("LATENCY_DUMP"):
        for name, t in times.items():
            print(name, " ".join(f"{v:.0f}" for v in t))
    print(f"  {'model':14s} {'median ms':>10s} {'min ms':>8s} {'/ reference':>12s}")
    for name, t in times.items():
        med = statistics.median(t)
        ratio = f"{med / ref:11.2f}x" if ref else ""
        print(f"  {name:14s} {med:10.1f} {min(t):8.1f} {ratio:>12s}")


if __name__ == "__main__":
    main()
