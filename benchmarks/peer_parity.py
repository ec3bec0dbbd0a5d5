#!/usr/bin/env python3
"""Training parity with Ultralytics YOLO12 (the peer) on real data: side-by-side runs and controlled experiments.

Benchmark only. The peer (Ultralytics 8.4.190) lives in its own venv and is driven as a subprocess
(``../shared/peer/peer_train.py`` for whole runs, ``benchmarks/peer_side.py`` for the experiments); nothing here
imports it. Set it up once with ``bash /work/shared/peer/setup.sh`` (venv /tmp/peer-venv, stub /tmp/peer-tvstub).

Commands (from the repository root, our venv, the worktree first on PYTHONPATH)::

    P="env PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/peer_parity.py"
    yolov12 data fetch name=digits dest=/tmp/digits                 # 4000 + 1000 real-image digits
    $P subset --src /tmp/digits --n-train 1000 --n-val 250 --out /tmp/parity/d1000
    # 1. whole runs, both sides, same settings; per-epoch losses and the final mAP of both best weights scored
    #    by OUR validator (= pycocotools) on the same val set
    $P train --data /tmp/parity/d1000/data.yaml --epochs 30 --seeds 0 1 --out /tmp/parity/runs
    $P train ... --ours-set warmup_bias_lr=0.0 --peer-set warmup_bias_lr=0.0 --tag A   # an A/B arm
    # 2. same initial weights, same batches, N steps: loss items, gradient norms, lrs, final weights compared
    $P steps --data /tmp/parity/d1000/data.yaml --steps 24
    $P steps ... --tiny --init RUN/weights/last.safetensors   # from trained weights (informative predictions)
    # 3. augmentation output statistics of both pipelines (boxes per image, sizes, kept fraction, pixels)
    $P augstats --data /tmp/parity/d1000/data.yaml --n 400
    # 4. where the step's time goes, both sides, same batches and weights, interleaved rounds
    $P profile --data /tmp/parity/d1000/data.yaml --steps 6 --rounds 2 --threads 2
    # 5. training images/s, both trainers, interleaved (short runs, val off on ours, timing from the logs)
    $P speed --data /tmp/parity/d1000/data.yaml --epochs 1 --rounds 2

Timings on this shared 2-core machine are contended: compare only within one interleaved run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEER_PY = os.environ.get("PEER_PY", "/tmp/peer-venv/bin/python")
PEER_STUB = os.environ.get("PEER_STUB", "/tmp/peer-tvstub")
PEER_TRAIN = os.environ.get("PEER_TRAIN", "/work/shared/peer/peer_train.py")
PEER_SIDE = str(ROOT / "benchmarks" / "peer_side.py")


def peer_env() -> dict:
    return {**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": PEER_STUB}


def ours_env(threads: int | None = None) -> dict:
    extra = {"OMP_NUM_THREADS": str(threads)} if threads else {}  # torch's intra-op threads, as --threads on the peer
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def parse_sets(items: list[str] | None) -> dict:
    out = {}
    for kv in items or []:
        k, v = kv.split("=", 1)
        for cast in (int, float):
            try:
                v = cast(v)
                break
            except ValueError:
                pass
        else:
            v = {"true": True, "false": False, "none": None}.get(v.lower(), v)
        out[k] = v
    return out


# ---------------------------------------------------------------------------------------------------- subset
def cmd_subset(a) -> None:
    """First N train / M val images of a YOLO dataset, as symlinks, with its own data.yaml."""
    import yaml

    src, out = Path(a.src), Path(a.out)
    cfg = yaml.safe_load((src / "data.yaml").read_text())
    for split, n in (("train", a.n_train), ("val", a.n_val)):
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
        for im in sorted((src / "images" / split).iterdir())[:n]:
            for s, d in ((im, out / "images" / split / im.name),
                         (src / "labels" / split / (im.stem + ".txt"), out / "labels" / split / (im.stem + ".txt"))):
                if not d.exists():
                    d.symlink_to(s.resolve())
    (out / "data.yaml").write_text(yaml.safe_dump({"path": str(out), "train": "images/train", "val": "images/val",
                                                    "names": cfg["names"]}, sort_keys=False))
    print(f"{out}/data.yaml: {a.n_train} train / {a.n_val} val")


# ---------------------------------------------------------------------------------------------------- scoring
def score(weights: Path, data: str, imgsz: int) -> dict:
    """Both sides' weights through our validator (COCO mAP, equal to pycocotools), same val set and settings."""
    sys.path.insert(0, str(ROOT))
    from yolov12.api import YOLO

    r = YOLO(str(weights)).val(data=data, imgsz=imgsz, batch=32, workers=0, plots=False, verbose=False,
                               project="/tmp/parity/val", exist_ok=True)
    m = r.metrics
    return {"mAP50-95": round(m.map50_95, 4), "mAP50": round(m.map50, 4), "mAP75": round(m.map75, 4),
            "small": round(m.map_small, 4), "medium": round(m.map_medium, 4), "large": round(m.map_large, 4),
            "per_class": [round(float(v), 3) for v in m.per_class_ap]}


def read_csv(path: Path) -> list[dict]:
    with open(path) as f:
        return [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(f)]


# ---------------------------------------------------------------------------------------------------- train
def run_ours(a, seed: int, out: Path, name: str, extra: dict, val: bool = True) -> dict:
    args = {"model": "yolov12n.yaml", "data": a.data, "epochs": a.epochs, "imgsz": a.imgsz, "batch": a.batch,
            "device": "cpu", "seed": seed, "project": str(out), "name": name, "exist_ok": True, "plots": False,
            "val": val, **extra}
    cmd = [sys.executable, "-m", "yolov12", "train", *[f"{k}={v}" for k, v in args.items()]]
    t0 = time.perf_counter()
    log = out / f"{name}.log"
    out.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        rc = subprocess.call(cmd, env=ours_env(a.threads), stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
    wall = time.perf_counter() - t0
    if rc:
        raise SystemExit(f"ours failed (rc {rc}); see {log}")
    rows = read_csv(out / name / "results.csv")
    epochs = [{"epoch": int(r["epoch"]), "box": float(r["train/box"]), "cls": float(r["train/cls"]),
               "dfl": float(r["train/dfl"]), "mAP50-95": float(r["mAP50-95"]), "time_s": float(r["time"])}
              for r in rows]
    best = out / name / "weights" / ("best.safetensors" if val else "last.safetensors")
    return {"side": "ours", "seed": seed, "epochs": epochs, "wall_s": round(wall, 1), "weights": str(best)}


def run_peer(a, seed: int, out: Path, name: str, extra: dict) -> dict:
    sets = {"seed": seed, **extra}
    cmd = [PEER_PY, PEER_TRAIN, a.data, "--epochs", str(a.epochs), "--imgsz", str(a.imgsz), "--batch",
           str(a.batch), "--out", str(out), "--name", name, "--threads", str(a.threads),
           "--set", *[f"{k}={v}" for k, v in sets.items()]]
    t0 = time.perf_counter()
    log = out / f"{name}.log"
    out.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        rc = subprocess.call(cmd, env=peer_env(), stdout=f, stderr=subprocess.STDOUT, cwd="/tmp")
    wall = time.perf_counter() - t0
    if rc:
        raise SystemExit(f"peer failed (rc {rc}); see {log}")
    summ = json.loads((out / name / "peer_summary.json").read_text())
    rows = read_csv(out / name / "results.csv")
    epochs = [{"epoch": int(float(r["epoch"])), "box": float(r["train/box_loss"]), "cls": float(r["train/cls_loss"]),
               "dfl": float(r["train/dfl_loss"]), "mAP50-95": float(r["metrics/mAP50-95(B)"]),
               "train_img_per_s": e["train_img_per_s"]} for r, e in zip(rows, summ["epochs"])]
    return {"side": "peer", "seed": seed, "epochs": epochs, "wall_s": round(wall, 1),
            "weights": str(out / name / "weights" / "best.pt"), "peer_own_final": summ["final_val_best_pt"]}


def cmd_score(a) -> None:
    """Score finished runs' weights again (e.g. after a harness change): our validator, same val set."""
    for w in a.weights:
        print(w, score(Path(w), a.data, a.imgsz))


def cmd_train(a) -> None:
    out = Path(a.out)
    results = []
    for seed in a.seeds:
        for side in a.sides:  # interleaved: ours, peer, ours, peer ...
            name = f"{side}{a.tag}-s{seed}-e{a.epochs}"
            if side == "ours":
                r = run_ours(a, seed, out, name, parse_sets(a.ours_set))
            else:
                r = run_peer(a, seed, out, name, parse_sets(a.peer_set))
            r["final"] = score(Path(r["weights"]), a.data, a.imgsz)
            results.append(r)
            print(f"{side} seed {seed}: " + " | ".join(
                f"e{e['epoch']} box {e['box']:.3f} cls {e['cls']:.3f} dfl {e['dfl']:.3f} mAP {e['mAP50-95']:.3f}"
                for e in r["epochs"]), flush=True)
            print(f"{side} seed {seed}: final (our evaluator) {r['final']}, wall {r['wall_s']} s", flush=True)
    (out / f"parity{a.tag}-e{a.epochs}.json").write_text(json.dumps(results, indent=1))
    for side in a.sides:
        v = [r["final"]["mAP50-95"] for r in results if r["side"] == side]
        print(f"{side}: mAP50-95 mean {np.mean(v):.4f} over seeds {a.seeds}: {v}")


# ---------------------------------------------------------------------------------------------------- steps
def _our_batches(data: str, imgsz: int, batch: int, n: int, seed: int, augment: bool = True):
    sys.path.insert(0, str(ROOT))
    from yolov12.data import (
        augment_defaults,
        build_dataloader,
        build_dataset,
        no_augment,
    )

    aug = augment_defaults("n") if augment else no_augment()
    ds = build_dataset(data, "train", imgsz, augment=aug, batch_size=batch, seed=seed, workers=0)
    dl = build_dataloader(ds, batch, 0, shuffle=True, seed=seed)
    out = []
    for i, b in enumerate(dl):
        if i == n:
            break
        out.append(b)
    return out


def cmd_steps(a) -> None:
    """Same weights, same batches: our trainer's step vs the peer's, step by step."""
    sys.path.insert(0, str(ROOT))
    import torch

    from yolov12.config import ModelConfig
    from yolov12.loss import DetectionLoss, LossConfig
    from yolov12.models import DetectionModel
    from yolov12.training.ema import ModelEMA
    from yolov12.training.optim import build_optimizer, lr_factor, warmup_step

    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.use_deterministic_algorithms(True, warn_only=True)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    batches = _our_batches(a.data, a.imgsz, a.batch, a.steps, a.seed, augment=not a.no_augment)
    bfile = work / "batches.npz"
    np.savez(bfile, n=len(batches), **{f"{k}{i}": b[k].numpy() for i, b in enumerate(batches)
                                       for k in ("img", "batch_idx", "cls", "bboxes")})
    torch.manual_seed(a.seed)
    nc = 10
    model = DetectionModel(ModelConfig(scale="n", nc=nc))
    if a.init:  # start from trained weights (predictions that mean something: the assigner's later regime)
        from yolov12.weights import load_weights

        st = load_weights(a.init).state
        model.load_state_dict({k: v.float() for k, v in st.items()})
    wfile = work / "weights.npz"
    np.savez(wfile, __nc=nc, **{k: v.numpy() for k, v in model.state_dict().items()})
    sets = parse_sets(a.set)
    hyp = {"lr0": 0.01, "lrf": 0.01, "momentum": 0.937, "weight_decay": 5e-4, "warmup_epochs": 3.0,
           "warmup_momentum": 0.8, "warmup_bias_lr": 0.1, "nbs": 64, "box": 7.5, "cls": 0.5, "dfl": 1.5,
           **sets}
    peer_out = work / "peer.npz"
    cmd = [PEER_PY, PEER_SIDE, "steps", "--weights", str(wfile), "--batches", str(bfile), "--out", str(peer_out),
           "--nb", str(a.nb), "--epochs", str(a.epochs), "--threads", str(a.threads),
           "--set", f"batch={a.batch}", *[f"{k}={v}" for k, v in hyp.items()]]
    peer = subprocess.Popen(cmd, env=peer_env(), cwd="/tmp") if not a.sequential else None

    # ours: yolov12/training/trainer.py::_train_epoch, line for line
    model.train()
    ema = ModelEMA(model)
    accumulate = max(round(hyp["nbs"] / a.batch), 1)
    decay = hyp["weight_decay"] * a.batch * accumulate / hyp["nbs"]
    opt = build_optimizer(model, "SGD", hyp["lr0"], hyp["momentum"], decay)
    crit = DetectionLoss(nc, (8, 16, 32), LossConfig(box=hyp["box"], cls=hyp["cls"], dfl=hyp["dfl"],
                                                     **({"expand_tiny_boxes": True} if a.tiny else {})))
    warmup_iters = max(round(hyp["warmup_epochs"] * a.nb), a.min_warmup) if hyp["warmup_epochs"] > 0 else -1
    factor = lr_factor(0, a.epochs, hyp["lrf"])
    for g in opt.param_groups:
        g["lr"] = g["initial_lr"] * factor
    items, gnorms, lrs, acc_log = [], [], [], []
    last_step = -1
    opt.zero_grad(set_to_none=True)
    for i, b in enumerate(batches):
        ni = i
        if ni <= warmup_iters:
            accumulate = warmup_step(opt, ni, warmup_iters, factor, hyp["warmup_bias_lr"], hyp["momentum"],
                                     hyp["warmup_momentum"], hyp["nbs"], a.batch)
        acc_log.append(accumulate)
        imgs = b["img"].float() / 255
        out = crit(model(imgs), {k: b[k] for k in ("batch_idx", "cls", "bboxes")})
        out.total.backward()
        items.append(out.vector.tolist())
        if i == 0:
            grads0 = {k: q.grad.detach().clone() for k, q in model.named_parameters() if q.grad is not None}
        if ni - last_step >= accumulate:
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            ema.update(model)
            last_step = ni
            gnorms.append([i, float(gn)])
            lrs.append([g["lr"] for g in opt.param_groups])
    if peer is None:
        peer = subprocess.Popen(cmd, env=peer_env(), cwd="/tmp")
    if peer.wait():
        raise SystemExit("peer side failed")
    p = np.load(peer_out)
    print(f"param groups ours (decay, norm, bias) {[len(g['params']) for g in opt.param_groups]}; "
          f"peer {list(zip(p['group_names'].tolist(), p['groups'].tolist()))}")
    print("step | ours box cls dfl | peer box cls dfl | accumulate ours/peer")
    for i, (o, q) in enumerate(zip(items, p["items"])):
        print(f"{i:4d} | {o[0]:.5f} {o[1]:.5f} {o[2]:.5f} | {q[0]:.5f} {q[1]:.5f} {q[2]:.5f} | "
              f"{acc_log[i]}/{int(p['acc'][i])}")
    print("optimizer steps (at batch i): grad norm ours / peer; lr per group ours [decay norm bias] / peer "
          "[bias weight bn]")
    for (i, g), (j, h), lo, lp in zip(gnorms, p["gnorms"], lrs, p["lrs"]):
        print(f"  i {i}/{int(j)}: |g| {g:.4f} / {h:.4f}; lr {np.round(lo, 6).tolist()} / {np.round(lp, 6).tolist()}")
    rel = sorted(((float((g - torch.from_numpy(p["g." + k])).norm() / (g.norm() + 1e-12)), k)
                  for k, g in grads0.items()), reverse=True)
    print(f"first gradient (same weights, same batch): relative diff per tensor, largest 5: "
          f"{[(k, f'{r:.2e}') for r, k in rel[:5]]}; median {np.median([r for r, _ in rel]):.2e}")
    sd, esd = model.state_dict(), ema.ema.state_dict()
    worst = max(((k, float((v.float() - torch.from_numpy(p['w.' + k]).float()).abs().max()))
                 for k, v in sd.items() if v.is_floating_point()), key=lambda t: t[1])
    eworst = max(((k, float((v.float() - torch.from_numpy(p['e.' + k]).float()).abs().max()))
                  for k, v in esd.items() if v.is_floating_point()), key=lambda t: t[1])
    d_items = np.abs(np.array(items) - p["items"][: len(items)])
    print(f"max |loss item diff| per step: first {d_items[0].max():.2e}, last {d_items[-1].max():.2e}")
    print(f"after {len(batches)} batches: largest weight diff {worst[1]:.3e} ({worst[0]}); EMA {eworst[1]:.3e} "
          f"({eworst[0]})")


# ---------------------------------------------------------------------------------------------------- augstats
def _stats(name: str, n_obj: np.ndarray, boxes: np.ndarray, cls: np.ndarray, pix: np.ndarray) -> None:
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    if boxes.size and np.all(boxes[:, 2] < boxes[:, 0] + w + 1e-6):  # already xyxy
        pass
    side_min = np.minimum(w, h)
    q = lambda x: np.round(np.percentile(x, [5, 25, 50, 75, 95]), 1).tolist()
    print(f"{name}: images {len(n_obj)}, boxes/img mean {n_obj.mean():.2f} (0 boxes: {(n_obj == 0).mean():.3f}), "
          f"w px {q(w)}, h px {q(h)}, min side <8 px {(side_min < 8).mean():.3f}, <16 px {(side_min < 16).mean():.3f}, "
          f"pixel mean {pix[:, 0].mean():.1f} std {pix[:, 1].mean():.1f}, pad fraction {pix[:, 2].mean():.3f}, "
          f"class hist {np.bincount(cls.astype(int), minlength=10).tolist()}")


def cmd_augstats(a) -> None:
    sys.path.insert(0, str(ROOT))
    from yolov12.data import augment_defaults, build_dataset

    aug = augment_defaults("n")
    if a.close_mosaic:
        from dataclasses import replace
        aug = replace(aug, mosaic=0.0, mixup=0.0, copy_paste=0.0)
    ds = build_dataset(a.data, "train", a.imgsz, augment=aug, batch_size=16, seed=a.seed, workers=0)
    order = np.arange(len(ds))  # every image once, in file order: both sides see the same images
    n_obj, boxes, cls, pix = [], [], [], []
    for j in range(a.n):
        it = ds[int(order[j % len(ds)])]
        h, w = it["img"].shape[1:]
        bb = it["bboxes"].numpy().reshape(-1, 4) * np.array([w, h, w, h], np.float32)
        n_obj.append(len(bb))
        boxes.append(bb)
        cls.append(it["cls"].numpy())
        im = it["img"].numpy().astype(np.float32)
        pix.append([im.mean(), im.std(), (im == 114).all(0).mean()])
    po = Path(a.work) / "peer_aug.npz"
    Path(a.work).mkdir(parents=True, exist_ok=True)
    cmd = [PEER_PY, PEER_SIDE, "augdump", "--data", a.data, "--imgsz", str(a.imgsz), "--n", str(a.n), "--out", str(po),
           "--seed", str(a.seed)] + (["--close-mosaic"] if a.close_mosaic else [])
    if subprocess.call(cmd, env=peer_env(), cwd="/tmp"):
        raise SystemExit("peer augdump failed")
    p = np.load(po)

    def xywh2xyxy(b):
        return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)

    _stats("ours", np.array(n_obj), xywh2xyxy(np.concatenate(boxes)), np.concatenate(cls), np.array(pix))
    _stats("peer", p["n_obj"], xywh2xyxy(p["boxes"]), p["cls"], p["pix"])


# ---------------------------------------------------------------------------------------------------- profile
def cmd_profile(a) -> None:
    """Per-phase step times of both sides on the same batches and weights, interleaved rounds; data time per image."""
    sys.path.insert(0, str(ROOT))
    import torch

    from yolov12.config import ModelConfig
    from yolov12.data import augment_defaults, build_dataset
    from yolov12.data.loader import collate_fn
    from yolov12.loss import DetectionLoss, LossConfig
    from yolov12.models import DetectionModel
    from yolov12.training.ema import ModelEMA
    from yolov12.training.optim import build_optimizer

    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    batches = _our_batches(a.data, a.imgsz, a.batch, a.steps, 0)
    bfile, wfile = work / "batches.npz", work / "weights.npz"
    np.savez(bfile, n=len(batches), **{f"{k}{i}": b[k].numpy() for i, b in enumerate(batches)
                                       for k in ("img", "batch_idx", "cls", "bboxes")})
    torch.manual_seed(0)
    model = DetectionModel(ModelConfig(scale="n", nc=10))
    np.savez(wfile, __nc=10, **{k: v.numpy() for k, v in model.state_dict().items()})
    model.train()
    opt = build_optimizer(model, "SGD", 0.01, 0.937, 5e-4)
    ema = ModelEMA(model)
    crit = DetectionLoss(10, (8, 16, 32), LossConfig(expand_tiny_boxes=True))
    ds = build_dataset(a.data, "train", a.imgsz, augment=augment_defaults("n"), batch_size=16, seed=0, workers=0)

    def ours() -> dict:
        times = {"forward": [], "loss": [], "backward": [], "step": [], "ema": []}
        for i, b in enumerate(batches):
            t0 = time.perf_counter()
            raw = model(b["img"].float() / 255)
            t1 = time.perf_counter()
            out = crit(raw, {k: b[k] for k in ("batch_idx", "cls", "bboxes")})
            t2 = time.perf_counter()
            out.total.backward()
            t3 = time.perf_counter()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            t4 = time.perf_counter()
            ema.update(model)
            t5 = time.perf_counter()
            if i >= 1:
                for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                    times[k].append(v * 1000)
        res = {k: float(np.median(v)) for k, v in times.items()}
        n = a.n_images
        t0 = time.perf_counter()
        items = [ds[j] for j in range(16, 16 + n)]
        t1 = time.perf_counter()
        for k in range(0, n - 15, 16):
            collate_fn(items[k:k + 16])
        t2 = time.perf_counter()
        res["data_per_image"] = (t1 - t0) / n * 1000
        res["collate_per_batch"] = (t2 - t1) / (n // 16) * 1000
        return {k: round(v, 2) for k, v in res.items()}

    cmd = [PEER_PY, PEER_SIDE, "profile", "--weights", str(wfile), "--batches", str(bfile), "--threads",
           str(a.threads), "--data", a.data, "--imgsz", str(a.imgsz), "--n-images", str(a.n_images)]
    for r in range(a.rounds):
        o = ours()
        p = subprocess.run(cmd, env=peer_env(), cwd="/tmp", capture_output=True, text=True, check=False)
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("PEER_PROFILE ")]
        if not line:
            raise SystemExit(f"peer profile failed:\n{p.stderr[-2000:]}")
        q = json.loads(line[-1].split(" ", 1)[1])
        print(f"round {r} (ms, median per batch of {a.batch}; data per image):")
        for k in o:
            print(f"  {k:18s} ours {o[k]:8.2f}   peer {q.get(k, float('nan')):8.2f}")


# ---------------------------------------------------------------------------------------------------- speed
def cmd_speed(a) -> None:
    """Training images/s of both trainers, interleaved rounds (val off on ours, the peer's train-only timing)."""
    out = Path(a.out)
    res = {"ours": [], "peer": []}
    for r in range(a.rounds):
        for side in ("ours", "peer"):
            name = f"speed-{side}-r{r}"
            if side == "ours":
                rr = run_ours(a, 0, out, name, parse_sets(a.ours_set), val=False)
                n = sum(1 for _ in (Path(a.data).parent / "images" / "train").iterdir())
                ips = [n / e["time_s"] for e in rr["epochs"]]
            else:
                rr = run_peer(a, 0, out, name, parse_sets(a.peer_set))
                ips = [e["train_img_per_s"] for e in rr["epochs"]]
            res[side].append(ips)
            print(f"round {r} {side}: train images/s per epoch {np.round(ips, 2).tolist()}", flush=True)
    for side, v in res.items():
        print(f"{side}: mean train images/s {np.mean(np.concatenate(v)):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("subset")
    s.add_argument("--src", required=True)
    s.add_argument("--n-train", type=int, default=1000)
    s.add_argument("--n-val", type=int, default=250)
    s.add_argument("--out", required=True)

    def common(p):
        p.add_argument("--data", required=True)
        p.add_argument("--imgsz", type=int, default=320)
        p.add_argument("--batch", type=int, default=16)
        p.add_argument("--threads", type=int, default=2)

    t = sub.add_parser("train")
    common(t)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--seeds", type=int, nargs="+", default=[0])
    t.add_argument("--sides", nargs="+", default=["ours", "peer"], choices=["ours", "peer"])
    t.add_argument("--out", default="/tmp/parity/runs")
    t.add_argument("--tag", default="")
    t.add_argument("--ours-set", nargs="*", default=[])
    t.add_argument("--peer-set", nargs="*", default=[])
    st = sub.add_parser("steps")
    common(st)
    st.add_argument("--steps", type=int, default=24)
    st.add_argument("--nb", type=int, default=63, help="batches per epoch (sets the warmup length)")
    st.add_argument("--epochs", type=int, default=30)
    st.add_argument("--min-warmup", type=int, default=100, help="our trainer's minimum warmup iterations")
    st.add_argument("--seed", type=int, default=0)
    st.add_argument("--init", default="", help="initial weights: a yolov12 checkpoint (default: a seeded random init)")
    st.add_argument("--tiny", action="store_true", help="ours with LossConfig.expand_tiny_boxes")
    st.add_argument("--no-augment", action="store_true")
    st.add_argument("--sequential", action="store_true", help="run the peer after ours instead of beside it")
    st.add_argument("--work", default="/tmp/parity/steps")
    st.add_argument("--set", nargs="*", default=[], help="hyperparameters for both sides, e.g. warmup_bias_lr=0.0")
    ag = sub.add_parser("augstats")
    common(ag)
    ag.add_argument("--n", type=int, default=400)
    ag.add_argument("--seed", type=int, default=0)
    ag.add_argument("--close-mosaic", action="store_true")
    ag.add_argument("--work", default="/tmp/parity/aug")
    sp = sub.add_parser("speed")
    common(sp)
    sp.add_argument("--epochs", type=int, default=1)
    sp.add_argument("--rounds", type=int, default=2)
    sp.add_argument("--out", default="/tmp/parity/speed")
    sp.add_argument("--ours-set", nargs="*", default=[])
    sp.add_argument("--peer-set", nargs="*", default=[])
    sc = sub.add_parser("score")
    common(sc)
    sc.add_argument("weights", nargs="+")
    pf = sub.add_parser("profile")
    common(pf)
    pf.add_argument("--steps", type=int, default=6)
    pf.add_argument("--rounds", type=int, default=2)
    pf.add_argument("--n-images", type=int, default=96)
    pf.add_argument("--work", default="/tmp/parity/profile")
    a = ap.parse_args()
    {"subset": cmd_subset, "train": cmd_train, "steps": cmd_steps, "augstats": cmd_augstats, "speed": cmd_speed,
     "profile": cmd_profile, "score": cmd_score}[a.cmd](a)


if __name__ == "__main__":
    main()
