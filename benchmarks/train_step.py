"""Training-step throughput: forward + loss + backward + SGD step, images/s.

Default: yolov12n at 320 px, batch 8, on this CPU (the issue's setting), random images with 5 boxes each.
The baseline printed beside it is a forward-only pass of the same model in eval mode, measured in the same run,
so the ratio (train step / inference) is comparable across machines. The step is timed in both memory formats,
interleaved (contiguous NCHW, and channels_last NHWC: what the trainer uses by default, TrainConfig.channels_last),
and the speed-up of channels_last is printed.

    python benchmarks/train_step.py [--scale n] [--imgsz 320] [--batch 8] [--steps 10] [--device cpu] \
        [--formats contiguous channels_last] [--rounds 2]

Whole-epoch mode (--data): the trainer's step (forward, loss, backward, clipping, SGD, EMA) fed by the real training
loader (mosaic and the rest of the augmentation, ``--workers`` processes; ``-1`` = what the trainer would use, see
``loader_workers``), over the first ``--images`` of the train split; prints images/s and the time spent waiting for
batches. Compare with the peer's train images/s from benchmarks/peer_parity.py (speed), interleaved.

    python benchmarks/train_step.py --data /tmp/parity/d1000/data.yaml --imgsz 320 --batch 16 --images 320 \
        --workers -1 [--threads 2]
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
    ap.add_argument("--data", default="", help="data.yaml: whole-epoch mode with the real loader")
    ap.add_argument("--images", type=int, default=320, help="epoch mode: train images used")
    ap.add_argument("--workers", type=int, default=-1, help="epoch mode: loader workers (-1: the trainer's choice)")
    ap.add_argument("--formats", nargs="+", default=["contiguous", "channels_last"],
                    choices=["contiguous", "channels_last"], help="memory formats timed (interleaved rounds)")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds over --formats")
    args = ap.parse_args()
    if args.data:
        return epoch(args)
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

    def timed_steps() -> float:
        times = []
        for i in range(args.warmup + args.steps):
            sync()
            t = time.perf_counter()
            train_step()
            sync()
            if i >= args.warmup:
                times.append(time.perf_counter() - t)
        return statistics.median(times)

    step = {f: [] for f in args.formats}
    for _ in range(args.rounds):
        for f in args.formats:
            fmt = torch.channels_last if f == "channels_last" else torch.contiguous_format
            model.to(memory_format=fmt)
            x = x.contiguous(memory_format=fmt)
            step[f].append(timed_steps())
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
    ti = statistics.median(inf)
    print(f"yolov12{args.scale} imgsz {args.imgsz} batch {args.batch} device {dev} threads {torch.get_num_threads()} "
          f"torch {torch.__version__} amp {args.amp}")
    for f, v in step.items():
        ts = min(v)
        print(f"train step (fwd+loss+bwd+SGD), {f:>13}: median {ts * 1000:.0f} ms -> {args.batch / ts:.1f} images/s "
              f"(ratio train-step / inference time {ts / ti:.2f}x)")
    print(f"baseline inference (eval fwd, {args.formats[-1]}): median {ti * 1000:.0f} ms -> {args.batch / ti:.1f} "
          "images/s")
    if len(step) == 2:
        print(f"channels_last speed-up of the step: {min(step['contiguous']) / min(step['channels_last']):.2f}x "
              f"(best of {args.rounds} interleaved rounds each)")


def epoch(args) -> None:
    """One epoch of the trainer's step over the real loader; images/s and time waiting for data."""
    from yolov12.data import (
        augment_defaults,
        build_dataloader,
        build_dataset,
        load_data_config,
    )
    from yolov12.loss import LossConfig
    from yolov12.training.ema import ModelEMA
    from yolov12.training.trainer import loader_workers

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    dev = torch.device(args.device)
    cfg = load_data_config(args.data)
    ds = build_dataset(cfg, "train", args.imgsz, augment=augment_defaults(args.scale), batch_size=args.batch, seed=0,
                       workers=0)
    ds.samples = ds.samples[: args.images]
    workers = loader_workers(2, dev) if args.workers < 0 else args.workers
    loader = build_dataloader(ds, args.batch, workers, shuffle=True, seed=0)
    torch.manual_seed(0)
    cl = args.formats[-1] == "channels_last"  # the trainer's default
    model = build_model(args.scale, nc=cfg.nc).to(dev).train()
    if cl:
        model.to(memory_format=torch.channels_last)
    crit = DetectionLoss(cfg.nc, cfg=LossConfig(expand_tiny_boxes=True))
    opt = build_optimizer(model, "SGD", 0.01, 0.937, 5e-4)
    ema = ModelEMA(model)
    wait = 0.0
    n = 0
    t0 = time.perf_counter()
    t = t0
    for i, batch in enumerate(loader):
        wait += time.perf_counter() - t
        imgs = batch["img"].to(dev).float() / 255
        if cl:
            imgs = imgs.contiguous(memory_format=torch.channels_last)
        out = crit(model(imgs), {k: batch[k].to(dev) for k in ("batch_idx", "cls", "bboxes")})
        out.total.backward()
        if i % 4 == 3:  # nbs 64 / batch 16
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            ema.update(model)
        n += len(imgs)
        t = time.perf_counter()
    total = time.perf_counter() - t0
    print(f"epoch mode: yolov12{args.scale} imgsz {args.imgsz} batch {args.batch} {n} images, workers {workers}, "
          f"torch threads {torch.get_num_threads()}, {args.formats[-1]}: {n / total:.2f} images/s ({total:.1f} s, waiting for batches "
          f"{wait:.1f} s = {wait / total:.0%})")


if __name__ == "__main__":
    main()
