"""Classification throughput on this CPU: training images/s and evaluation images/s (yolov12n-cls, 224 px).

- train: forward (training mode) + cross-entropy + backward + SGD step on random images, batch ``--batch``.
- eval: the inference copy the API uses (``prepare_for_inference``: BN folded, eval mode, channels-last) on the same
  batch size, probabilities out; and the plain eval-mode model for reference.
Medians over ``--steps`` timed steps after 2 warm-up steps, torch limited to ``--threads`` threads.

    python benchmarks/classify_speed.py [--scale n] [--imgsz 224] [--batch 16] [--steps 5] [--threads 2] [--nc 1000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from yolov12.config import ModelConfig
from yolov12.loss.classify import ClassificationLoss
from yolov12.models.optimize import prepare_for_inference
from yolov12.tasks import get_task
from yolov12.training.optim import build_optimizer


def _median_seconds(fn, steps: int) -> float:
    for _ in range(2):
        fn()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="n")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--nc", type=int, default=1000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    model = get_task("classify").build_model(ModelConfig(scale=a.scale, nc=a.nc, task="classify"))
    x = torch.rand(a.batch, 3, a.imgsz, a.imgsz)
    y = torch.randint(0, a.nc, (a.batch,))
    crit = ClassificationLoss()
    opt = build_optimizer(model, "SGD", 0.01, 0.9, 1e-4)

    def train_step():
        model.train()
        out = crit(model(x), {"cls": y})
        out.total.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    t_train = _median_seconds(train_step, a.steps)
    model.eval()
    with torch.inference_mode():
        t_eval_plain = _median_seconds(lambda: model(x), a.steps)
        fast = prepare_for_inference(model)
        t_eval = _median_seconds(lambda: fast(x), a.steps)
    print(f"yolov12{a.scale}-cls nc={a.nc} {a.imgsz}px batch {a.batch}, {a.threads} threads:")
    print(f"  train {a.batch / t_train:7.1f} images/s   ({t_train * 1000:.0f} ms/step)")
    print(f"  eval  {a.batch / t_eval:7.1f} images/s   (fused, channels-last; plain eval model "
          f"{a.batch / t_eval_plain:.1f} images/s)")


if __name__ == "__main__":
    main()
