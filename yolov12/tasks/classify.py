"""Image classification: the backbone with the Classify head at row 9; folder datasets, cross-entropy, top-1 /
top-5, ``Results.probs``.

Data: ``data=`` is a folder root (``train/<class>/``, ``val/<class>/``, optional ``test/``), a data.yaml naming one
(``path:``), or ``digits-cls`` (the shipped MNIST digits as a folder dataset). Inputs: random resized crops (train),
short side resized to ``imgsz`` then centre-cropped (val and predict). Eval output: (probabilities, logits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yolov12.config import ModelConfig
from yolov12.data import AugmentConfig, DataConfig
from yolov12.data.classify import ClassifyAugment, ClassifyDataset, center_crop_resize, classify_data_config
from yolov12.data.compose_classify import resolve_classify_data
from yolov12.evaluation.classify_eval import ClassifyEvaluator, ClassifyMetrics, plot_classify_metrics
from yolov12.inference.postprocess import NMSConfig, RatioPad
from yolov12.inference.results import Results
from yolov12.loss.classify import ClassificationLoss
from yolov12.models.classification import ClassificationModel
from yolov12.tasks.base import Task, first_tensor


class ClassifyTask(Task):
    name = "classify"
    suffix = "-cls"
    default_nc = 1000
    target_keys = ("cls",)
    result_fields = ("probs",)
    metric_columns = {"top1": "top1", "top5": "top5"}
    modes = ("train", "val", "predict", "export")
    # the cross-entropy is a batch mean (as in the seed); the trainer averages it over the accumulation window, so
    # recipe=cls's lr0 0.2 / nbs 256 keeps its meaning at small batches. The seed sums the accumulated means:
    # at batch 32 its step is 8x the gradient of its batch-256 runs (measured on digits-cls: peak loss 5.7 and top-1
    # at chance; README, Classify)
    loss_reduction = "mean"
    export_nms = False  # no boxes to suppress

    def build_model(self, cfg: ModelConfig) -> ClassificationModel:
        return ClassificationModel(cfg)

    def build_loss(self, model: torch.nn.Module, hyp: Mapping[str, Any]) -> ClassificationLoss:
        return ClassificationLoss(float(hyp.get("label_smoothing") or 0.0))

    # ----- data
    def data_config(self, data: str | Path) -> DataConfig:
        return classify_data_config(resolve_classify_data(data))

    def build_dataset(self, data_cfg: DataConfig, split: str, imgsz: int, augment: AugmentConfig | None = None,
                      hyp: Mapping[str, Any] | None = None, **kwargs: Any) -> ClassifyDataset:
        """Class folders of ``split``; training (``augment`` given) uses :class:`ClassifyAugment` from ``hyp``
        (crop area from the detector's ``scale``, flips, HSV, auto_augment, erasing)."""
        aug = ClassifyAugment.from_hyp(dict(hyp or {}), augment.scale) if augment is not None else None
        return ClassifyDataset.from_config(data_cfg, split, imgsz, augment=aug, cache=kwargs.get("cache"),
                                           seed=kwargs.get("seed", 0), workers=kwargs.get("workers", 2))

    def prepare_image(self, im: np.ndarray, imgsz: tuple[int, int], stride: int, auto: bool
                      ) -> tuple[np.ndarray, RatioPad]:
        """Short side to the input size, centre crop (as validation); ``auto`` does not apply."""
        h0, w0 = im.shape[:2]
        return center_crop_resize(im, tuple(imgsz)), (max(imgsz[0] / h0, imgsz[1] / w0), (0.0, 0.0))

    # ----- inference and evaluation
    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                    ratio_pads: Sequence[RatioPad | None], nms: NMSConfig) -> list[torch.Tensor]:
        """Eval output (probabilities, logits) or probabilities alone (export) -> one (nc,) float32 CPU vector
        per image."""
        probs = first_tensor(output)
        return list(probs.detach().float().cpu())

    def results(self, orig_img: np.ndarray, path: str, names: dict[int, str], pred: torch.Tensor,
                speed: dict[str, float], frame: int) -> Results:
        return Results(orig_img, path, names, None, speed=speed, frame=frame, probs=pred)

    def eval_targets(self, batch: dict[str, Any], i: int, in_hw: tuple[int, int]) -> int:
        return int(batch["cls"][i])

    def evaluator(self, names: list[str]) -> ClassifyEvaluator:
        return ClassifyEvaluator(names)

    def json_records(self, image_id: int | str, pred: torch.Tensor) -> list[dict]:
        k = min(5, pred.numel())
        conf, idx = torch.topk(pred, k)
        return [{"image_id": image_id, "category_id": int(c), "score": round(float(s), 5)}
                for c, s in zip(idx.tolist(), conf.tolist())]

    def plot_metrics(self, metrics: ClassifyMetrics, names: list[str], save_dir: Path) -> None:
        plot_classify_metrics(metrics, names, save_dir)
