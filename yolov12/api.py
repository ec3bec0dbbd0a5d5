"""The public Python API: ``YOLO`` is a thin facade; each method builds a typed config and calls one function.

>>> model = YOLO("yolov12n.yaml")                       # untrained (n/s/m/l/x, -turbo, -v1-release; -cls...)
>>> model.task                                            # 'detect': the model name decides the task
>>> model.train(data="digits", epochs=10, imgsz=256)      # then model.model holds the best weights
>>> model.val(data="digits")
>>> results = model("image.jpg")                          # list[Results]
>>> model.export(format="onnx")
"""

from __future__ import annotations

import copy
import weakref
from pathlib import Path
from typing import Any

import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.models import ModelInfo, model_info
from yolov12.models.optimize import ShapeCachedGraphs, prepare_for_inference, weights_version
from yolov12.tasks import Task, get_task, load_model, model_name, parse_model_name
from yolov12.utils import LOGGER, check_output, check_run_name, run_folder
from yolov12.utils.checks import check_int, check_keys, image_size
from yolov12.utils.device import DistInfo, select_device
from yolov12.utils.torch_flags import preserved_torch_flags
from yolov12.weights import save_model


class YOLO:
    """A YOLOv12 model: build (``*.yaml`` names), load (``.safetensors``, published ``.pt``, ``.onnx``), then
    train / val / predict / export / info."""

    def __init__(self, model: str | Path | nn.Module = "yolov12n.yaml", nc: int | None = None,
                 variant: str | None = None) -> None:
        self.ckpt_path: Path | None = None
        self.meta: dict = {}
        self.backend = "torch"
        self._inference_model: nn.Module | None = None
        self._inference_key: tuple | None = None
        self._inference_src: weakref.ref | None = None  # the model the inference copy was made from
        if isinstance(model, nn.Module):
            if not isinstance(getattr(model, "cfg", None), ModelConfig):
                raise TypeError(f"YOLO(model): a yolov12 network (with a ModelConfig .cfg) is needed, got "
                                f"{type(model).__name__}")
            self.model: nn.Module = model
            return
        spec = str(model)
        if spec.lower().endswith(".onnx"):
            from yolov12.export import load_onnx

            self.model = load_onnx(spec)
            self.backend = "onnxruntime"
            self.ckpt_path = Path(spec)
            return
        mcfg = parse_model_name(spec)
        if mcfg is not None:
            d = mcfg.to_dict()
            if nc is not None:
                d["nc"] = nc
            if variant is not None:
                d["variant"] = variant
            mcfg = ModelConfig(**d)
            self.model = get_task(mcfg.task).build_model(mcfg)
        else:
            self.model, w = load_model(spec, nc=nc)
            self.ckpt_path, self.meta = Path(spec), w.meta

    # ------------------------------------------------------------------ properties
    @property
    def cfg(self) -> ModelConfig | None:
        return getattr(self.model, "cfg", None)

    @property
    def task(self) -> str:
        """The task this model does: detect, segment, pose, obb or classify."""
        if self.backend != "torch":
            return getattr(self.model, "task", "detect")
        return self.cfg.task

    def _task(self, mode: str) -> Task:
        task = get_task(self.task)
        task.require(mode)
        return task

    @property
    def names(self) -> list[str]:
        names = getattr(self.model, "names", None)
        if isinstance(names, dict):
            return [names[i] for i in sorted(names)]
        return list(names) if names is not None else []

    @property
    def device(self) -> torch.device:
        p = next(self.model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def to(self, device: str | torch.device) -> "YOLO":
        self.model.to(select_device(device, DistInfo()))
        self._inference_model = None
        return self

    # ------------------------------------------------------------------ actions
    def info(self, imgsz: int = 640, verbose: bool = True) -> ModelInfo:
        """Parameters, fused parameters, GFLOPs at ``imgsz`` (paper convention and with attention), kernel."""
        self._require_torch("info")
        info = model_info(self.model, image_size("imgsz", imgsz, square=True)[0])
        if verbose:
            print(info.summary())  # noqa: T201 - info() is documented to print
        return info

    def fuse(self) -> "YOLO":
        self._require_torch("fuse")
        self.model.fuse()
        return self

    def save(self, path: str | Path, meta: dict | None = None) -> Path:
        self._require_torch("save")
        return save_model(path, self.model, meta or self.meta)

    def train(self, **kwargs: Any):
        """Train with TrainConfig arguments (``data``, ``epochs``, ``imgsz``, ``batch``...). Returns TrainResult."""
        self._require_torch("train")
        from yolov12.training import TrainConfig, train

        check_keys(kwargs, TrainConfig)
        self._task("train")
        if "model" not in kwargs:
            kwargs["model"] = str(self.ckpt_path) if self.ckpt_path is not None else model_name(self.cfg)
        with preserved_torch_flags():  # training sets process-wide flags for itself; the caller gets theirs back
            result = train(TrainConfig(**kwargs))
        weights = result.best or result.last
        self.model, w = load_model(weights)
        self.ckpt_path, self.meta = weights, w.meta
        self._inference_model = None
        return result

    def val(self, data: str = "", imgsz: int = 640, batch: int = 16, conf: float = 0.001, iou: float = 0.7,
            max_det: int = 300, half: bool = False, save_json: bool = False, split: str = "val",
            workers: int = 2, device: str = "", plots: bool = True, project: str = "runs/val", name: str = "exp",
            exist_ok: bool = False, verbose: bool = True, tile: int | None = None, tile_overlap: float = 0.2):
        """COCO-metric validation on a dataset split (rect batches, letterbox without upscaling). -> ValResult

        ``tile`` (detect, obb): each image file is predicted as ``predict(tile=, tile_overlap=)`` does (windows
        letterboxed at ``imgsz``, merged across tiles) and scored against its full-image ground truth."""
        from yolov12.data import build_dataloader
        from yolov12.evaluation.validator import ValConfig, validate

        task = self._task("val")
        cfg = ValConfig(conf=conf, iou=iou, max_det=max_det, half=half, save_json=save_json, plots=plots,
                        verbose=verbose)
        imgsz = image_size("imgsz", imgsz, square=True)[0]
        check_int("batch", batch, 1)
        check_run_name(str(project), str(name))
        check_int("workers", workers, 0)
        model = self._predictor_model(device, half, graphs=False)  # rect batches vary in shape: stay eager
        data = data or self.meta.get("train_args", {}).get("data", "")
        if self.backend != "torch" and not getattr(self.model, "dynamic", True):
            imgsz = max(self.model.imgsz)  # static graph: square letterbox at the exported size
        data_cfg = task.data_config(data)
        predict_file = None
        if tile is not None:  # tiled validation: each image file through the predictor's tiled path
            from yolov12.data import imread
            from yolov12.inference.predictor import PredictConfig, Predictor

            pcfg = PredictConfig(conf=conf, iou=iou, max_det=max_det, imgsz=imgsz, half=half, tile=tile,
                                 tile_overlap=tile_overlap, batch=batch)
            predictor = Predictor(model, data_cfg.names, pcfg, task)
            predictor.nms = cfg.nms  # validation's (multi-label) NMS

            def predict_file(path: str):
                return predictor.predict_tiled(imread(path))[0]
        if self.names and len(self.names) != data_cfg.nc:
            raise ValueError(f"the model has {len(self.names)} classes but {data_cfg.yaml_file or data} has "
                             f"{data_cfg.nc}; validate on a dataset with the classes the model was trained for")
        if self.cfg is not None:
            task.fit_data(self.cfg, data_cfg, trained=True)  # e.g. pose: kpt_shape of the model and the data
        stride = 32
        ds = task.build_dataset(data_cfg, split, imgsz, augment=None, rect=self.backend == "torch",
                                batch_size=batch, stride=stride, workers=workers)
        loader = build_dataloader(ds, batch, workers, shuffle=False)
        save_dir = run_folder(str(project), str(name), exist_ok)  # the CLI reads name=2 as an int
        return validate(model, loader, data_cfg.names, task, cfg, save_dir=save_dir, predict_file=predict_file)

    def predict(self, source: Any = None, **kwargs: Any):
        """Detect objects in images, folders, globs, videos, cameras, arrays. -> list[Results] (or an iterator
        with ``stream=True``). Keyword arguments are PredictConfig fields."""
        from yolov12.inference.predictor import PredictConfig, Predictor

        check_keys(kwargs, PredictConfig)
        task = self._task("predict")
        if self.backend != "torch" and "imgsz" not in kwargs and not getattr(self.model, "dynamic", True):
            kwargs["imgsz"] = tuple(self.model.imgsz)  # a static exported graph takes one input size
        if source is None:
            raise ValueError("predict() needs a source: an image/video path, folder, glob, list, array or camera")
        cfg = PredictConfig(**kwargs)
        return Predictor(self._predictor_model(cfg.device, cfg.half), self.names, cfg, task)(source)

    __call__ = predict

    def export(self, format: str = "onnx", **kwargs: Any) -> Path:
        """Export to ONNX (default) or TorchScript; keyword arguments are ExportConfig fields."""
        self._require_torch("export")
        from yolov12.export import ExportConfig, export_model
        from yolov12.export.exporter import export_path

        check_keys({"format": format, **kwargs}, ExportConfig)
        self._task("export")
        cfg = ExportConfig(format=format, **kwargs)
        check_output(export_path(self.model, cfg), [self.ckpt_path])  # export model=X.safetensors output=X.safetensors must not eat X
        return export_model(copy.deepcopy(self.model), cfg)

    # ------------------------------------------------------------------ helpers
    def _predictor_model(self, device: str = "", half: bool = False, graphs: bool = True) -> nn.Module:
        """The model used for inference: a fused eval copy (the trainable model stays untouched); with ``graphs``
        on CPU, a frozen graph per input shape once that shape repeats (streams, folders of same-size images).

        The copy is rebuilt when the device or precision changes, when ``self.model`` is replaced, and when its
        weights change: :func:`weights_version` sees ``load_state_dict``, optimizer steps, in-place edits under
        ``torch.no_grad()``, ``.to()``/``.half()``, fusing and replaced parameters (not edits through ``.data``,
        which autograd does not track: ``YOLO.to(device)`` after those rebuilds it)."""
        if self.backend != "torch":
            return self.model
        dev = select_device("" if device is None else device, DistInfo())  # '', 'cpu', 0, 'cuda:1', torch.device
        key = (str(dev), half, weights_version(self.model))
        src = self._inference_src() if self._inference_src is not None else None
        if self._inference_model is None or self._inference_key != key or src is not self.model:
            m = copy.deepcopy(self.model).to(dev)
            if half and dev.type == "cuda":
                m = m.half()
            m = prepare_for_inference(m)  # fuse BN, eval, channels-last on CPU
            self._inference_model, self._inference_key = ShapeCachedGraphs(m), key
            self._inference_src = weakref.ref(self.model)
            LOGGER.debug(f"inference model ready on {dev}")
        return self._inference_model if graphs and dev.type == "cpu" else self._inference_model.model

    def _require_torch(self, what: str) -> None:
        if self.backend != "torch":
            raise TypeError(f"{what}() needs a PyTorch model; {self.ckpt_path} is an exported {self.backend} model")

    def __repr__(self) -> str:
        c = self.cfg
        desc = f"yolov12{c.scale} ({c.variant}, {c.task}, nc={c.nc})" if c else self.backend
        return f"YOLO({desc}{', ' + str(self.ckpt_path) if self.ckpt_path else ''})"
