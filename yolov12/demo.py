"""The main job (``yolov12 demo`` / ``make demo``): real data, no download, a few minutes on 2 CPU cores.

``task=`` picks the task's main job (``detect``, the default; the other tasks add theirs to ``DEMOS``). Detection:

1. Materialise the shipped handwritten-digit detection set (real MNIST digits composed onto canvases).
2. Train yolov12n on it, starting from the digits model this project trained (shipped in
   ``yolov12/assets/weights``; from scratch when absent or ``from_scratch=True``).
3. Validate the result with COCO metrics (printed), predict on validation images and write annotated images.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from collections.abc import Callable

from yolov12.api import YOLO
from yolov12.data.embedded import embedded_dataset
from yolov12.tasks import TaskNotAvailable, get_task
from yolov12.training import TrainConfig
from yolov12.utils import LOGGER
from yolov12.utils.checks import check_field_types, check_int

ASSETS = Path(__file__).resolve().parent / "assets"
SHIPPED = ASSETS / "weights" / "yolov12n-digits.safetensors"


@dataclass
class DemoConfig:
    task: str = "detect"  # whose main job to run: detect, classify (segment, pose, obb as they arrive)
    epochs: int = 2  # training epochs of the demo run
    imgsz: int = 224  # the shipped digits model was trained at 224 (canvases are 224-320 px)
    batch: int = 16
    workers: int = 2
    device: str = ""
    from_scratch: bool = False  # ignore the shipped digits weights
    lr0: float = 0.0005  # SGD learning rate of the continued run (near the end of the original schedule)
    project: str = "runs/demo"
    predict_images: int = 8

    def __post_init__(self) -> None:
        self.device = "" if self.device is None else str(self.device)  # None: auto; a torch.device or an index
        check_field_types(self)
        check_int("predict_images", self.predict_images, 0)
        get_task(self.task)  # an unknown task name is an error that lists the known ones
        if self.task not in DEMOS:
            raise TaskNotAvailable(f"yolov12 demo task={self.task}: no main job for this task yet "
                                   f"(available: {', '.join(DEMOS)})")
        # the training arguments get the checks of `yolov12 train` now, before the dataset is built
        TrainConfig(epochs=self.epochs, imgsz=self.imgsz, batch=self.batch, workers=self.workers, lr0=self.lr0)


def run_demo(cfg: DemoConfig) -> dict:
    """Run the main job of ``cfg.task``; returns its summary (paths, metrics, seconds)."""
    return DEMOS[cfg.task](cfg)


def _validate_and_predict(model: YOLO, data: Path, cfg: DemoConfig, result, suffix: str = "") -> tuple:
    """Step 3 of a box-based demo: validate ``model`` on the val split, then predict the first val images (saved
    under ``predict{suffix}``); returns (the validation result, the predictions)."""
    LOGGER.info(f"[3/3] validating {result.best or result.last} and predicting")
    val = model.val(data=str(data), imgsz=cfg.imgsz, batch=cfg.batch, workers=cfg.workers, project=cfg.project,
                    name=f"val{suffix}", verbose=True)
    images = sorted((Path(data).parent / "images" / "val").iterdir())[: cfg.predict_images]
    results = model.predict([str(p) for p in images], imgsz=cfg.imgsz, conf=0.25, save=True,
                            project=cfg.project, name=f"predict{suffix}")
    for r in results:
        LOGGER.info(f"  {Path(r.path).name}: {r.verbose()}")
    return val, results


def detect_demo(cfg: DemoConfig) -> dict:
    t0 = time.time()
    data = embedded_dataset("digits")
    LOGGER.info(f"[1/3] dataset: {data} (160 train / 40 val images of handwritten digits, 10 classes)")
    start = "yolov12n.yaml" if cfg.from_scratch or not SHIPPED.exists() else str(SHIPPED)
    LOGGER.info(f"[2/3] training yolov12n from {'scratch' if start.endswith('.yaml') else start} "
                f"for {cfg.epochs} epoch(s) at {cfg.imgsz} px")
    model = YOLO(start)
    result = model.train(
        data=str(data), epochs=cfg.epochs, imgsz=cfg.imgsz, batch=cfg.batch, workers=cfg.workers, device=cfg.device,
        optimizer="SGD", lr0=cfg.lr0 if not start.endswith(".yaml") else 0.02,
        warmup_epochs=0.0 if not start.endswith(".yaml") else 2.0,
        close_mosaic=min(1, cfg.epochs), project=cfg.project, name="train", cache="ram", verbose=True,
    )
    val, _ = _validate_and_predict(model, data, cfg, result)
    m = val.metrics
    summary = {
        "train_dir": str(result.save_dir), "val_dir": str(val.save_dir),
        "mAP50-95": round(m.map50_95, 4), "mAP50": round(m.map50, 4), "precision": round(m.precision, 4),
        "recall": round(m.recall, 4), "seconds": round(time.time() - t0, 1),
    }
    LOGGER.info(f"demo done in {summary['seconds']} s: mAP50-95 {summary['mAP50-95']}, mAP50 {summary['mAP50']}; "
                f"annotated images under {cfg.project}/predict*, training run under {result.save_dir}")
    return summary


POSE_SHIPPED = ASSETS / "weights" / "yolov12n-digits-pose.safetensors"


def pose_demo(cfg: DemoConfig) -> dict:
    """Pose: the shipped digit-card keypoint set (real MNIST digits on perspective-warped cards, keypoints = the
    4 card corners); train yolov12n-pose (from the shipped pose model when present, else from scratch), validate
    with OKS mAP, predict and draw the corners."""
    t0 = time.time()
    data = embedded_dataset("digits-pose")
    LOGGER.info(f"[1/3] dataset: {data} (160 train / 40 val images of digit cards, 4 corner keypoints each)")
    scratch = cfg.from_scratch or not POSE_SHIPPED.exists()
    start = "yolov12n-pose.yaml" if scratch else str(POSE_SHIPPED)
    LOGGER.info(f"[2/3] training yolov12n-pose from {'scratch' if scratch else start} for {cfg.epochs} epoch(s) "
                f"at {cfg.imgsz} px")
    model = YOLO(start)
    result = model.train(
        data=str(data), epochs=cfg.epochs, imgsz=cfg.imgsz, batch=cfg.batch, workers=cfg.workers, device=cfg.device,
        optimizer="SGD", lr0=0.02 if scratch else cfg.lr0, warmup_epochs=2.0 if scratch else 0.0,
        close_mosaic=min(1, cfg.epochs), project=cfg.project, name="train", cache="ram", verbose=True,
    )
    val, _ = _validate_and_predict(model, data, cfg, result)
    m = val.metrics
    summary = {
        "train_dir": str(result.save_dir), "val_dir": str(val.save_dir),
        "mAP50-95": round(m.map50_95, 4), "mAP50": round(m.map50, 4),
        "box_mAP50-95": round(m.box.map50_95, 4), "box_mAP50": round(m.box.map50, 4),
        "seconds": round(time.time() - t0, 1),
    }
    LOGGER.info(f"demo done in {summary['seconds']} s: OKS mAP50-95 {summary['mAP50-95']}, OKS mAP50 "
                f"{summary['mAP50']}; annotated images under {cfg.project}/predict*, training run under "
                f"{result.save_dir}")
    return summary


SEG_SHIPPED = ASSETS / "weights" / "yolov12n-digits-seg.safetensors"


def segment_demo(cfg: DemoConfig) -> dict:
    """Segmentation: the digits-seg set (each digit's mask = its ink). yolov12n-seg continues from the shipped
    digits segmenter (``yolov12n-digits-seg``); without it, it starts from the shipped digits detector (backbone,
    neck and box/class branches transfer; the mask branch and prototypes start fresh), or from scratch."""
    t0 = time.time()
    data = embedded_dataset("digits-seg")
    LOGGER.info(f"[1/3] dataset: {data} (160 train / 40 val images of handwritten digits with instance masks)")
    shipped = not cfg.from_scratch and SEG_SHIPPED.exists()
    pretrained = None if shipped or cfg.from_scratch or not SHIPPED.exists() else str(SHIPPED)
    start = str(SEG_SHIPPED) if shipped else "yolov12n-seg.yaml"
    LOGGER.info(f"[2/3] training yolov12n-seg from {start if shipped else pretrained or 'scratch'} for "
                f"{cfg.epochs} epoch(s) at {cfg.imgsz} px")
    model = YOLO(start)
    lr0, warmup = (cfg.lr0, 0.0) if shipped else (0.01, 0.0) if pretrained else (0.02, 2.0)
    result = model.train(
        data=str(data), epochs=cfg.epochs, imgsz=cfg.imgsz, batch=cfg.batch, workers=cfg.workers, device=cfg.device,
        pretrained=pretrained, optimizer="SGD", lr0=lr0, warmup_epochs=warmup,
        close_mosaic=min(1, cfg.epochs), project=cfg.project, name="train-seg", cache="ram", verbose=True,
    )
    val, _ = _validate_and_predict(model, data, cfg, result, "-seg")
    m = val.metrics
    summary = {
        "train_dir": str(result.save_dir), "val_dir": str(val.save_dir),
        "box mAP50-95": round(m.box.map50_95, 4), "mask mAP50-95": round(m.mask.map50_95, 4),
        "mask mAP50": round(m.mask.map50, 4), "seconds": round(time.time() - t0, 1),
    }
    LOGGER.info(f"demo done in {summary['seconds']} s: mask mAP50-95 {summary['mask mAP50-95']}, box mAP50-95 "
                f"{summary['box mAP50-95']}; annotated images under {cfg.project}/predict-seg*")
    return summary


def obb_demo(cfg: DemoConfig) -> dict:
    """Oriented boxes: the shipped rotated-digits set (real MNIST digits pasted at random angles); yolov12n-obb
    initialised from the shipped digits detector (backbone, neck, box and class branches; the angle branch is new),
    trained with rotations in the augmentation, validated with rotated mAP (exact polygon IoU), predicted."""
    t0 = time.time()
    data = embedded_dataset("digits-obb")
    LOGGER.info(f"[1/3] dataset: {data} (160 train / 40 val images of handwritten digits at random angles)")
    scratch = cfg.from_scratch or not SHIPPED.exists()
    LOGGER.info(f"[2/3] training yolov12n-obb {'from scratch' if scratch else f'from {SHIPPED.name}'} for "
                f"{cfg.epochs} epoch(s) at {cfg.imgsz} px")
    model = YOLO("yolov12n-obb.yaml", nc=10)
    result = model.train(
        data=str(data), epochs=cfg.epochs, imgsz=cfg.imgsz, batch=cfg.batch, workers=cfg.workers, device=cfg.device,
        pretrained=None if scratch else str(SHIPPED), optimizer="AdamW", lr0=0.002, warmup_epochs=0.0 if not scratch
        else 1.0, degrees=15.0, close_mosaic=min(1, cfg.epochs), project=cfg.project, name="train-obb",
        cache="ram", verbose=True,
    )
    val, _ = _validate_and_predict(model, data, cfg, result, "-obb")
    m = val.metrics
    summary = {
        "train_dir": str(result.save_dir), "val_dir": str(val.save_dir),
        "mAP50-95": round(m.map50_95, 4), "mAP50": round(m.map50, 4), "precision": round(m.precision, 4),
        "recall": round(m.recall, 4), "seconds": round(time.time() - t0, 1),
    }
    LOGGER.info(f"obb demo done in {summary['seconds']} s: mAP50-95 {summary['mAP50-95']}, mAP50 {summary['mAP50']} "
                f"(exact polygon IoU); annotated images under {cfg.project}/predict-obb*, weights under "
                f"{result.save_dir}/weights")
    return summary




CLS_DEMO_IMGSZ = 64  # the shipped digits are 64 px images: the classification demo trains at that size


def classify_demo(cfg: DemoConfig) -> dict:
    """Classification: yolov12n-cls from scratch on the shipped digits as a folder dataset (digits-cls, ~2,000
    train / 500 val images of 10 classes), top-1/top-5 validation, predictions drawn with their top-5 classes.
    ``imgsz`` left at the detection default (224) trains at 64 px, the digits' size."""
    from yolov12.data.compose_classify import resolve_classify_data

    t0 = time.time()
    imgsz = CLS_DEMO_IMGSZ if cfg.imgsz == 224 else cfg.imgsz
    data = resolve_classify_data("digits-cls")
    LOGGER.info(f"[1/3] dataset: {data} (handwritten digits, one folder per class)")
    LOGGER.info(f"[2/3] training yolov12n-cls from scratch for {cfg.epochs} epoch(s) at {imgsz} px")
    model = YOLO("yolov12n-cls.yaml")
    result = model.train(data=str(data), epochs=cfg.epochs, imgsz=imgsz, batch=cfg.batch, workers=cfg.workers,
                         device=cfg.device, optimizer="SGD", lr0=0.02, warmup_epochs=0.0, cos_lr=True,
                         project=cfg.project, name="train", cache="ram", verbose=True)
    LOGGER.info(f"[3/3] validating {result.best or result.last} and predicting")
    val = model.val(data=str(data), imgsz=imgsz, batch=cfg.batch, workers=cfg.workers, project=cfg.project,
                    name="val", verbose=True)
    images = [sorted((data / "val" / c).iterdir())[0] for c in model.names][: cfg.predict_images]
    results = model.predict([str(p) for p in images], imgsz=imgsz, save=True, project=cfg.project, name="predict")
    m = val.metrics
    summary = {"train_dir": str(result.save_dir), "val_dir": str(val.save_dir), "top1": round(m.top1, 4),
               "top5": round(m.top5, 4), "seconds": round(time.time() - t0, 1)}
    for r in results:
        LOGGER.info(f"  {Path(r.path).parent.name}/{Path(r.path).name}: {r.verbose()}")
    LOGGER.info(f"demo done in {summary['seconds']} s: top-1 {summary['top1']}, top-5 {summary['top5']}; "
                f"annotated images under {cfg.project}/predict*, training run under {result.save_dir}")
    return summary


DEMOS: dict[str, Callable[[DemoConfig], dict]] = {
    "detect": detect_demo, "segment": segment_demo, "pose": pose_demo, "obb": obb_demo,
    "classify": classify_demo,
}
