#!/usr/bin/env python3
"""Peer side of benchmarks/peer_parity.py: runs INSIDE the peer venv (Ultralytics), never imports yolov12.

Benchmark-only: Ultralytics is never a dependency of the package or its tests. Started as a subprocess by
peer_parity.py; exchanges plain .npz files with it.

    YOLO_OFFLINE=1 PYTHONPATH=/tmp/peer-tvstub /tmp/peer-venv/bin/python benchmarks/peer_side.py steps \
        --weights W.npz --batches B.npz --out OUT.npz [--nb 63 --epochs 30 --set key=value ...]
    ... peer_side.py augdump --data DATA_YAML --imgsz 320 --n 400 --out AUG.npz [--set key=value ...]

steps: Ultralytics' own DetectionModel (yolo12n.yaml) loaded with the given state dict (our keys mapped onto its
``model.N.*`` keys), its own v8DetectionLoss, BaseTrainer.build_optimizer, warmup, accumulation, gradient clipping
and ModelEMA, replayed line for line from ultralytics/engine/trainer.py (8.4.190) over the given batches. Writes
per-step loss items, per-optimizer-step gradient norms and lrs, and the final weights and EMA weights.

profile: per-phase times of the peer's step (forward, loss, backward, optimizer step, EMA) on the same batches,
and its dataset's per-image load + augmentation time with workers=0 (its CPU setting).

augdump: Ultralytics' own training dataset (build_yolo_dataset, mode='train', its v8_transforms) -> the labels of
N augmented samples (image count, boxes, classes) and per-image pixel statistics, for comparing augmentation output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from types import SimpleNamespace

os.environ.setdefault("YOLO_OFFLINE", "1")

import numpy as np
import torch
from peer_parity import parse_sets  # stdlib + numpy only at import: safe in the peer's venv


def cmd_steps(a) -> None:
    from ultralytics.cfg import get_cfg
    from ultralytics.engine.trainer import BaseTrainer
    from ultralytics.nn.tasks import DetectionModel
    from ultralytics.utils import DEFAULT_CFG
    from ultralytics.utils.torch_utils import ModelEMA

    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.use_deterministic_algorithms(True, warn_only=True)
    args = get_cfg(DEFAULT_CFG, {"optimizer": "SGD", "lr0": 0.01, "epochs": a.epochs, **parse_sets(a.set)})
    w = np.load(a.weights)
    model = DetectionModel("yolo12n.yaml", nc=int(w["__nc"]), verbose=False)
    model.args = args
    sd = {("model." + k[len("layers."):]): torch.from_numpy(w[k]) for k in w.files if k.startswith("layers.")}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"state dict mismatch: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for k, v in model.named_parameters():  # trainer freezes '.dfl'
        v.requires_grad = ".dfl" not in k
    model.train()
    b = np.load(a.batches)
    n_steps = int(b["n"])
    batch = args.batch
    nbs = args.nbs
    accumulate = max(round(nbs / batch), 1)
    weight_decay = args.weight_decay * batch * accumulate / nbs
    trainer = SimpleNamespace(args=args, data={"nc": int(w["__nc"])})
    optimizer = BaseTrainer.build_optimizer(trainer, model=model, name="SGD", lr=args.lr0, momentum=args.momentum,
                                            decay=weight_decay, iterations=1e5)
    lf = lambda x: max(1 - x / args.epochs, 0) * (1.0 - args.lrf) + args.lrf
    for g in optimizer.param_groups:
        g["initial_lr"] = g["lr"]
        g["lr"] = g["initial_lr"] * lf(0)
    ema = ModelEMA(model)
    nb = a.nb
    warmup_epochs = min(args.warmup_epochs, max(args.epochs - 1, 0))
    nw = round(warmup_epochs * nb) if warmup_epochs > 0 else 0
    acc0 = accumulate
    last_opt_step = -1
    epoch = 0
    items, gnorms, lrs, acc_log = [], [], [], []
    optimizer.zero_grad()
    for i in range(n_steps):
        ni = i
        if nw and ni <= nw:
            xi = [0, nw]
            accumulate = max(1, int(np.interp(ni, xi, [1, acc0]).round()))
            for x in optimizer.param_groups:
                x["lr"] = float(np.interp(ni, xi, [args.warmup_bias_lr if x.get("param_group") == "bias" else 0.0,
                                                   x["initial_lr"] * lf(epoch)]))
                if "momentum" in x:
                    x["momentum"] = float(np.interp(ni, xi, [args.warmup_momentum, args.momentum]))
        acc_log.append(accumulate)
        bt = {
            "img": torch.from_numpy(b[f"img{i}"]).float() / 255,
            "batch_idx": torch.from_numpy(b[f"batch_idx{i}"]).float(),
            "cls": torch.from_numpy(b[f"cls{i}"]).float().view(-1, 1),
            "bboxes": torch.from_numpy(b[f"bboxes{i}"]).float(),
        }
        loss, loss_items = model(bt)
        loss = loss.sum()
        loss.backward()
        items.append([float(v) for v in loss_items.values()])
        if i == 0:  # the first gradient, before any step: same weights and batch on both sides
            grads0 = {"g." + k.replace("model.", "layers.", 1): p.grad.detach().numpy().copy()
                      for k, p in model.named_parameters() if p.grad is not None}
        if ni - last_opt_step >= accumulate:
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
            optimizer.step()
            optimizer.zero_grad()
            ema.update(model)
            last_opt_step = ni
            gnorms.append([i, float(gn)])
            lrs.append([g["lr"] for g in optimizer.param_groups])
    out = {"items": np.array(items), "gnorms": np.array(gnorms), "lrs": np.array(lrs), "acc": np.array(acc_log),
           "groups": np.array([len(g["params"]) for g in optimizer.param_groups]),
           "group_names": np.array([g.get("param_group", "") for g in optimizer.param_groups]), **grads0}
    for k, v in model.state_dict().items():
        out["w." + k.replace("model.", "layers.", 1)] = v.detach().numpy()
    for k, v in ema.ema.state_dict().items():
        out["e." + k.replace("model.", "layers.", 1)] = v.detach().numpy()
    np.savez(a.out, **out)
    print(f"peer: {n_steps} steps, {len(gnorms)} optimizer steps -> {a.out}")


def cmd_profile(a) -> None:
    """Per-phase times (ms) of the peer's training step on the given batches: forward, loss, backward, SGD step,
    EMA update; and its training dataset's per-image load + augment time (workers=0, as on CPU)."""
    import time

    from ultralytics.cfg import get_cfg
    from ultralytics.engine.trainer import BaseTrainer
    from ultralytics.nn.tasks import DetectionModel
    from ultralytics.utils import DEFAULT_CFG
    from ultralytics.utils.torch_utils import ModelEMA

    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    args = get_cfg(DEFAULT_CFG, {"optimizer": "SGD"})
    w = np.load(a.weights)
    model = DetectionModel("yolo12n.yaml", nc=int(w["__nc"]), verbose=False)
    model.args = args
    model.load_state_dict({("model." + k[7:]): torch.from_numpy(w[k]) for k in w.files if k.startswith("layers.")},
                          strict=False)
    for k, v in model.named_parameters():
        v.requires_grad = ".dfl" not in k
    model.train()
    opt = BaseTrainer.build_optimizer(SimpleNamespace(args=args, data={}), model=model, name="SGD", lr=0.01,
                                      momentum=0.937, decay=5e-4, iterations=1e5)
    ema = ModelEMA(model)
    b = np.load(a.batches)
    times = {"forward": [], "loss": [], "backward": [], "step": [], "ema": []}
    for i in range(int(b["n"])):
        bt = {"img": torch.from_numpy(b[f"img{i}"]).float() / 255,
              "batch_idx": torch.from_numpy(b[f"batch_idx{i}"]).float(),
              "cls": torch.from_numpy(b[f"cls{i}"]).float().view(-1, 1),
              "bboxes": torch.from_numpy(b[f"bboxes{i}"]).float()}
        t0 = time.perf_counter()
        preds = model.predict(bt["img"])
        t1 = time.perf_counter()
        if getattr(model, "criterion", None) is None:
            model.criterion = model.init_criterion()
        loss, _ = model.criterion(preds, bt)
        t2 = time.perf_counter()
        loss.sum().backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
        opt.step()
        opt.zero_grad()
        t4 = time.perf_counter()
        ema.update(model)
        t5 = time.perf_counter()
        if i >= a.skip:
            for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                times[k].append(v * 1000)
    out = {k: float(np.median(v)) for k, v in times.items()}
    if a.data:
        import random

        from ultralytics.data.build import build_yolo_dataset
        from ultralytics.data.utils import check_det_dataset

        random.seed(0)
        cfg = get_cfg(DEFAULT_CFG, {"imgsz": a.imgsz})
        data = check_det_dataset(a.data)
        ds = build_yolo_dataset(cfg, data["train"], batch=16, data=data, mode="train", rect=False, stride=32)
        n = a.n_images
        for j in range(16):  # fill the mosaic buffer as a running epoch has it
            ds[j]
        t0 = time.perf_counter()
        items = [ds[j] for j in range(16, 16 + n)]
        t1 = time.perf_counter()
        for k in range(0, n - 15, 16):
            ds.collate_fn(items[k:k + 16])
        t2 = time.perf_counter()
        out["data_per_image"] = (t1 - t0) / n * 1000
        out["collate_per_batch"] = (t2 - t1) / (n // 16) * 1000
    print("PEER_PROFILE " + json.dumps({k: round(v, 2) for k, v in out.items()}))


def cmd_augdump(a) -> None:
    import random

    from ultralytics.cfg import get_cfg
    from ultralytics.data.build import build_yolo_dataset
    from ultralytics.data.utils import check_det_dataset
    from ultralytics.utils import DEFAULT_CFG

    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    cfg = get_cfg(DEFAULT_CFG, {"imgsz": a.imgsz, **parse_sets(a.set)})
    data = check_det_dataset(a.data)
    ds = build_yolo_dataset(cfg, data["train"], batch=16, data=data, mode="train", rect=False, stride=32)
    if a.close_mosaic:
        ds.close_mosaic(hyp=cfg)
    order = np.arange(len(ds))  # every image once, in file order: both sides see the same images
    n_obj, boxes, cls, pix = [], [], [], []
    for j in range(a.n):
        it = ds[int(order[j % len(ds)])]
        bb = it["bboxes"].numpy().reshape(-1, 4)
        h, w = it["img"].shape[1:]
        n_obj.append(len(bb))
        boxes.append(bb * np.array([w, h, w, h], np.float32))
        cls.append(it["cls"].numpy().reshape(-1))
        im = it["img"].numpy().astype(np.float32)
        pix.append([im.mean(), im.std(), (im == 114).all(0).mean()])
    np.savez(a.out, n_obj=np.array(n_obj), boxes=np.concatenate(boxes), cls=np.concatenate(cls), pix=np.array(pix))
    print(f"peer: {a.n} augmented samples -> {a.out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("steps")
    s.add_argument("--weights", required=True)
    s.add_argument("--batches", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--nb", type=int, default=63, help="batches per epoch (sets the warmup length)")
    s.add_argument("--epochs", type=int, default=30)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--set", nargs="*", default=[])
    d = sub.add_parser("augdump")
    d.add_argument("--data", required=True)
    d.add_argument("--imgsz", type=int, default=320)
    d.add_argument("--n", type=int, default=400)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--close-mosaic", action="store_true")
    d.add_argument("--out", required=True)
    d.add_argument("--set", nargs="*", default=[])
    pr = sub.add_parser("profile")
    pr.add_argument("--weights", required=True)
    pr.add_argument("--batches", required=True)
    pr.add_argument("--threads", type=int, default=2)
    pr.add_argument("--skip", type=int, default=1)
    pr.add_argument("--data", default="")
    pr.add_argument("--imgsz", type=int, default=320)
    pr.add_argument("--n-images", type=int, default=96)
    a = ap.parse_args()
    {"steps": cmd_steps, "augdump": cmd_augdump, "profile": cmd_profile}[a.cmd](a)


if __name__ == "__main__":
    main()
