"""Pose / keypoints: Pose head, box + OKS keypoint loss, NMS carrying keypoints, OKS mAP, ``Results.keypoints``.

The dataset decides the keypoint layout: a model built from a name (``yolov12n-pose.yaml``, default [17, 3]) takes
the data.yaml's ``kpt_shape`` and ``kpt_oks_sigmas`` when it is trained (:meth:`PoseTask.fit_data`); a trained
model must match the dataset it is trained further or validated on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.data import DataConfig, LabelFormat
from yolov12.data.config import DataConfigError
from yolov12.evaluation.coco_json import detections_to_coco_json
from yolov12.evaluation.plots import plot_confusion_matrix, plot_per_class_ap
from yolov12.evaluation.pose_eval import PoseEvaluator, PoseMetrics
from yolov12.inference.keypoints import PosePrediction, pose_postprocess, scale_keypoints
from yolov12.inference.postprocess import NMSConfig, RatioPad
from yolov12.inference.results import Results
from yolov12.loss.pose import PoseLoss, PoseLossConfig, resolve_sigmas
from yolov12.models.detection import STRIDES
from yolov12.models.pose import PoseModel
from yolov12.ops.boxes import scale_boxes, xywh2xyxy
from yolov12.tasks.base import Task


class PoseTask(Task):
    name = "pose"
    suffix = "-pose"
    target_keys = ("batch_idx", "cls", "bboxes", "keypoints")
    result_fields = ("boxes", "keypoints")
    export_nms = False  # the ONNX backend applies the pose NMS (keypoints included)
    modes = ("train", "val", "predict", "export")
    metric_columns = {"precision": "box_precision", "recall": "box_recall", "mAP50": "box_map50",
                      "mAP50-95": "box_map50_95", "pose_mAP50": "pose_map50", "pose_mAP50-95": "pose_map50_95"}

    def build_model(self, cfg: ModelConfig) -> PoseModel:
        return PoseModel(cfg)

    def fit_data(self, cfg: ModelConfig, data: DataConfig, trained: bool) -> ModelConfig:
        where = data.yaml_file or "data config"
        if data.kpt_shape is None:
            raise DataConfigError(f"{where}: a pose dataset needs kpt_shape: [K, 2] or [K, 3] (and flip_idx for "
                                  "left-right flips)")
        kpt, sigmas = tuple(data.kpt_shape), data.kpt_oks_sigmas
        if trained:
            if tuple(cfg.kpt_shape) != kpt:
                raise ValueError(f"the model has kpt_shape {list(cfg.kpt_shape)} but {where} has kpt_shape "
                                 f"{list(kpt)}; use a dataset with the model's keypoints, or start from a model "
                                 "name (yolov12n-pose.yaml) to train a new one")
            sigmas = sigmas if sigmas is not None else cfg.kpt_sigmas
        return ModelConfig(**{**cfg.to_dict(), "kpt_shape": kpt, "kpt_sigmas": sigmas})

    def build_loss(self, model: nn.Module, hyp: Mapping[str, Any]) -> PoseLoss:
        known = {f.name for f in fields(PoseLossConfig)}
        cfg = PoseLossConfig(**{k: v for k, v in hyp.items() if k in known})
        return PoseLoss(model.nc, model.cfg.kpt_shape, STRIDES, cfg, sigmas=model.cfg.kpt_sigmas)

    def label_format(self, data: DataConfig) -> LabelFormat:
        if data.kpt_shape is None:
            raise DataConfigError(f"{data.yaml_file or 'data config'}: a pose dataset needs kpt_shape: [K, 2] or "
                                  "[K, 3]")
        return LabelFormat("pose", data.kpt_shape)

    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                    ratio_pads: Sequence[RatioPad | None], nms: NMSConfig) -> list[PosePrediction]:
        return pose_postprocess(output, in_hw, orig_shapes, ratio_pads, conf=nms.conf, iou=nms.iou,
                                classes=nms.classes, agnostic=nms.agnostic, multi_label=nms.multi_label,
                                max_det=nms.max_det)

    def results(self, orig_img: np.ndarray, path: str, names: dict[int, str], pred: PosePrediction,
                speed: dict[str, float], frame: int) -> Results:
        return Results(orig_img, path, names, pred.boxes, speed=speed, frame=frame, keypoints=pred.keypoints)

    def eval_targets(self, batch: dict[str, Any], i: int, in_hw: tuple[int, int]) -> dict[str, torch.Tensor]:
        """Boxes (n, 4) xyxy, classes (n,) and keypoints (n, K, 3) (x, y, v) in original pixels of image ``i``."""
        H, W = in_hw
        sel = batch["batch_idx"] == i
        shape, rp = batch["ori_shape"][i], batch["ratio_pad"][i]
        gt = xywh2xyxy(batch["bboxes"][sel].clone()) * torch.tensor([W, H, W, H])
        kp = batch["keypoints"][sel].clone() * torch.tensor([W, H, 1.0])
        kp = scale_keypoints(kp, (H, W), shape, rp)
        kp[kp[..., 2] == 0] = 0.0
        return {"boxes": scale_boxes(gt, (H, W), shape, rp), "cls": batch["cls"][sel].long().view(-1),
                "keypoints": kp}

    def evaluator(self, names: list[str]) -> PoseEvaluator:
        return PoseEvaluator(names, None)

    def model_evaluator(self, model: nn.Module, names: list[str]) -> PoseEvaluator:
        cfg = getattr(model, "cfg", None)
        if isinstance(cfg, ModelConfig) and cfg.kpt_shape is not None:
            return PoseEvaluator(names, resolve_sigmas(cfg.kpt_shape, cfg.kpt_sigmas))
        return self.evaluator(names)

    def json_records(self, image_id: int | str, pred: PosePrediction) -> list[dict]:
        b = pred.boxes.numpy()
        recs = detections_to_coco_json(image_id, b[:, :4], b[:, 4], b[:, 5].astype(int))
        kp = pred.keypoints.numpy().astype(np.float64)
        for rec, k in zip(recs, kp, strict=True):
            if k.shape[1] == 2:
                k = np.concatenate([k, np.ones((len(k), 1))], 1)
            rec["keypoints"] = [round(float(v), 3) for v in k.reshape(-1)]
        return recs

    def plot_metrics(self, metrics: PoseMetrics, names: list[str], save_dir: Path) -> None:
        plot_confusion_matrix(metrics.box.confusion_matrix, names, save_dir / "confusion_matrix.png")
        plot_per_class_ap(metrics.box, names, save_dir / "per_class_ap.png")
