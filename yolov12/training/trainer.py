"""The training loop: the paper's recipe end to end (spec section 4), resumable, DDP through torchrun.

``train(cfg)`` is the one entry point. Rank 0 validates, logs and writes; every rank trains.
"""

from __future__ import annotations

import csv
import math
import os
import random
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm import tqdm

from yolov12.config import ModelConfig
from yolov12.data import DataConfig, build_dataloader
from yolov12.evaluation.validator import ValConfig, validate
from yolov12.tasks import get_task, load_model, parse_model_name
from yolov12.training.config import LEGACY_RECIPE, TrainConfig, resume_args
from yolov12.training.distributed import (
    DistInfo, cleanup_distributed, dist_info_from_env, init_distributed, select_device,
)
from yolov12.training.ema import ModelEMA, unwrap
from yolov12.training.optim import build_optimizer, lr_factor, warmup_step
from yolov12.training.plots import plot_labels, plot_results, plot_train_batch
from yolov12.training.state import load_train_state, reconcile_run, save_train_state, set_rng_state
from yolov12.utils import LOGGER, YoloError, atomic_write_text, run_folder
from yolov12.weights import load_weights, transfer_weights


class NonFiniteLossError(YoloError, RuntimeError):
    """Too many consecutive non-finite losses: training stopped, last good checkpoint kept."""


@dataclass
class TrainResult:
    save_dir: Path
    best: Path | None
    last: Path
    epochs_run: int
    best_fitness: float
    metrics: dict = field(default_factory=dict)
    skipped_steps: int = 0


def loader_workers(requested: int, device: torch.device) -> int:
    """Loader processes to use: on CPU at most the cores torch's threads leave free (0 when they take them all, as
    by default): workers beside busy OpenMP threads on the same cores slow both down."""
    if device.type != "cpu":
        return requested
    return min(requested, max(0, (os.cpu_count() or 1) - torch.get_num_threads()))


class Trainer:
    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        self.info: DistInfo = dist_info_from_env()
        self.device = select_device(cfg.device, self.info)
        self.start_epoch = 0
        self.best_fitness = -math.inf  # fitness may be negative (minus the loss when val=False)
        self.skipped = 0
        self.resume_state = None
        if cfg.resume:
            self._load_resume()
        self.model_cfg = self._model_config()
        self.task = get_task(self.model_cfg.task)
        self.task.require("train")  # before any folder is made

    # ------------------------------------------------------------------ set-up
    def _load_resume(self) -> None:
        path = Path(self.cfg.resume if isinstance(self.cfg.resume, str) else self.cfg.model)
        if not path.is_file():
            raise FileNotFoundError(f"resume: checkpoint {path} not found; pass resume=RUN/weights/last.safetensors "
                                    "(or resume with model= set to it)")
        state = load_train_state(path)
        # the saved arguments win; the safe ones (device, workers, more epochs...) may change, others are refused;
        # runs saved before a recipe field existed trained with its old behaviour (LEGACY_RECIPE)
        args = {**resume_args({**LEGACY_RECIPE, **state.args}, self.cfg, str(path)), "resume": str(path)}
        self.cfg = TrainConfig.from_dict(args)
        self.resume_state = state
        self.start_epoch = state.epoch + 1
        self.best_fitness = state.best_fitness
        self.save_dir = path.parent.parent
        if self.start_epoch >= self.cfg.epochs:  # killed while writing best or before the final validation
            LOGGER.info(f"{path}: all {self.cfg.epochs} epochs done; completing the run (best weights, final "
                        "validation); pass epochs=N to train longer")
        else:
            LOGGER.info(f"resuming {self.save_dir} from epoch {self.start_epoch + 1}/{self.cfg.epochs}")

    def _setup_dirs(self) -> None:
        cfg = self.cfg
        if self.resume_state is None:
            self.save_dir = run_folder(cfg.project, cfg.name, cfg.exist_ok)
        self.wdir = self.save_dir / "weights"
        if self.info.main:
            try:
                self.wdir.mkdir(parents=True, exist_ok=True)
                probe = self.wdir / ".write_test"
                probe.write_bytes(b"0" * 1024)
                probe.unlink()
            except OSError as e:
                raise OSError(f"cannot write to the run folder {self.save_dir}: {e}") from e
            free = shutil.disk_usage(self.wdir).free
            if free < 200 * 2**20:
                raise OSError(f"only {free / 2**20:.0f} MiB free under {self.save_dir}; need at least 200 MiB")
            # partial writes, results rows and best weights of an interrupted run made to agree with the checkpoint
            best_fitness = reconcile_run(self.save_dir, self.resume_state, cfg.save_period)
            if best_fitness is not None:
                self.best_fitness = best_fitness
            atomic_write_text(self.save_dir / "args.yaml", _yaml(cfg.to_dict()))

    def _model_config(self) -> ModelConfig:
        """The config of the network to train (task included): from the resumed checkpoint's header, the model
        name, or the weights it names (read once: kept in ``self.start_weights`` for :meth:`_build_model`)."""
        self.start_weights = None
        if self.resume_state is not None:
            return self.resume_state.model_cfg
        mcfg = parse_model_name(self.cfg.model)
        if mcfg is None:
            self.start_weights = load_weights(self.cfg.model)
            mcfg = self.start_weights.cfg
        return mcfg

    def _build_model(self, names: list[str], data: DataConfig | None = None) -> nn.Module:
        """The model for classes ``names``; ``data`` (the DataConfig) goes to ``task.fit_data``: e.g. pose takes
        (new model) or checks (trained) its kpt_shape there."""
        cfg, task, mcfg = self.cfg, self.task, self.model_cfg
        if self.resume_state is not None:
            model = task.build_model(task.fit_data(mcfg, data, trained=True))
            model.load_state_dict(self.resume_state.model_state)
        elif self.start_weights is not None:  # continue from weights: same classes -> load all, else transfer
            w, self.start_weights = self.start_weights, None  # not kept for the whole run
            if w.cfg.nc == len(names):
                model = task.build_model(task.fit_data(ModelConfig(**{**w.cfg.to_dict(), "names": names}), data,
                                                       trained=True))
                model.load_state_dict(w.state)
            else:
                model = task.build_model(task.fit_data(
                    ModelConfig(**{**w.cfg.to_dict(), "nc": len(names), "names": names}), data, trained=False))
                transfer_weights(model, w.state)
        else:
            model = task.build_model(task.fit_data(
                ModelConfig(**{**mcfg.to_dict(), "nc": len(names), "names": names}), data, trained=False))
        if cfg.pretrained and not self.resume_state:
            transfer_weights(model, load_weights(cfg.pretrained).state)
        if cfg.freeze:
            if cfg.freeze >= len(model.layers):
                raise ValueError(f"freeze={cfg.freeze} would freeze every layer; the model has {len(model.layers)} "
                                 f"layers (the last is the head), so freeze must be 0..{len(model.layers) - 1}")
            frozen = [f"layers.{i}." for i in range(cfg.freeze)]
            for n, p in model.named_parameters():
                if any(n.startswith(f) for f in frozen):
                    p.requires_grad_(False)
            LOGGER.info(f"froze layers 0-{cfg.freeze - 1}")
        model = model.to(self.device)
        return model.to(memory_format=torch.channels_last) if cfg.channels_last else model

    def _seed(self) -> None:
        seed = self.cfg.seed + max(self.info.rank, 0)
        # SiLU of very negative inputs underflows to denormal floats, which are ~50x slower on x86 CPUs
        torch.set_flush_denormal(True)
        if self.info.enabled and self.device.type == "cpu":
            # several ranks on one machine: share the cores, or OpenMP spin-waiting makes every op ~10x slower
            local = int(os.environ.get("LOCAL_WORLD_SIZE", self.info.world_size))
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        if self.cfg.deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False

    # ------------------------------------------------------------------ run
    def run(self) -> TrainResult:
        init_distributed(self.info, self.device)
        try:
            return self._run()
        finally:
            cleanup_distributed()

    def _run(self) -> TrainResult:
        self._seed()
        self._setup_dirs()
        self._setup()
        cfg, info = self.cfg, self.info
        epoch = self.start_epoch - 1  # the last completed epoch
        for epoch in range(self.start_epoch, cfg.epochs):
            t_epoch = time.time()
            mean_items = self._train_epoch(epoch)
            stop = self._end_epoch(epoch, mean_items, time.time() - t_epoch) if info.main else False
            if info.enabled:
                flag = torch.tensor([1.0 if stop else 0.0], device=self.device)
                dist.broadcast(flag, 0)
                stop = bool(flag.item())
            if stop:
                break
        return self._finish(epoch)

    def _setup(self) -> None:
        """Data, model, EMA, optimiser, scaler, loss; restore them when resuming."""
        cfg, info, device = self.cfg, self.info, self.device
        task = self.task
        self.data_cfg = task.data_config(cfg.data)
        model = self._build_model(self.data_cfg.names, self.data_cfg)
        batch = max(cfg.batch // info.world_size, 1)
        self.train_set = task.build_dataset(self.data_cfg, "train", cfg.imgsz, augment=cfg.augment(model.cfg.scale),
                                            hyp=cfg.to_dict(), batch_size=batch, cache=cfg.cache, seed=cfg.seed,
                                            workers=cfg.workers, mask_ratio=cfg.mask_ratio,
                                            overlap_mask=cfg.overlap_mask)
        workers = loader_workers(cfg.workers, device)
        self.train_loader = build_dataloader(self.train_set, batch, workers, shuffle=True, seed=cfg.seed,
                                             rank=info.rank, world_size=info.world_size)
        self.val_loader = None
        if info.main and cfg.val:
            val_set = task.build_dataset(self.data_cfg, "val", cfg.imgsz, augment=None, rect=True,
                                         batch_size=batch * 2, workers=cfg.workers)
            self.val_loader = build_dataloader(val_set, batch * 2, workers, shuffle=False)
        if info.enabled and cfg.sync_bn and device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        self.ema = ModelEMA(model)
        self.accumulate = max(round(cfg.nbs / cfg.batch), 1)
        decay = cfg.weight_decay * cfg.batch * self.accumulate / cfg.nbs
        self.optimizer = build_optimizer(model, cfg.optimizer, cfg.lr0, cfg.momentum, decay)
        self.amp = cfg.amp and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        if self.resume_state is not None:
            st = self.resume_state
            self.ema.ema.load_state_dict(st.ema_state)
            self.ema.updates = st.ema_updates
            self.optimizer.load_state_dict(st.optimizer)
            if st.scaler and self.amp:
                self.scaler.load_state_dict(st.scaler)
            set_rng_state(st.rng_tensors, st.rng_meta)
        if info.enabled:
            model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        self.model = model
        self.criterion = task.build_loss(unwrap(model), cfg.to_dict())
        self.item_names = tuple(self.criterion.item_names)
        nb = len(self.train_loader)
        self.warmup_iters = cfg.warmup_iters(nb)
        self.last = self.wdir / "last.safetensors"
        self.best = self.wdir / "best.safetensors"
        self.metrics: dict = {}
        # epochs without a better fitness (early stopping): carried across a resume
        self.epochs_no_improve = self.resume_state.epochs_no_improve if self.resume_state is not None else 0
        self.consecutive_bad = 0
        if info.main:
            c = unwrap(model).cfg
            LOGGER.info(f"training {c.scale} ({c.variant}, {c.task}) on {device}, {len(self.train_set)} train images, "
                        f"{cfg.epochs} epochs, batch {cfg.batch}, imgsz {cfg.imgsz}; results in {self.save_dir}")
            if cfg.plots and self.start_epoch == 0:
                plot_labels(self.train_set, self.data_cfg.names, self.save_dir / "labels.png")

    def _train_epoch(self, epoch: int) -> torch.Tensor:
        """One pass over the training data. Returns the epoch's mean loss items (the criterion's item_names)."""
        cfg, info, device = self.cfg, self.info, self.device
        model, optimizer, scaler, loader = self.model, self.optimizer, self.scaler, self.train_loader
        model.train()
        if cfg.close_mosaic and epoch >= cfg.epochs - cfg.close_mosaic \
                and getattr(self.train_set.augment, "mosaic", 0) > 0:
            self.train_set.close_mosaic()
        # per-epoch seeding: the data order and augmentation of epoch e depend on (seed, e) only, so a resumed run
        # sees exactly the batches the uninterrupted one would have seen
        loader.generator.manual_seed(cfg.seed + 1000 * epoch + max(info.rank, 0))
        self.train_set.reseed(cfg.seed + 1000 * epoch + max(info.rank, 0))
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        factor = lr_factor(epoch, cfg.epochs, cfg.lrf, cfg.cos_lr)
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"] * factor
        nb = len(loader)
        mean_items = torch.zeros(len(self.item_names))
        pbar = enumerate(loader)
        if info.main:
            pbar = tqdm(pbar, total=nb, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=True,
                        bar_format="{l_bar}{bar:20}{r_bar}", disable=not cfg.verbose)
        optimizer.zero_grad(set_to_none=True)
        last_step = nb * epoch - 1  # each epoch starts a fresh accumulation window (deterministic on resume)...
        for i, batch in pbar:
            ni = i + nb * epoch
            if ni <= self.warmup_iters:
                self.accumulate = warmup_step(optimizer, ni, self.warmup_iters, factor, cfg.warmup_bias_lr,
                                              cfg.momentum, cfg.warmup_momentum, cfg.nbs, cfg.batch)
            imgs = batch["img"].to(device, non_blocking=True).float() / 255
            if cfg.channels_last:
                imgs = imgs.contiguous(memory_format=torch.channels_last)
            targets = {k: batch[k].to(device) for k in self.task.target_keys}
            with torch.autocast(device.type, dtype=torch.float16, enabled=self.amp):
                raw = model(imgs)
            out = self.criterion(raw, targets)
            if self.task.loss_reduction == "mean":  # a batch mean: the step's gradient is the mean over nbs images
                loss = out.total / self.accumulate  # (DDP's average over ranks keeps it a mean)
            else:
                loss = out.total * info.world_size  # DDP averages gradients over ranks
            if not torch.isfinite(loss):
                self._skip_step(epoch, i)
                continue
            self.consecutive_bad = 0
            scaler.scale(loss).backward()
            if ni - last_step >= self.accumulate or i == nb - 1:  # ...and ends with a step: no gradient is lost
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
                self.ema.update(model)
                last_step = ni
            mean_items = (mean_items * i + out.vector.cpu()) / (i + 1)
            if info.main and cfg.verbose:
                mem = f"{torch.cuda.memory_reserved() / 2**30:.1f}G" if device.type == "cuda" else "cpu"
                losses = " ".join(f"{n} {v:.3f}" for n, v in zip(self.item_names, mean_items.tolist()))
                pbar.set_postfix_str(f"{losses} mem {mem} {tuple(imgs.shape[2:])}")
            if info.main and cfg.plots and epoch == self.start_epoch and i < 2:
                plot_train_batch(batch, self.data_cfg.names, self.save_dir / f"train_batch{i}.jpg")
        return mean_items

    def _skip_step(self, epoch: int, i: int) -> None:
        self.skipped += 1
        self.consecutive_bad += 1
        self.optimizer.zero_grad(set_to_none=True)
        LOGGER.warning(f"non-finite loss at epoch {epoch + 1} iteration {i}: step skipped "
                       f"({self.consecutive_bad} in a row, {self.skipped} in total)")
        if self.consecutive_bad >= self.cfg.max_nonfinite:
            raise NonFiniteLossError(
                f"{self.consecutive_bad} consecutive non-finite losses: stopping; the last good checkpoint is kept "
                f"at {self.last} (try a lower lr0, amp=False, or check the labels)")

    def _end_epoch(self, epoch: int, mean_items: torch.Tensor, seconds: float) -> bool:
        """Rank 0: validate the EMA, log results.csv, save last/best/periodic checkpoints. Returns 'stop early'."""
        cfg = self.cfg
        if self.val_loader is not None:
            vres = validate(self.ema.ema, self.val_loader, self.data_cfg.names, self.task, ValConfig(
                conf=cfg.conf, iou=cfg.iou, max_det=cfg.max_det, half=self.amp, plots=False, verbose=False))
            self.metrics, fitness = vres.metrics.to_dict(), vres.metrics.fitness
        else:  # no validation: the lowest training loss is the best
            self.metrics, fitness = {}, -float(mean_items.sum())
        improved = fitness > self.best_fitness
        if improved:
            self.best_fitness, self.epochs_no_improve = fitness, 0
        else:
            self.epochs_no_improve += 1
        m = self.metrics
        lrs = {f"lr{j}": g["lr"] for j, g in enumerate(self.optimizer.param_groups)}
        losses = {f"train/{n}": v for n, v in zip(self.item_names, mean_items.tolist())}
        scores = {col: m.get(key, 0.0) for col, key in self.task.metric_columns.items()}
        self._append_results({"epoch": epoch + 1, **losses, **lrs, **scores, "fitness": fitness,
                              "time": round(seconds, 2)})
        save_kw = dict(model=unwrap(self.model), ema_model=self.ema.ema, optimizer=self.optimizer, scaler=self.scaler,
                       epoch=epoch, best_fitness=self.best_fitness, ema_updates=self.ema.updates,
                       epochs_no_improve=self.epochs_no_improve,
                       args=cfg.to_dict(), metrics=m)
        save_train_state(self.last, **save_kw)
        if improved:
            save_train_state(self.best, **{**save_kw, "full": False})
        if cfg.save_period > 0 and (epoch + 1) % cfg.save_period == 0:
            save_train_state(self.wdir / f"epoch{epoch + 1}.safetensors", **{**save_kw, "full": False})
        if m and cfg.verbose:
            LOGGER.info(f"epoch {epoch + 1}: " + " ".join(f"{col} {m[key]:.3f}" for col, key in
                                                          self.task.metric_columns.items() if key in m))
        _test_kill_hook(epoch)
        if cfg.patience and self.epochs_no_improve >= cfg.patience and epoch + 1 < cfg.epochs:
            LOGGER.info(f"early stopping: no improvement for {cfg.patience} epochs")
            return True
        return False

    def _finish(self, epoch: int) -> TrainResult:
        """Rank 0: plots, a final validation of the best weights with plots; the result summary."""
        cfg, final_metrics = self.cfg, self.metrics
        if self.info.main:
            if cfg.plots:
                plot_results(self.save_dir / "results.csv", self.save_dir / "results.png")
            if self.val_loader is not None and self.best.exists():
                best_model, _ = load_model(self.best)
                vres = validate(best_model.to(self.device), self.val_loader, self.data_cfg.names, self.task, ValConfig(
                    conf=cfg.conf, iou=cfg.iou, max_det=cfg.max_det, plots=cfg.plots, verbose=cfg.verbose),
                    save_dir=self.save_dir)
                final_metrics = vres.metrics.to_dict()
            LOGGER.info(f"{epoch + 1 - self.start_epoch} epochs done; weights in {self.wdir}"
                        + (f"; {self.skipped} non-finite steps skipped" if self.skipped else ""))
        return TrainResult(self.save_dir, self.best if self.best.exists() else None, self.last, epoch + 1,
                           self.best_fitness, final_metrics, self.skipped)

    def _append_results(self, row: dict) -> None:
        """One results.csv row; the columns (epoch, the task's loss items, lrs, its metrics...) from the first."""
        path = self.save_dir / "results.csv"
        new = not path.exists()
        with open(path, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(list(row))
            w.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row.values()])


def _test_kill_hook(epoch: int) -> None:
    """Test hook: YOLOV12_TEST_KILL_AFTER_EPOCH=N sends SIGKILL to this process after epoch N is saved."""
    n = os.environ.get("YOLOV12_TEST_KILL_AFTER_EPOCH")
    if n is not None and epoch + 1 == int(n):
        os.kill(os.getpid(), signal.SIGKILL)


def _yaml(d: dict) -> str:
    import yaml

    return yaml.safe_dump(d, sort_keys=False)


def train(cfg: TrainConfig) -> TrainResult:
    return Trainer(cfg).run()
