"""The task seam: one :class:`Task` object per vision task says everything the generic engine asks of it.

The trainer, validator, predictor, exporter, checkpoint loader and CLI never ask "which task is this?"; they call
the task named by the model's config (``ModelConfig.task``):

============================  ==========================================================================
``name`` / ``suffix``          what users call it (``detect``) and its model-name suffix (``-seg``...)
``modes``                      which of train / val / predict / export it provides (``require(mode)``)
``build_model(cfg)``           the network: backbone + neck + the task's head (rows keep their numbers)
``build_loss(model, hyp)``     the criterion: ``criterion(raw, targets) -> LossOutput`` with named ``items``
                               and ``item_names`` (the trainer's, progress bar's and results.csv's columns)
``target_keys``                batch keys the criterion reads (moved to the device by the trainer)
``label_format(data)``         what a label line holds for this task (the parser is told, never guesses)
``data_config(data)``          ``data=`` -> :class:`DataConfig` (default: a data.yaml or an embedded name)
``build_dataset(...)``         the dataset of one split (default: ``data.build_dataset`` with the task's label
                               format, i.e. detection's datasets; classification reads class folders)
``prepare_image(...)``         one image -> the model input size for prediction (default: letterbox)
``postprocess(...)``           raw eval output -> per-image predictions in original pixels (NMS + rescale live
                               here, for predict, val and the ONNX backend alike)
``eval_targets(batch, i, ..)`` ground truth of one image in original pixels, for the evaluator
``evaluator(names)``           ``update(pred, target) -> image id`` and ``compute() -> metrics`` (with
                               ``fitness``, ``to_dict()``, ``summary()``); ``model_evaluator(model, names)``
                               when it depends on the model (default: ``evaluator``)
``fit_data(cfg, data, ..)``    the model config for a dataset (pose: kpt_shape from data.yaml; default: as is)
``metric_columns``             results.csv column -> metrics key
``results(...)``               the :class:`~yolov12.inference.results.Results` of one image (its fields)
``merge_tiles(...)``           tiled prediction / validation (``tile=``, where ``tiles`` is True): the windows'
                               predictions -> the image's (default: not available; detect and obb have it)
``json_records``, ``plot_metrics``  COCO-style JSON records and the metric plots of a validation run
============================  ==========================================================================

A task module subclasses :class:`Task`, implements what the task has, and calls
:func:`yolov12.tasks.register_task` once. A mode a task does not have yet raises :class:`TaskNotAvailable`
with one line, before any work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.data import (
    AugmentConfig, DataConfig, LabelFormat, build_dataset, letterbox, load_data_config, resolve_data,
)
from yolov12.inference.postprocess import NMSConfig, RatioPad
from yolov12.inference.results import Results


class TaskNotAvailable(ValueError):
    """A mode (train, val, predict, export) that this task does not provide (yet)."""


class Task:
    """Base class of a task; see the module docstring for what each member is for."""

    name: ClassVar[str] = ""
    suffix: ClassVar[str] = ""  # model-name suffix: yolov12n{suffix}.yaml
    default_nc: ClassVar[int] = 80  # class count of a model built from its name (COCO; ImageNet for classify)
    target_keys: ClassVar[tuple[str, ...]] = ("batch_idx", "cls", "bboxes")
    result_fields: ClassVar[tuple[str, ...]] = ()  # the Results attributes this task fills
    metric_columns: ClassVar[Mapping[str, str]] = {}  # results.csv column -> metrics key
    modes: ClassVar[tuple[str, ...]] = ()  # what it provides: of train, val, predict, export
    # names of the exported graph's outputs without in-graph NMS (one per element of the eval output); a task whose
    # eval output is a tuple (segment: predictions, prototypes) names each; the ONNX backend returns them as a tuple
    export_outputs: ClassVar[tuple[str, ...]] = ("output0",)
    export_nms: ClassVar[bool] = True  # whether nms=True (in-graph NMS) export exists for this task
    # channels after the class scores that in-graph NMS carries with each detection (segment: the 32 mask
    # coefficients); the eval output's other elements (segment: prototypes) are passed through as extra outputs
    export_nms_extra: ClassVar[int] = 0
    # what the criterion's ``total`` is: "sum" over the batch's images (detection: items x batch size; the trainer
    # sums the accumulated batches and the DDP ranks, i.e. over nbs images), or a batch "mean" (classification:
    # the trainer averages it over the accumulation window and the ranks, so lr0 means the same at any batch)
    loss_reduction: ClassVar[str] = "sum"
    tiles: ClassVar[bool] = False  # whether tiled prediction / validation (tile=) exists: see merge_tiles

    def _unavailable(self, what: str) -> TaskNotAvailable:
        return TaskNotAvailable(f"task {self.name!r}: {what} is not available for this task yet")

    def require(self, mode: str) -> None:
        """Stop with one line, before any work, when this task has no ``mode`` (train, val, predict, export)."""
        if mode not in self.modes:
            have = f"it has: {', '.join(self.modes)}" if self.modes else "it builds and loads networks only"
            raise TaskNotAvailable(f"task {self.name!r}: {mode} is not available for this task yet ({have})")

    # ----- network and training
    def build_model(self, cfg: ModelConfig) -> nn.Module:
        raise self._unavailable("building a model")

    def fit_data(self, cfg: ModelConfig, data: DataConfig, trained: bool) -> ModelConfig:
        """The model config to train or validate on ``data``. A new model (``trained`` False) may take fields from
        the dataset (pose: kpt_shape, kpt_oks_sigmas); a trained one must fit it (a clear ValueError otherwise).
        Default: ``cfg`` unchanged."""
        return cfg

    def build_loss(self, model: nn.Module, hyp: Mapping[str, Any]) -> nn.Module:
        raise self._unavailable("training")

    def label_format(self, data: DataConfig) -> LabelFormat:
        raise self._unavailable("reading a dataset")

    # ----- data (the defaults are detection's behaviour: YOLO-format labels beside the images)
    def data_config(self, data: str | Path) -> DataConfig:
        """``data=`` of train/val -> the dataset description (a data.yaml path, or an embedded dataset's name)."""
        return load_data_config(resolve_data(data))

    def build_dataset(self, data_cfg: DataConfig, split: str, imgsz: int, augment: AugmentConfig | None = None,
                      hyp: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """The dataset of ``split``; ``augment`` None means validation. ``hyp`` holds all training arguments (for
        a task's own augmentation settings); ``kwargs`` are :func:`yolov12.data.build_dataset`'s (rect,
        batch_size, stride, cache, seed, workers). A dataset may bring its own ``collate_fn``."""
        return build_dataset(data_cfg, split, imgsz, augment=augment, label_format=self.label_format(data_cfg),
                             **kwargs)

    def prepare_image(self, im: np.ndarray, imgsz: tuple[int, int], stride: int, auto: bool
                      ) -> tuple[np.ndarray, RatioPad]:
        """Prediction preprocessing of one (H, W, 3) BGR image -> (image at the model's input size, how original
        pixels map into it). Default: letterbox (``auto``: pad only to a multiple of ``stride``)."""
        out, ratio, pad = letterbox(im, imgsz, auto=auto, scaleup=True, stride=stride)
        gain = float(ratio[0]) if isinstance(ratio, Sequence | np.ndarray) else float(ratio)
        return out, (gain, (float(pad[0]), float(pad[1])))

    # ----- inference and evaluation
    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: Sequence[tuple[int, int]],
                    ratio_pads: Sequence[RatioPad | None], nms: NMSConfig) -> list[Any]:
        raise self._unavailable("prediction")

    def results(self, orig_img: np.ndarray, path: str, names: dict[int, str], pred: Any, speed: dict[str, float],
                frame: int) -> Results:
        raise self._unavailable("prediction")

    def merge_tiles(self, preds: Sequence[Any], windows: Sequence[tuple[int, int, int, int]], hw: tuple[int, int],
                    nms: NMSConfig, overlap: int) -> Any:
        """Tiled prediction (``tile=``, tasks with ``tiles`` True): the post-processed predictions of each window
        (x0, y0, x1, y1) of an (h, w) image, in window pixels -> the image's predictions in its pixels, merged
        across tiles (see :mod:`yolov12.inference.tiling`)."""
        raise self._unavailable("tiled prediction (tile=)")

    def eval_targets(self, batch: dict[str, Any], i: int, in_hw: tuple[int, int]) -> Any:
        raise self._unavailable("validation")

    def evaluator(self, names: list[str]) -> Any:
        raise self._unavailable("validation")

    def model_evaluator(self, model: nn.Module, names: list[str]) -> Any:
        """The evaluator for validating ``model`` (tasks whose metric depends on the model's config, e.g. pose's
        OKS sigmas, read it here). Default: :meth:`evaluator`."""
        return self.evaluator(names)

    def json_records(self, image_id: int | str, pred: Any) -> list[dict]:
        raise self._unavailable("JSON output")

    def plot_metrics(self, metrics: Any, names: list[str], save_dir: Path) -> None:
        """Metric plots of a validation run (none by default)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def first_tensor(output: Any) -> torch.Tensor:
    """The main prediction tensor of an eval output that may be a tuple/list (prediction first)."""
    return output[0] if isinstance(output, list | tuple) else output
