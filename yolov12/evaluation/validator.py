"""The validation loop: letterboxed rect batches -> model -> the task's post-processing (predictions in original
pixels) -> the task's evaluator.

Used by ``YOLO.val()``, ``yolov12 val`` and the training loop alike, for every task: the loop never asks which task
it runs; the ``task`` object (``yolov12.tasks``) supplies post-processing, ground truth, evaluator, JSON and plots.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from yolov12.evaluation.coco_json import save_coco_json
from yolov12.inference.postprocess import NMSConfig
from yolov12.utils import LOGGER, atomic_write_text
from yolov12.utils.checks import check_field_types, check_int, check_range


class Evaluator(Protocol):
    def update(self, pred: Any, target: Any) -> int: ...  # one image; returns its image id
    def compute(self) -> Any: ...  # metrics with .fitness, .to_dict(), .summary()


class ValTask(Protocol):
    """What validation asks of a task (see ``yolov12.tasks.base.Task``)."""

    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: list, ratio_pads: list,
                    nms: NMSConfig) -> list[Any]: ...
    def eval_targets(self, batch: dict, i: int, in_hw: tuple[int, int]) -> Any: ...
    def evaluator(self, names: list[str]) -> Evaluator: ...
    def json_records(self, image_id: int | str, pred: Any) -> list[dict]: ...
    def plot_metrics(self, metrics: Any, names: list[str], save_dir: Path) -> None: ...


@dataclass
class ValConfig:
    conf: float = 0.001  # the paper's validation threshold
    iou: float = 0.7  # NMS IoU
    max_det: int = 300
    half: bool = False  # fp16 autocast (CUDA only)
    multi_label: bool = True  # one box may carry several classes (as in COCO validation of YOLO models)
    save_json: bool = False  # write COCO-format predictions.json
    plots: bool = False  # confusion matrix and PR curve PNGs
    verbose: bool = True  # progress bar and the per-class table

    def __post_init__(self) -> None:
        check_field_types(self)
        check_range("conf", self.conf, 0, 1)
        check_range("iou", self.iou, 0, 1)
        check_int("max_det", self.max_det, 1)

    @property
    def nms(self) -> NMSConfig:
        return NMSConfig(conf=self.conf, iou=self.iou, max_det=self.max_det, multi_label=self.multi_label)


@dataclass
class ValResult:
    metrics: Any  # the task's metrics object (detection: DetectionMetrics)
    speed: dict[str, float] = field(default_factory=dict)  # ms per image: preprocess, inference, postprocess
    save_dir: Path | None = None
    json_path: Path | None = None


@torch.inference_mode()
def validate(
    model: nn.Module, loader, names: list[str], task: ValTask, cfg: ValConfig | None = None,
    save_dir: Path | None = None, predict_file: Callable[[str], Any] | None = None,
) -> ValResult:
    """Evaluate ``model`` (in eval mode it returns the ``task``'s output) on a loader of batch dicts (see
    ``yolov12.data``) with the task's post-processing and evaluator. ``predict_file``: instead, each image's
    predictions in original pixels come from ``predict_file(batch["im_file"][i])`` (tiled validation of large
    images: the original file, not the letterboxed batch, is predicted); the batch gives the ground truth."""
    cfg = cfg or ValConfig()
    was_training = model.training
    model.eval()
    param = next((p for p in model.parameters() if p.is_floating_point()), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    amp = cfg.half and device.type == "cuda"
    make = getattr(task, "model_evaluator", None)  # tasks whose metric depends on the model's config
    evaluator = make(model, names) if make is not None else task.evaluator(names)
    nms = cfg.nms
    records: list[dict] = []
    t = np.zeros(3)
    n_img = 0
    bar = tqdm(loader, desc="val", leave=False, disable=not cfg.verbose, bar_format="{l_bar}{bar:20}{r_bar}")
    for batch in bar:
        t0 = time.perf_counter()
        in_hw = tuple(batch["img"].shape[2:])
        if predict_file is not None:  # the batch gives only the ground truth: its images stay where they are
            t1 = t0
            preds = [predict_file(f) for f in batch["im_file"]]
            t2 = time.perf_counter()
        else:
            imgs = batch["img"].to(device, non_blocking=True).to(dtype) / 255
            t1 = time.perf_counter()
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                output = model(imgs)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            t2 = time.perf_counter()
            preds = task.postprocess(output, in_hw, batch["ori_shape"], batch["ratio_pad"], nms)
        for i, pred in enumerate(preds):
            image_id = evaluator.update(pred, task.eval_targets(batch, i, in_hw))
            if cfg.save_json:
                records += task.json_records(_image_id(batch["im_file"][i], image_id), pred)
        t3 = time.perf_counter()
        t += (t1 - t0, t2 - t1, t3 - t2)
        n_img += batch["img"].shape[0]
    metrics = evaluator.compute()
    speed = dict(zip(("preprocess", "inference", "postprocess"), (t * 1000 / max(n_img, 1)).round(3).tolist()))
    json_path = None
    if save_dir is not None:
        save_dir = Path(save_dir)
        save_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(save_dir / "metrics.json", json.dumps({**metrics.to_dict(), "speed_ms": speed}, indent=2))
        if cfg.save_json:
            json_path = save_coco_json(records, save_dir / "predictions.json")
        if cfg.plots:
            task.plot_metrics(metrics, names, save_dir)
    if cfg.verbose:
        LOGGER.info(metrics.summary())
        LOGGER.info("speed (ms/image): " + ", ".join(f"{k} {v:.1f}" for k, v in speed.items()))
    if was_training:
        model.train()
    return ValResult(metrics, speed, save_dir, json_path)


def _image_id(path: str, fallback: int) -> int | str:
    stem = Path(path).stem
    return int(stem) if stem.isdigit() else fallback
