"""Training-step throughput: forward + loss + backward + SGD step, images/s.

Default: yolov12n at 320 px, batch 8, on this CPU (the issue's setting), random images with 5 boxes each.
The baseline printed beside it is a forward-only pass of the same model in eval mode, measured in the same run,
so the ratio (train step / inference) is comparable across machines.

    python benchmarks/train_step.py [--scale n] [--imgsz 320] [--batch 8] [--steps 10] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from yolov12.loss import DetectionLoss
from yolov12.models import build_model
from yolov12.training.optim import build_optimizer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="n")
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave torch's default)")
    ap.add_argument("--amp", action="store_true", help="fp16 autocast (CUDA)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    dev = torch.device(args.device)
    torch.manual_seed(0)
    nc = 80
    model = build_model(args.scale, nc=nc).to(dev).train()
    crit = DetectionLoss(nc)
    opt = build_optimizer(model, "SGD", 0.01, 0.937, 5e-4)
    x = torch.rand(args.batch, 3, args.imgsz, args.imgsz, device=dev)
    n = 5 * args.batch
    g = torch.Generator().manual_seed(0)
    targets = {
        "batch_idx": torch.arange(args.batch).repeat_interleave(5).float().to(dev),
        "cls": torch.randint(0, nc, (n,), generator=g).float().to(dev),
        "bboxes": torch.cat([torch.rand(n, 2, generator=g) * 0.6 + 0.2, torch.rand(n, 2, generator=g) * 0.3 + 0.05],
                            1).to(dev),
    }

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    def train_step() -> None:
        with torch.autocast(dev.type, dtype=torch.float16, enabled=args.amp and dev.type == "cuda"):
            raw = model(x)
        out = crit(raw, targets)
        out.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    times = []
    for i in range(args.warmup + args.steps):
        sync()
        t = time.perf_counter()
        train_step()
        sync()
        if i >= args.warmup:
            times.append(time.perf_counter() - t)
    model.eval()
    inf = []
    with torch.inference_mode():
        for i in range(args.warmup + args.steps):
            sync()
            t = time.perf_counter()
            model(x)
            sync()
            if i >= args.warmup:
                inf.append(time.perf_counter() - t)
    ts, ti = statistics.median(times), statistics.median(inf)
    print(f"yolov12{args.scale} imgsz {args.imgsz} batch {args.batch} device {dev} threads {torch.get_num_threads()} "
          f"torch {torch.__version__} amp {args.amp}")
    print(f"train step (fwd+loss+bwd+SGD): median {ts * 1000:.0f} ms -> {args.batch / ts:.1f} images/s")
    print(f"baseline inference (eval fwd):  median {ti * 1000:.0f} ms -> {args.batch / ti:.1f} images/s")
    print(f"ratio train-step / inference time: {ts / ti:.2f}x")


if __name__ == "__main__":
    main()
