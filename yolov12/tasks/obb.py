"""Oriented boxes: OBB head (angle branch), ProbIoU / rotated DFL / angle loss, greedy rotated NMS (exact polygon
IoU) + rescale, rotated mAP with exact polygon IoU, ``Results.obb``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.data import DataConfig, LabelFormat
from yolov12.evaluation.obb_eval import OBBEvaluator
from yolov12.inference.obb import OBB, merge_tiles, obb_postprocess, scale_rboxes
from yolov12.inference.postprocess import NMSConfig, RatioPad
from yolov12.inference.results import Results
from yolov12.loss.obb import OBBLoss, OBBLossConfig
from yolov12.models.network import STRIDES
from yolov12.models.obb import OBBModel
from yolov12.ops.rotated import xywhr_to_corners
from yolov12.tasks.base import Task, first_tensor

OBB_LABELS = LabelFormat("obb")


class OBBTask(Task):
    name = "obb"
    suffix = "-obb"
    result_fields = ("obb",)
    target_keys = ("batch_idx", "cls", "rboxes")
    modes = ("train", "val", "predict", "export")
    export_nms = False  # the in-graph NMS is axis-aligned; the ONNX backend applies the rotated NMS
    metric_columns = {"precision": "precision", "recall": "recall", "mAP50": "map50", "mAP50-95": "map50_95"}
    tiles = True  # tiled prediction / validation of large (aerial) images, merged with rotated NMS

    def build_model(self, cfg: ModelConfig) -> OBBModel:
        return OBBModel(cfg)

    def build_loss(self, model: nn.Module, hyp: Mapping[str, Any]) -> OBBLoss:
        """The OBB criterion with the run's gains (box, cls, dfl, angle) and the recipe's ``expand_tiny_boxes``
        (default recipe: sides under 16 px widened for the candidate test, as Ultralytics 8.4; ``paper``: not);
        a hyp without a resolved value (None) keeps OBBLossConfig's default (widened)."""
        known = {f.name for f in fields(OBBLossConfig)} - {"var_eps", "min_size"}
        return OBBLoss(model.nc, STRIDES,
                       OBBLossConfig(**{k: v for k, v in hyp.items() if k in known and v is not None}))

    def label_format(self, data: DataConfig) -> LabelFormat:
        return OBB_LABELS

    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                    ratio_pads: Sequence[RatioPad | None], nms: NMSConfig) -> list[torch.Tensor]:
        return obb_postprocess(first_tensor(output), in_hw, orig_shapes, ratio_pads, nms)

    def results(self, orig_img: np.ndarray, path: str, names: dict[int, str], pred: torch.Tensor,
                speed: dict[str, float], frame: int) -> Results:
        return Results(orig_img, path, names, speed=speed, frame=frame, obb=OBB(pred, orig_img.shape[:2]))

    def merge_tiles(self, preds: Sequence[torch.Tensor], windows: Sequence[tuple[int, int, int, int]],
                    hw: tuple[int, int], nms: NMSConfig, overlap: int) -> torch.Tensor:
        return merge_tiles(preds, windows, hw, nms, overlap)

    def eval_targets(self, batch: dict[str, Any], i: int, in_hw: tuple[int, int]) -> dict[str, torch.Tensor]:
        """Rotated boxes (n, 5) xywhr in original pixels and classes (n,) of image ``i`` of a letterboxed batch."""
        H, W = in_hw
        sel = batch["batch_idx"] == i
        rb = batch["rboxes"][sel].double() * torch.tensor([W, H, W, H, 1.0], dtype=torch.float64)
        rb = scale_rboxes(rb, batch["ratio_pad"][i], (H, W), tuple(batch["ori_shape"][i]))
        return {"rboxes": rb, "cls": batch["cls"][sel].long().view(-1)}

    def evaluator(self, names: list[str]) -> OBBEvaluator:
        return OBBEvaluator(names)

    def json_records(self, image_id: int | str, pred: torch.Tensor) -> list[dict]:
        """One record per detection: ``image_id``, ``category_id``, ``score``, ``rbox`` [cx, cy, w, h, r] and
        ``poly`` [x1, y1, ..., x4, y4] in original pixels (DOTA-style)."""
        p = pred.detach().cpu().double()
        corners = xywhr_to_corners(p[:, :5]).reshape(-1, 8)
        return [{"image_id": image_id, "category_id": int(round(float(r[6]))), "score": round(float(r[5]), 5),
                 "rbox": [round(float(v), 3) for v in r[:4]] + [round(float(r[4]), 6)],
                 "poly": [round(float(v), 3) for v in c]} for r, c in zip(p, corners, strict=True)]
