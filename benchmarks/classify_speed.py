"""Classification throughput on this CPU: training and evaluation images/s (yolov12n-cls, 224 px), with baselines
measured in the same run so that the ratios carry across machines and loads.

Measured, interleaved (one step of each in turn, so a change of load hits all alike):

- ``cls train``: the trainer's step: channels-last forward in training mode, cross-entropy, backward, gradient
  clipping, SGD step (random images, batch ``--batch``);
- ``cls eval fused``: the inference copy the API uses (``prepare_for_inference``: BN folded, eval mode,
  channels-last), probabilities out;
- ``cls eval eager``: the same network in plain eval mode (BN not folded, NCHW);
- ``detect eval fused``: yolov12n detection (80 classes) prepared the same way, raw head output (no NMS), the
  baseline: ratios are against it and between the classifier's own paths.

Medians over ``--steps`` timed rounds after ``--warmup`` warm-up rounds, torch limited to ``--threads`` threads.

    python benchmarks/classify_speed.py [--scale n] [--imgsz 224] [--batch 16] [--warmup 2] [--steps 5]
        [--threads 1] [--nc 1000]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.loss.classify import ClassificationLoss
from yolov12.models import build_model
from yolov12.models.optimize import prepare_for_inference
from yolov12.tasks import get_task
from yolov12.training.optim import build_optimizer


def interleaved_medians(fns: dict[str, Callable[[], object]], warmup: int, steps: int) -> dict[str, float]:
    """Seconds per call of each function: round-robin over ``fns``, ``warmup`` untimed rounds, then the median of
    ``steps`` timed rounds."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(warmup + steps):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            if r >= warmup:
                times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="n")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--nc", type=int, default=1000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    model = get_task("classify").build_model(ModelConfig(scale=a.scale, nc=a.nc, task="classify"))
    eager = copy.deepcopy(model).eval().requires_grad_(False)
    fused = prepare_for_inference(copy.deepcopy(model))
    detect = prepare_for_inference(build_model(a.scale, nc=80))
    model = model.to(memory_format=torch.channels_last).train()  # as the trainer (channels_last=True)
    x = torch.rand(a.batch, 3, a.imgsz, a.imgsz)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, a.nc, (a.batch,))
    crit = ClassificationLoss()
    opt = build_optimizer(model, "SGD", 0.01, 0.9, 1e-4)

    def train_step() -> None:
        out = crit(model(x_cl), {"cls": y})
        out.total.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    def infer(m: nn.Module) -> Callable[[], object]:
        def run() -> object:
            with torch.inference_mode():
                return m(x)
        return run

    t = interleaved_medians({"cls train": train_step, "cls eval fused": infer(fused), "cls eval eager": infer(eager),
                             "detect eval fused": infer(detect)}, a.warmup, a.steps)
    ips = {k: a.batch / v for k, v in t.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"yolov12{a.scale}-cls nc={a.nc}, {a.imgsz} px, batch {a.batch}, {a.threads} thread(s), {a.warmup} warm-up + "
          f"{a.steps} timed rounds (medians), interleaved; load average {load:.1f}")
    for k in t:
        print(f"  {k:18s} {ips[k]:7.1f} images/s  ({t[k] * 1000:7.0f} ms/batch)")
    base = ips["detect eval fused"]
    print(f"  ratios: cls eval fused / detect eval fused {ips['cls eval fused'] / base:.2f}; "
          f"cls train / detect eval fused {ips['cls train'] / base:.2f}; "
          f"cls eval fused / eager {ips['cls eval fused'] / ips['cls eval eager']:.2f}; "
          f"cls eval fused / cls train {ips['cls eval fused'] / ips['cls train']:.2f}")


if __name__ == "__main__":
    main()
