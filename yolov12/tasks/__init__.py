"""Tasks: detect, segment, pose, obb, classify. The registry, model-name parsing and model loading by task.

>>> get_task("detect").build_model(ModelConfig(scale="n"))
>>> parse_model_name("yolov12s-seg.yaml")          # ModelConfig(scale='s', task='segment', ...)
>>> model, weights = load_model("best.safetensors")  # the network of the task its header names

A new task is one module: a :class:`Task` subclass and one ``register_task(MyTask())`` call (see ``base.py``).
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from yolov12.config import VARIANTS, ModelConfig
from yolov12.tasks.base import Task, TaskNotAvailable
from yolov12.tasks.classify import ClassifyTask
from yolov12.tasks.detect import DetectTask
from yolov12.tasks.obb import OBBTask
from yolov12.tasks.pose import PoseTask
from yolov12.tasks.segment import SegmentTask
from yolov12.weights import LoadedWeights, load_state_strict, load_weights

__all__ = ["Task", "TaskNotAvailable", "get_task", "load_model", "model_name", "parse_model_name", "register_task",
           "task_names"]

_TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Make ``task`` available by its name and model-name suffix. Returns it."""
    if not task.name.isidentifier():
        raise ValueError(f"a task name must be an identifier, got {task.name!r}")
    for other in _TASKS.values():
        if other.name != task.name and other.suffix == task.suffix:
            raise ValueError(f"task {task.name!r}: model-name suffix {task.suffix!r} is taken by {other.name!r}")
    _TASKS[task.name] = task
    return task


def get_task(name: str | None) -> Task:
    """The task called ``name`` (None: detect)."""
    name = name or "detect"
    if name not in _TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {', '.join(_TASKS)}")
    return _TASKS[name]


def task_names() -> list[str]:
    return list(_TASKS)


register_task(DetectTask())
register_task(ClassifyTask())
register_task(PoseTask())
register_task(SegmentTask())
register_task(OBBTask())

_PREFIXES = ("yolov12", "yolo12")


def parse_model_name(spec: str) -> ModelConfig | None:
    """'yolov12n.yaml', 'yolov12s-turbo.yaml', 'yolo12m-seg', 'yolov12n-cls.yaml' -> ModelConfig (nc set later;
    the suffix decides the task); None for weight files."""
    name = Path(str(spec)).name.lower()
    if name.endswith((".safetensors", ".pt", ".pth")):
        return None
    if name.endswith(".onnx"):
        raise ValueError(f"model {spec!r}: an exported ONNX model predicts and validates only; train from the "
                         ".safetensors checkpoint it was exported from")
    stem = name.removesuffix(".yaml").removesuffix(".yml")
    prefix = next((p for p in _PREFIXES if stem.startswith(p)), None)
    suffixes = {t.suffix.lstrip("-"): t.name for t in _TASKS.values() if t.suffix}
    usage = (f"model {spec!r}: expected yolov12{{n,s,m,l,x}}[-turbo|-v1-release]"
             f"[{'|'.join('-' + s for s in suffixes)}].yaml or a weights file")
    if prefix is None:
        raise ValueError(usage)
    rest = stem[len(prefix):].replace("v1-release", "v1release")
    scale, tokens = rest[:1], [t for t in rest[1:].split("-") if t]
    variant, task = "v1", "detect"
    for tok in tokens:
        if tok in suffixes and task == "detect":
            task = suffixes[tok]
        elif tok.replace("v1release", "v1-release") in VARIANTS and variant == "v1":
            variant = tok.replace("v1release", "v1-release")
        else:
            raise ValueError(usage)
    try:
        return ModelConfig(scale=scale, variant=variant, task=task, nc=_TASKS[task].default_nc)
    except ValueError as e:
        raise ValueError(f"{usage} ({e})") from e


def model_name(cfg: ModelConfig) -> str:
    """The model name that :func:`parse_model_name` reads back into ``cfg``'s scale, variant and task."""
    variant = "" if cfg.variant == "v1" else f"-{cfg.variant}"
    return f"yolov12{cfg.scale}{variant}{get_task(cfg.task).suffix}.yaml"


def load_model(path: str | Path, nc: int | None = None) -> tuple[nn.Module, LoadedWeights]:
    """Build the network of the task a weight file describes and load the weights strictly. ``nc`` must match."""
    w = load_weights(path)
    if nc is not None and nc != w.cfg.nc:
        raise ValueError(
            f"{Path(path).name} was trained for {w.cfg.nc} classes, not nc={nc}; to fine-tune on {nc} classes "
            f"build a new model and initialise it from these weights (train(pretrained=...))"
        )
    model = get_task(w.cfg.task).build_model(w.cfg)
    load_state_strict(model, w.state, path)
    return model, w
