"""The validation loop: letterboxed rect batches -> model -> NMS -> boxes in original pixels -> COCO metrics.

Used by ``YOLO.val()``, ``yolov12 val`` and the training loop alike.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from yolov12.evaluation.coco_json import detections_to_coco_json, save_coco_json
from yolov12.evaluation.metrics import DetectionEvaluator, DetectionMetrics
from yolov12.ops.boxes import scale_boxes, xywh2xyxy
from yolov12.ops.nms import non_max_suppression
from yolov12.utils import LOGGER, atomic_write_text
from yolov12.utils.checks import check_field_types, check_int, check_range


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


@dataclass
class ValResult:
    metrics: DetectionMetrics
    speed: dict[str, float] = field(default_factory=dict)  # ms per image: preprocess, inference, postprocess
    save_dir: Path | None = None
    json_path: Path | None = None


@torch.inference_mode()
def validate(
    model: nn.Module, loader, names: list[str], cfg: ValConfig | None = None, save_dir: Path | None = None,
) -> ValResult:
    """Evaluate ``model`` (eval output (B, 4 + nc, A)) on a loader of batch dicts (see ``yolov12.data``)."""
    cfg = cfg or ValConfig()
    was_training = model.training
    model.eval()
    param = next((p for p in model.parameters() if p.is_floating_point()), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    amp = cfg.half and device.type == "cuda"
    evaluator = DetectionEvaluator(len(names), names)
    records: list[dict] = []
    t = np.zeros(3)
    n_img = 0
    bar = tqdm(loader, desc="val", leave=False, disable=not cfg.verbose, bar_format="{l_bar}{bar:20}{r_bar}")
    for batch in bar:
        t0 = time.perf_counter()
        imgs = batch["img"].to(device, non_blocking=True).to(dtype) / 255
        t1 = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            preds = model(imgs)
        if isinstance(preds, (list, tuple)):
            preds = preds[0]
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t2 = time.perf_counter()
        dets = non_max_suppression(preds.float(), cfg.conf, cfg.iou, multi_label=cfg.multi_label,
                                   max_det=cfg.max_det)
        H, W = imgs.shape[2:]
        for i, det in enumerate(dets):
            sel = batch["batch_idx"] == i
            gt = xywh2xyxy(batch["bboxes"][sel].clone()) * torch.tensor([W, H, W, H])
            ori, rp = batch["ori_shape"][i], batch["ratio_pad"][i]
            gt = scale_boxes(gt, (H, W), ori, rp)
            det = det.cpu()
            boxes = scale_boxes(det[:, :4].clone(), (H, W), ori, rp)
            image_id = evaluator.update(boxes, det[:, 4], det[:, 5].long(), gt, batch["cls"][sel].long())
            if cfg.save_json:
                records += detections_to_coco_json(_image_id(batch["im_file"][i], image_id), boxes.numpy(),
                                                   det[:, 4].numpy(), det[:, 5].numpy().astype(int))
        t3 = time.perf_counter()
        t += (t1 - t0, t2 - t1, t3 - t2)
        n_img += imgs.shape[0]
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
            plot_confusion_matrix(metrics.confusion_matrix, names, save_dir / "confusion_matrix.png")
            plot_per_class_ap(metrics, names, save_dir / "per_class_ap.png")
    if cfg.verbose:
        LOGGER.info(metrics.summary())
        LOGGER.info("speed (ms/image): " + ", ".join(f"{k} {v:.1f}" for k, v in speed.items()))
    if was_training:
        model.train()
    return ValResult(metrics, speed, save_dir, json_path)


def _image_id(path: str, fallback: int) -> int | str:
    stem = Path(path).stem
    return int(stem) if stem.isdigit() else fallback


def plot_confusion_matrix(matrix: np.ndarray, names: list[str], out: Path, cell: int = 28) -> Path:
    """Column-normalised confusion matrix (rows predicted, columns true; last = background) as a heat map."""
    m = matrix.astype(np.float64)
    norm = m / np.maximum(m.sum(0, keepdims=True), 1)
    n = len(m)
    pad = 60
    img = np.full((n * cell + pad + 10, n * cell + pad + 10, 3), 255, np.uint8)
    labels = [str(x) for x in names] + ["bg"]
    for r in range(n):
        for c in range(n):
            v = norm[r, c]
            color = tuple(int(255 - v * (255 - x)) for x in (180, 90, 30))
            x0, y0 = pad + c * cell, pad + r * cell
            cv2.rectangle(img, (x0, y0), (x0 + cell - 1, y0 + cell - 1), color, -1)
            if n <= 25 and v > 0:
                cv2.putText(img, f"{v:.2f}"[1:] if v < 1 else "1", (x0 + 2, y0 + cell // 2 + 4),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1, cv2.LINE_AA)
        if n <= 25:
            cv2.putText(img, labels[r][:5], (2, pad + r * cell + cell // 2 + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        (0, 0, 0), 1, cv2.LINE_AA)
            cv2.putText(img, labels[r][:5], (pad + r * cell + 2, pad - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0),
                        1, cv2.LINE_AA)
    cv2.putText(img, "rows: predicted, cols: true", (2, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(str(out), img)
    return out


def plot_per_class_ap(metrics: DetectionMetrics, names: list[str], out: Path) -> Path:
    """Horizontal bars of AP50 and AP50-95 per class."""
    n = len(names)
    row = 18
    img = np.full((n * row + 40, 420, 3), 255, np.uint8)
    cv2.putText(img, "per-class AP50 (light) and AP50-95 (dark)", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                cv2.LINE_AA)
    for i, name in enumerate(names):
        y = 30 + i * row
        ap50, ap = (float(np.nan_to_num(v[i])) for v in (metrics.per_class_ap50, metrics.per_class_ap))
        cv2.rectangle(img, (100, y), (100 + int(300 * ap50), y + row - 4), (230, 180, 120), -1)
        cv2.rectangle(img, (100, y), (100 + int(300 * ap), y + row - 4), (160, 80, 20), -1)
        cv2.putText(img, str(name)[:12], (4, y + row - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(str(out), img)
    return out
