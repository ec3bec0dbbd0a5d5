"""What the web demo does, without Gradio: load models once, check inputs, predict, format the outputs.

Everything here is task-agnostic: the task follows the model (its :class:`~yolov12.tasks.Task` builds the
:class:`~yolov12.inference.results.Results`), and the outputs come from the generic Results methods
(``plot()``, ``summary()``, ``speed``), so a task added to the registry shows up in the demo unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from yolov12.api import YOLO
from yolov12.data.images import declared_size, imread
from yolov12.inference.sources import IMG_FORMATS, VID_FORMATS
from yolov12.utils import LOGGER
from yolov12.utils.errors import YoloError

ASSETS = Path(__file__).resolve().parents[1] / "assets"
WEIGHTS_DIR = ASSETS / "weights"
DEFAULT_MODEL = WEIGHTS_DIR / "yolov12n-digits.safetensors"
MODEL_SUFFIXES = (".safetensors", ".pt", ".pth", ".onnx", ".yaml", ".yml")


class AppInputError(YoloError, ValueError):
    """An input the demo refuses (not an image, corrupt, too large, unreadable model): shown as one line."""


# ------------------------------------------------------------------ models
def shipped_models() -> dict[str, str]:
    """The models shipped with the package: ``{display name: path}`` (every ``assets/weights/*.safetensors``), the
    digits detector (:data:`DEFAULT_MODEL`, the page's default) first, then by name."""
    files = sorted(WEIGHTS_DIR.glob("*.safetensors"), key=lambda p: (p.name != DEFAULT_MODEL.name, p.name))
    return {p.stem: str(p) for p in files}


def resolve_model(spec: str) -> str:
    """A shipped model's name, a weights path (.safetensors / published .pt / .onnx) or a model name
    (``yolov12n.yaml``: untrained) -> what :class:`YOLO` loads. :class:`AppInputError` when unusable."""
    spec = str(spec or "").strip()
    if not spec:
        raise AppInputError("no model given: pick a shipped model or enter a .safetensors / .pt / .onnx path")
    shipped = shipped_models()
    if spec in shipped:
        return shipped[spec]
    if not spec.lower().endswith(MODEL_SUFFIXES):
        raise AppInputError(f"model {spec!r}: expected a shipped model ({', '.join(shipped) or 'none'}), a "
                            ".safetensors, .pt or .onnx file, or a model name such as yolov12n.yaml")
    if spec.lower().endswith((".yaml", ".yml")):
        return spec
    path = Path(spec).expanduser()
    if not path.is_file():
        raise AppInputError(f"model file {spec} does not exist (or is not a file)")
    return str(path.resolve())


def attention_kernel(model: YOLO) -> str:
    """The attention kernel the model runs with: the SDPA kernel PyTorch picks on its device, or the ONNX backend."""
    if model.backend != "torch":
        session = getattr(model.model, "session", None)
        providers = session.get_providers() if session is not None else []
        return f"{model.backend} ({', '.join(providers) or 'default provider'})"
    from yolov12.nn.attention import attention_backend

    p = next(model.model.parameters(), None)
    device = p.device if p is not None else torch.device("cpu")
    dtype = torch.float16 if device.type == "cuda" and p is not None and p.dtype == torch.float16 else torch.float32
    return f"{attention_backend(device, dtype)} (torch {torch.__version__.split('+')[0]}, {device.type})"


@dataclass
class LoadedModel:
    model: YOLO
    name: str  # what the user picked
    path: str  # what was loaded
    kernel: str  # attention kernel in use
    load_ms: float
    lock: threading.Lock = field(default_factory=threading.Lock)  # one prediction at a time per model

    @property
    def task(self) -> str:
        return self.model.task


class ModelCache:
    """Models loaded once, kept by (path, size, mtime); the least recently used is dropped past ``size``."""

    def __init__(self, size: int = 3, loader: Callable[[str], YOLO] = YOLO) -> None:
        self.size = size
        self.loader = loader
        self._models: OrderedDict[tuple, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # how many times a model was actually loaded (tests check the cache works)

    def get(self, spec: str) -> LoadedModel:
        path = resolve_model(spec)
        p = Path(path)
        key = (path, *((p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else ()))
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            t0 = time.perf_counter()
            try:
                model = self.loader(path)
            except Exception as e:  # any unreadable/foreign file: one line, the server keeps serving
                LOGGER.warning(f"app: cannot load model {path}: {e}")
                raise AppInputError(f"cannot load model {Path(path).name}: {_one_line(e)}") from e
            loaded = LoadedModel(model, str(spec), path, attention_kernel(model), (time.perf_counter() - t0) * 1e3)
            self.loads += 1
            self._models[key] = loaded
            while len(self._models) > self.size:
                self._models.popitem(last=False)
            LOGGER.info(f"app: loaded {path} ({loaded.task}, {loaded.load_ms:.0f} ms, attention {loaded.kernel})")
            return loaded


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def default_imgsz(model: YOLO, fallback: int = 640) -> int:
    """The image size a model was trained (or exported) at, else ``fallback``."""
    size = model.meta.get("train_args", {}).get("imgsz") if model.meta else None
    if size is None and model.backend != "torch":
        size = max(getattr(model.model, "imgsz", (fallback,)))
    return int(size) if isinstance(size, int | float) and size > 0 else fallback


# ------------------------------------------------------------------ inputs
def _file_of(value: Any) -> Path:
    """Gradio hands a file as a path string (or an object with ``.name`` / ``.path``)."""
    if value is None:
        raise AppInputError("no input: upload an image (or a video)")
    if isinstance(value, dict):  # a FileData as JSON (the API)
        value = value.get("path") or value.get("url") or ""
    path = getattr(value, "path", None) or getattr(value, "name", None) or value
    return Path(str(path))


def read_image(value: Any, max_pixels: int) -> np.ndarray:
    """An uploaded image file -> (H, W, 3) uint8 BGR; :class:`AppInputError` for a non-image, a corrupt image or
    one over ``max_pixels`` (checked from its header before decoding)."""
    path = _file_of(value)
    name = path.name
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise AppInputError(f"{name}: cannot read the uploaded file ({e.strerror or e})") from e
    if data.size == 0:
        raise AppInputError(f"{name}: empty file")
    hw = declared_size(data[:1 << 16].tobytes())
    if hw is not None:
        _check_pixels(name, hw, max_pixels)  # refused before decoding; other formats: checked after
    try:
        img = imread(path)
    except (OSError, ValueError, cv2.error) as e:  # ImageReadError names the reason
        kind = path.suffix.lower().lstrip(".")
        if kind and kind not in IMG_FORMATS:
            raise AppInputError(f"{name}: not an image (.{kind}); upload a {', '.join(sorted(IMG_FORMATS))} "
                                "file") from e
        raise AppInputError(f"{name}: not a readable image ({_one_line(e).removeprefix(str(path) + ': ')})") from e
    _check_pixels(name, img.shape[:2], max_pixels)
    return img


def _check_pixels(name: str, hw: tuple[int, int], max_pixels: int) -> None:
    h, w = int(hw[0]), int(hw[1])
    if h * w > max_pixels:
        raise AppInputError(f"{name}: {w}x{h} pixels is over this demo's limit of {max_pixels:,} pixels; "
                            "downscale the image (or start the app with a larger --max-pixels)")


# ------------------------------------------------------------------ outputs
def _flatten(row: dict, prefix: str = "") -> dict:
    out: dict = {}
    for k, v in row.items():
        if isinstance(v, dict):
            out.update(_flatten(v, ""))  # box: {x1..y2} -> columns x1..y2
        elif isinstance(v, list | tuple):
            out[prefix + k] = json.dumps(v)
        else:
            out[prefix + k] = v
    return out


def result_table(records: list[dict], decimals: int = 1) -> tuple[list[str], list[list]]:
    """Rows of ``Results.summary()`` -> (headers, rows) for a table: nested dicts become columns (the box's
    x1..y2), lists stay JSON; floats are rounded for reading (the JSON keeps full precision)."""
    flat = [_flatten(r) for r in records]
    headers: list[str] = []
    for r in flat:
        headers += [k for k in r if k not in headers]
    if not headers:
        headers = ["name", "class", "confidence"]
    rows = []
    for r in flat:
        row = []
        for h in headers:
            v = r.get(h, "")
            if isinstance(v, float):
                v = round(v, 3 if h == "confidence" else decimals)
            row.append(v)
        rows.append(row)
    return headers, rows


def _speed(speed: dict) -> dict[str, float | None]:
    return {k: (round(float(v), 2) if v is not None else None) for k, v in speed.items()}


@dataclass
class ImageOutput:
    annotated: np.ndarray  # (H, W, 3) uint8 RGB, for display
    headers: list[str]
    rows: list[list]
    payload: dict  # the JSON answer
    info: str  # one markdown paragraph: task, timings, kernel


def info_text(loaded: LoadedModel, speed: dict, extra: str = "") -> str:
    ms = " / ".join(f"{k} {v:.1f} ms" if v is not None else f"{k} -" for k, v in speed.items())
    return (f"**{Path(loaded.path).name}** · task **{loaded.task}** · {ms} · attention kernel "
            f"`{loaded.kernel}`{extra}")


def predict_image(loaded: LoadedModel, image: Any, imgsz: int, conf: float, iou: float,
                  max_pixels: int) -> ImageOutput:
    """Predict one uploaded image with ``loaded``; the JSON's ``detections`` is ``Results.summary()``."""
    img = read_image(image, max_pixels)
    with loaded.lock:
        results = loaded.model.predict(img, imgsz=int(imgsz), conf=float(conf), iou=float(iou))
    r = results[0]
    records = r.summary()
    speed = _speed(r.speed)
    headers, rows = result_table(records)
    payload = {
        "model": Path(loaded.path).name, "task": loaded.task,
        "image": {"name": _file_of(image).name, "width": r.orig_shape[1], "height": r.orig_shape[0]},
        "imgsz": int(imgsz), "conf": float(conf), "iou": float(iou),
        "detections": records, "speed_ms": speed, "attention_kernel": loaded.kernel,
    }
    annotated = cv2.cvtColor(r.plot(), cv2.COLOR_BGR2RGB)
    return ImageOutput(annotated, headers, rows, payload, info_text(loaded, speed, f" · found: {r.verbose()}"))


@dataclass
class VideoOutput:
    path: str  # the annotated video (WebM, VP8: plays in browsers without ffmpeg)
    payload: dict
    info: str


def _video_frames(path: Path) -> tuple[int, float, int, int]:
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise AppInputError(f"{path.name}: not a readable video")
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0)
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    finally:
        cap.release()
    return max(n, 0), fps if np.isfinite(fps) and fps > 0 else 25.0, w, h


def predict_video(loaded: LoadedModel, video: Any, imgsz: int, conf: float, iou: float, max_pixels: int,
                  max_frames: int, out_dir: Path, progress: Callable[[int, int], None] | None = None) -> VideoOutput:
    """Annotate a video frame by frame (at most ``max_frames``); ``progress(done, total)`` after each frame."""
    path = _file_of(video)
    kind = path.suffix.lower().lstrip(".")
    if kind not in VID_FORMATS:
        raise AppInputError(f"{path.name}: not a video (.{kind}); upload a {', '.join(sorted(VID_FORMATS))} file")
    n, fps, w, h = _video_frames(path)
    _check_pixels(path.name, (h, w), max_pixels)
    total = min(n, max_frames) if n else max_frames
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{path.stem}-{time.time_ns()}.webm"
    writer = None
    frames: list[dict] = []
    sums = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
    truncated = False
    t0 = time.perf_counter()
    try:
        with loaded.lock:
            for i, r in enumerate(loaded.model.predict(str(path), imgsz=int(imgsz), conf=float(conf),
                                                       iou=float(iou), stream=True)):
                if i >= max_frames:
                    truncated = True
                    break
                if i == 0:
                    _check_pixels(path.name, r.orig_shape, max_pixels)
                frame = r.plot()
                if writer is None:
                    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"VP80"), fps,
                                             (frame.shape[1], frame.shape[0]))
                    if not writer.isOpened():
                        raise AppInputError("cannot write the annotated video (OpenCV has no VP8 encoder here)")
                writer.write(frame)
                frames.append({"frame": i, "detections": r.summary()})
                for k in sums:
                    sums[k] += float(r.speed.get(k) or 0.0)
                if progress is not None:
                    progress(i + 1, max(total, i + 1))
    except AppInputError:
        raise
    except (OSError, ValueError, cv2.error) as e:  # an unopenable / corrupt video, frames that cannot be decoded
        raise AppInputError(f"{path.name}: not a readable video ({_one_line(e).replace(str(path), path.name)})") from e
    finally:
        if writer is not None:
            writer.release()
    if not frames:
        raise AppInputError(f"{path.name}: no frames could be read from this video")
    mean = {k: round(v / len(frames), 2) for k, v in sums.items()}
    payload = {"model": Path(loaded.path).name, "task": loaded.task, "video": path.name, "frames": len(frames),
               "truncated": truncated, "fps": fps, "speed_ms": mean, "attention_kernel": loaded.kernel,
               "results": frames}
    note = f" · {len(frames)} frames in {time.perf_counter() - t0:.1f} s (mean per frame)"
    if truncated:
        note += f" · stopped at the demo's limit of {max_frames} frames"
    return VideoOutput(str(out), payload, info_text(loaded, mean, note))


def example_images(n: int = 4) -> list[str]:
    """A few images of the shipped real digits set (validation split), materialised in the cache on first use."""
    from yolov12.data.embedded import embedded_dataset

    try:
        root = embedded_dataset("digits").parent / "images" / "val"
        return [str(p) for p in sorted(root.iterdir())[:n]]
    except Exception as e:  # examples are a convenience: the demo works without them
        LOGGER.warning(f"app: no example images ({e})")
        return []


__all__ = ["AppInputError", "ImageOutput", "LoadedModel", "ModelCache", "VideoOutput", "attention_kernel",
           "default_imgsz", "example_images", "predict_image", "predict_video", "read_image", "resolve_model",
           "result_table", "shipped_models"]
