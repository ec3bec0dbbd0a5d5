"""Time ``non_max_suppression`` on a validation-sized batch on CPU.

Default: 16 images x 8400 anchors x 80 classes, conf 0.001, IoU 0.7, multi-label, max_det 300 (the validation
settings of the spec). Scores are sigmoid(N(-6, 2)) logits so that most (anchor, class) pairs pass 0.001, and boxes
are clustered so that NMS has real work. Prints the settings and the median ms per batch.

    python benchmarks/nms.py [--batch 16] [--anchors 8400] [--nc 80] [--runs 7] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from yolov12.ops.nms import non_max_suppression


def make_pred(batch: int, anchors: int, nc: int, seed: int = 0) -> torch.Tensor:
    """(batch, 4 + nc, anchors) eval-style output: cx, cy, w, h in 640-pixel input space, sigmoid scores."""
    gen = torch.Generator().manual_seed(seed)
    n_obj = 20
    centres = torch.rand(batch, n_obj, 2, generator=gen) * 640
    pick = torch.randint(0, n_obj, (batch, anchors), generator=gen)
    cxy = torch.gather(centres, 1, pick[..., None].expand(-1, -1, 2)) + torch.randn(batch, anchors, 2, generator=gen) * 8
    wh = torch.rand(batch, anchors, 2, generator=gen) * 120 + 8
    scores = torch.sigmoid(torch.randn(batch, anchors, nc, generator=gen) * 2 - 6)
    return torch.cat((cxy, wh, scores), -1).permute(0, 2, 1).contiguous()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--anchors", type=int, default=8400)
    ap.add_argument("--nc", type=int, default=80)
    ap.add_argument("--conf", type=float, default=0.001)
    ap.add_argument("--iou", type=float, default=0.7)
    ap.add_argument("--max-det", type=int, default=300)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    pred = make_pred(args.batch, args.anchors, args.nc)
    frac = float((pred[:, 4:] > args.conf).float().mean())
    kw = dict(conf=args.conf, iou=args.iou, multi_label=True, max_det=args.max_det)
    out = non_max_suppression(pred, **kw)  # warm-up
    times, cpu = [], []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        non_max_suppression(pred, **kw)
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    med = statistics.median(times)
    print(f"non_max_suppression: batch={args.batch} anchors={args.anchors} nc={args.nc} conf={args.conf} "
          f"iou={args.iou} multi_label=True max_det={args.max_det} max_nms=30000 threads={torch.get_num_threads()}")
    print(f"  pairs above conf: {frac:.1%} ({frac * args.anchors * args.nc:,.0f} per image); "
          f"kept per image: {sum(len(o) for o in out) / len(out):.0f}")
    print(f"  median {med:.1f} ms/batch ({med / args.batch:.2f} ms/image) over {args.runs} runs "
          f"[min {min(times):.1f}, max {max(times):.1f}]; "
          f"process CPU time median {statistics.median(cpu):.1f} ms/batch (less sensitive to a busy machine)")


if __name__ == "__main__":
    main()
