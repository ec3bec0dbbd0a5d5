"""The prediction pipeline: source -> letterbox -> model -> the task's post-processing (predictions in original
pixels) -> the task's :class:`Results`.

>>> predictor = Predictor(model, ["person", "car"], PredictConfig(conf=0.3, save=True), get_task("detect"))
>>> for r in predictor.stream("video.mp4"):   # one Results per frame, read lazily
...     print(r.verbose())

Preprocessing: each image is letterboxed (resize keeping the aspect ratio, pad with grey 114) to ``imgsz``.
When every image in a batch has the same shape (always true for ``batch=1`` and for frames of one video),
the padding is trimmed to the smallest multiple of the stride (``auto=True``): fewer padded pixels, same boxes.
A batch of mixed shapes is letterboxed to the full ``imgsz`` rectangle (``auto=False``) so it can be stacked, and
so is every image for a model with a fixed input size (an exported static graph: ``model.dynamic`` False).
Then BGR -> RGB, HWC -> CHW, uint8 -> [0, 1] in the model's dtype and on the model's device.

With ``tile`` (large images: detect and obb), an image larger than tile x tile is cut into overlapping windows, each
crop goes through the steps above, and the task merges the crops' predictions (:mod:`yolov12.inference.tiling`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import torch
from torch import nn

from yolov12.data import letterbox
from yolov12.inference.postprocess import NMSConfig
from yolov12.inference.results import Results, normalize_names
from yolov12.inference.sources import SourceItem, iter_source
from yolov12.inference.tiling import needs_tiling, overlap_pixels, tile_windows
from yolov12.utils import LOGGER, check_output, check_run_name, run_folder
from yolov12.utils.checks import check_field_types, check_imgsz, check_int, check_range, image_size
from yolov12.utils.errors import ConfigError


@dataclass
class PredictConfig:
    """Prediction settings (thresholds, input size, what to save)."""

    conf: float = 0.25  # minimum class confidence kept by NMS
    iou: float = 0.7  # NMS IoU threshold: overlapping boxes of the same class above it are suppressed
    imgsz: int | tuple[int, int] = 640  # letterbox target, pixels: square side or (h, w); rounded up to stride
    classes: list[int] | None = None  # keep only these class indices (None: all)
    agnostic_nms: bool = False  # NMS across classes (a box suppresses overlapping boxes of any class)
    max_det: int = 300  # at most this many detections per image
    half: bool = False  # fp16 inputs; only used for a model without parameters (else inputs follow the model)
    device: str = ""  # YOLO.predict runs the model there ('': CUDA when available, else CPU; 'cpu', 0, 'cuda:1');
    # a Predictor given a model keeps the model's device (this is then only the input device of a parameterless one)
    batch: int = 1  # images per forward pass
    save: bool = False  # write annotated images / videos (mp4v) to the run folder
    save_txt: bool = False  # write labels/<stem>.txt: "class cx cy w h [conf]", normalised
    save_conf: bool = False  # append the confidence to each save_txt line
    save_crop: bool = False  # write crops/<class name>/<stem>.jpg per detection
    project: str = "runs/predict"  # parent folder of run folders
    name: str = "exp"  # run folder name; exp2, exp3... when taken (unless exist_ok)
    exist_ok: bool = False  # reuse project/name instead of incrementing it
    line_width: int | None = None  # box outline width in pixels for saved images (None: scales with the image)
    retina_masks: bool = False  # segment: Results.masks.data at the original image's resolution; False: at the
    # resized input's (the letterbox without its padding), as Ultralytics; masks.xy / xyn and plot() are in
    # original pixels either way
    stream: bool = False  # __call__ returns a lazy iterator instead of a list
    tile: int | None = None  # tiled prediction of large images (aerial): an image larger than tile x tile pixels is
    # cut into tile x tile windows, each letterboxed at imgsz and predicted, the predictions merged in the image's
    # pixels with NMS across tiles (rotated for obb); None: whole images (detect and obb; see inference/tiling.py)
    tile_overlap: float = 0.2  # fraction of the tile side shared by neighbouring tiles, 0 <= tile_overlap < 1
    verbose: bool = False  # log one line per image (detections and timings) at INFO level

    def __post_init__(self) -> None:
        self.device = "" if self.device is None else str(self.device)  # None: auto; a torch.device or an index
        check_field_types(self)
        check_range("conf", self.conf, 0, 1)
        check_range("iou", self.iou, 0, 1)
        check_imgsz("imgsz", self.imgsz)  # rounded up to the model's stride by the Predictor (image_size)
        check_int("max_det", self.max_det, 1)
        check_int("batch", self.batch, 1)
        check_run_name(self.project, self.name)
        given = self.classes
        if isinstance(given, Integral) and not isinstance(given, bool):
            self.classes = [given]  # one class index: the list of it
        if self.classes is not None and not (isinstance(self.classes, list | tuple) and all(
                isinstance(c, Integral) and not isinstance(c, bool) and c >= 0 for c in self.classes)):
            raise ConfigError(f"classes must be None or a list of class indices (integers >= 0), got {given!r}")
        if self.line_width is not None:
            check_int("line_width", self.line_width, 1)
        if self.tile is not None:
            check_int("tile", self.tile, 32)
        if not (isinstance(self.tile_overlap, Real) and 0 <= self.tile_overlap < 1):
            raise ConfigError(f"tile_overlap must be a number with 0 <= tile_overlap < 1, got {self.tile_overlap!r}")

    @property
    def nms(self) -> NMSConfig:
        classes = tuple(int(c) for c in self.classes) if self.classes is not None else None
        return NMSConfig(conf=self.conf, iou=self.iou, max_det=self.max_det, classes=classes,
                         agnostic=self.agnostic_nms, retina_masks=self.retina_masks)


class PredictTask(Protocol):
    """What prediction asks of a task (see ``yolov12.tasks.base.Task``)."""

    def postprocess(self, output: Any, in_hw: tuple[int, int], orig_shapes: list, ratio_pads: list,
                    nms: NMSConfig) -> list[Any]: ...
    def results(self, orig_img: np.ndarray, path: str, names: dict[int, str], pred: Any, speed: dict[str, float],
                frame: int) -> Results: ...


def _model_device_dtype(model: nn.Module, cfg: PredictConfig) -> tuple[torch.device, torch.dtype]:
    for t in itertools.chain(model.parameters(), model.buffers()):
        if t.is_floating_point():
            return t.device, t.dtype
    return torch.device(cfg.device or "cpu"), torch.float16 if cfg.half else torch.float32


def _model_stride(model: nn.Module) -> int:
    stride = getattr(model, "stride", None)
    if stride is None:
        return 32
    return max(int(torch.as_tensor(stride).max().item()), 32)


@dataclass(frozen=True)
class Letterboxed:
    """A preprocessed batch: the model input and how each image was mapped into it."""

    tensor: torch.Tensor  # (B, 3, H, W) RGB in [0, 1], model device and dtype
    ratio_pad: list[tuple[float, tuple[float, float]]]  # per image: (gain, (pad_left, pad_top)) in pixels


class Predictor:
    """Runs a model over any source (see :mod:`yolov12.inference.sources`) and returns the task's Results.

    Args:
        model: returns the task's eval output (detection: (B, 4 + nc, A), cx, cy, w, h in input pixels, then class
            scores in [0, 1]). Put in eval mode here, otherwise used as given: inputs are moved to its device and
            dtype.
        names: class names, index -> name (list or dict).
        cfg: settings; defaults to ``PredictConfig()``.
        task: the task (``yolov12.tasks.get_task(name)``): its post-processing and Results.
    """

    def __init__(
        self,
        model: nn.Module,
        names: Sequence[str] | Mapping[int, str],
        cfg: PredictConfig | None,
        task: PredictTask,
    ) -> None:
        self.task = task
        self.model = model.eval()
        self.names = normalize_names(names)
        self.cfg = cfg or PredictConfig()
        if self.names and any(c not in self.names for c in self.cfg.classes or []):
            raise ValueError(f"classes={self.cfg.classes!r} names a class the model does not have; "
                             f"its class indices are 0..{max(self.names)}")
        self.device, self.dtype = _model_device_dtype(model, self.cfg)
        if self.cfg.half and self.dtype != torch.float16:
            LOGGER.warning(f"WARNING: half=True but the model is {self.dtype}; inputs follow the model")
        self.stride = _model_stride(model)
        self.dynamic_shapes = bool(getattr(model, "dynamic", True))  # False: fixed-size exported graph
        self.imgsz = image_size("imgsz", self.cfg.imgsz, self.stride)
        self.nms = self.cfg.nms  # what post-processing keeps (validation through this predictor sets its own)
        if self.cfg.tile is not None and not getattr(task, "tiles", False):
            raise ConfigError(f"tile={self.cfg.tile}: tiled prediction is not available for task "
                              f"{getattr(task, 'name', type(task).__name__)!r} (detect and obb have it)")
        self.save_dir: Path | None = None  # run folder, created on the first save

    # ----------------------------------------------------------------------------------------- pipeline steps
    def preprocess(self, images: Sequence[np.ndarray]) -> Letterboxed:
        """(H_i, W_i, 3) uint8 BGR images -> a letterboxed (B, 3, H, W) RGB batch in [0, 1]."""
        same_shape = all(im.shape == images[0].shape for im in images)
        boxed, ratio_pad = [], []
        prepare = getattr(self.task, "prepare_image", None)  # the task's resize (Task: letterbox)
        for im in images:
            if prepare is not None:
                out, rp = prepare(im, self.imgsz, self.stride, same_shape and self.dynamic_shapes)
            else:
                out, ratio, pad = letterbox(im, self.imgsz, auto=same_shape and self.dynamic_shapes, scaleup=True,
                                            stride=self.stride)
                gain = float(ratio[0]) if isinstance(ratio, Sequence | np.ndarray) else float(ratio)
                rp = (gain, (float(pad[0]), float(pad[1])))
            boxed.append(out)
            ratio_pad.append(rp)
        x = torch.from_numpy(np.stack(boxed)).to(self.device)  # (B, H, W, 3) uint8 BGR: small transfer
        x = x.permute(0, 3, 1, 2).flip(1)  # -> (B, 3, H, W) RGB
        x = x.to(self.dtype).div_(255.0).contiguous()
        return Letterboxed(tensor=x, ratio_pad=ratio_pad)

    def inference(self, x: torch.Tensor) -> Any:
        """(B, 3, H, W) -> the model's eval output (detection: (B, 4 + nc, A), cxcywh input pixels, scores)."""
        return self.model(x)

    def postprocess(self, output: Any, batch: Letterboxed, images: Sequence[np.ndarray]) -> list[Any]:
        """The task's post-processing: per image, predictions in that image's original pixels (detection: (n, 6)
        float32 CPU tensors x1, y1, x2, y2 (clipped), conf, cls)."""
        return self.task.postprocess(output, tuple(batch.tensor.shape[2:]), [im.shape[:2] for im in images],
                                     batch.ratio_pad, self.nms)

    @torch.inference_mode()
    def predict_tiled(self, image: np.ndarray) -> tuple[Any, dict[str, float]]:
        """One (H, W, 3) BGR image -> (its task predictions in its pixels, speed in ms). Larger than ``cfg.tile``:
        cut into tiles (:func:`~yolov12.inference.tiling.tile_windows`), the crops letterboxed, predicted and
        post-processed ``cfg.batch`` at a time, merged by the task (:meth:`Task.merge_tiles`); otherwise (or
        without ``tile``) one plain pass."""
        tile = self.cfg.tile
        t = np.zeros(3)
        overlap = 0
        if not needs_tiling(image.shape[:2], tile):
            windows, crops = [(0, 0, image.shape[1], image.shape[0])], [image]
        else:
            overlap = overlap_pixels(tile, self.cfg.tile_overlap)
            windows = tile_windows(image.shape[0], image.shape[1], tile, overlap)
            crops = [np.ascontiguousarray(image[y0:y1, x0:x1]) for x0, y0, x1, y1 in windows]
        preds: list[Any] = []
        for i in range(0, len(crops), self.cfg.batch):
            chunk_preds, seconds = self._predict_images(crops[i:i + self.cfg.batch])
            preds += chunk_preds
            t += seconds
        if len(crops) > 1:
            t0 = time.perf_counter()
            pred = self.task.merge_tiles(preds, windows, image.shape[:2], self.nms, overlap)
            t[2] += time.perf_counter() - t0
        else:
            pred = preds[0]
        return pred, dict(zip(("preprocess", "inference", "postprocess"), (t * 1e3).tolist()))

    # ------------------------------------------------------------------------------------------------ running
    def __call__(self, source: Any) -> list[Results] | Iterator[Results]:
        """Predict on ``source``: a list of Results, or a lazy iterator when ``cfg.stream``.

        A list holds every image/frame (``Results.orig_img``) in memory: use ``stream`` for videos and cameras.
        """
        if self.cfg.stream:
            return self.stream(source)
        return list(self._run(iter_source(source), warn_video=True))

    def stream(self, source: Any) -> Iterator[Results]:
        """Lazily yield one :class:`Results` per image / video frame.

        Source paths are checked now (errors raise here, not on the first ``next``); images are read, batched
        (``cfg.batch``) and predicted only as the iterator is consumed.
        """
        return self._run(iter_source(source))

    def _run(self, items: Iterator[SourceItem], warn_video: bool = False) -> Iterator[Results]:
        writers: dict[str, cv2.VideoWriter] = {}
        n_seen = 0
        try:
            while batch_items := list(itertools.islice(items, self.cfg.batch)):
                for res, item in zip(self._predict_batch(batch_items), batch_items, strict=True):
                    if warn_video and item.is_video:
                        LOGGER.warning("WARNING: a list of Results keeps every video frame in memory; use stream=True")
                        warn_video = False
                    n_seen += 1
                    if self.cfg.verbose:
                        LOGGER.info(
                            f"{n_seen} {item.path}" + (f" frame {item.frame}" if item.is_video else "")
                            + f": {res.verbose()}, {res.speed['inference']:.1f}ms"
                        )
                    self._save(res, item, writers)
                    yield res
        finally:
            for w in writers.values():
                w.release()
            if self.save_dir is not None:
                LOGGER.info(f"Results saved to {self.save_dir}")

    @torch.inference_mode()
    def _predict_batch(self, items: list[SourceItem]) -> list[Results]:
        if any(needs_tiling(it.image.shape[:2], self.cfg.tile) for it in items):  # tile=: image by image
            out = []
            for it in items:
                pred, speed = self.predict_tiled(it.image)
                out.append(self.task.results(it.image, it.path, self.names, pred, speed, it.frame))
            return out
        dets, seconds = self._predict_images([it.image for it in items])
        ms = 1e3 / len(items)  # per image
        speed = dict(zip(("preprocess", "inference", "postprocess"), (seconds * ms).tolist()))
        return [
            self.task.results(it.image, it.path, self.names, det, speed, it.frame)
            for it, det in zip(items, dets, strict=True)
        ]

    def _predict_images(self, images: list[np.ndarray]) -> tuple[list[Any], np.ndarray]:
        """Preprocess, inference and post-processing of one batch of images -> (per-image predictions in their
        pixels, seconds spent in each of the three steps)."""
        t0 = time.perf_counter()
        batch = self.preprocess(images)
        t1 = self._sync(time.perf_counter())
        out = self.inference(batch.tensor)
        t2 = self._sync(time.perf_counter())
        preds = self.postprocess(out, batch, images)
        return preds, np.array((t1 - t0, t2 - t1, time.perf_counter() - t2))

    def _sync(self, t: float) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            return time.perf_counter()
        return t

    # ------------------------------------------------------------------------------------------------- saving
    def _run_dir(self) -> Path:
        if self.save_dir is None:
            self.save_dir = run_folder(self.cfg.project, self.cfg.name, exist_ok=self.cfg.exist_ok)
            self.save_dir.mkdir(parents=True, exist_ok=True)
        return self.save_dir

    def _save(self, res: Results, item: SourceItem, writers: dict[str, cv2.VideoWriter]) -> None:
        cfg = self.cfg
        if not (cfg.save or cfg.save_txt or cfg.save_crop):
            return
        run = self._run_dir()
        check_output(run, [item.path])  # a reused run folder (exist_ok) must not hold the sources it annotates
        stem = Path(item.path).stem
        frame_stem = f"{stem}_{item.frame}" if item.is_video else stem
        if cfg.save:
            if item.is_video:
                self._write_frame(res, item, check_output(run / f"{stem}.mp4", [item.path]), writers)
            else:
                suffix = Path(item.path).suffix.lower() or ".jpg"
                res.save(check_output(run / f"{stem}{suffix}", [item.path]), line_width=cfg.line_width)
        if cfg.save_txt:
            res.save_txt(run / "labels" / f"{frame_stem}.txt", save_conf=cfg.save_conf)
        if cfg.save_crop:
            res.save_crop(run / "crops", file_name=frame_stem)

    def _write_frame(self, res: Results, item: SourceItem, out: Path, writers: dict[str, cv2.VideoWriter]) -> None:
        writer = writers.get(item.path)
        if writer is None:
            for w in writers.values():  # sources are sequential: an earlier video is finished
                w.release()
            writers.clear()
            info = item.video
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height))
            if not writer.isOpened():
                raise OSError(f"cannot open a video writer for {out}")
            writers[item.path] = writer
        writer.write(res.plot(line_width=self.cfg.line_width))
