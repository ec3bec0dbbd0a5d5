"""TrainConfig: every training argument, with the names users of YOLO tools already know.

Three recipes (``recipe=``), differing only in the fields of :data:`RECIPES` (``cls`` also in :data:`PRESETS`;
each can still be set explicitly):

- ``default``: the paper's recipe (spec section 4) with the changes that Ultralytics 8.4 made to it, which
  train better on real data (measured in benchmarks/peer_parity.py, see its docstring): bias warmup from lr 0.1,
  the assigner's tiny-box widening (box sides under 16 px count as 16 px when choosing candidate anchors), no
  100-iteration floor on the warmup, a warmup that ends at least one epoch before the last (warmup epochs =
  min(warmup_epochs, epochs - 1)), and a hue jitter that rotates the hue circle instead of scaling the hue.
- ``paper``: YOLOv12's own training code (Ultralytics 8.3.63) exactly.
- ``cls``: the seed's ImageNet classification recipe (tasks.md: the published YOLOv12-cls runs): SGD, lr0 0.2,
  lrf 0.01, nbs 256, no warmup (warmup_bias_lr 0.1), weight decay 1e-4, cosine schedule, hsv_s 0.4, 224 px.
  A preset: it decides each of :data:`PRESETS` ``['cls']``'s fields not given explicitly, the rest as ``default``.
  Those fields default to ``None`` (= decided by the recipe: :data:`BASE` unless the recipe's preset says otherwise),
  so an explicit value always wins, also one equal to the base value (``recipe=cls warmup_epochs=3``).

Augmentation fields left at ``None`` take the per-scale defaults of the paper (``yolov12.data.augment_defaults``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from yolov12.data import AugmentConfig, augment_defaults
from yolov12.utils import LOGGER, check_run_name
from yolov12.utils.checks import check_field_types, check_keys, check_range, image_size
from yolov12.utils.errors import ConfigError

# recipe -> values of the fields it decides (a field set explicitly, i.e. not None, wins)
RECIPES: dict[str, dict] = {
    "default": {"warmup_bias_lr": 0.1, "expand_tiny_boxes": True, "warmup_min_iters": 0, "warmup_before_last": True,
                "hsv_hue_mode": "add"},
    "paper": {"warmup_bias_lr": 0.0, "expand_tiny_boxes": False, "warmup_min_iters": 100, "warmup_before_last": False,
              "hsv_hue_mode": "scale"},
    "cls": {"warmup_bias_lr": 0.1, "expand_tiny_boxes": True, "warmup_min_iters": 0, "warmup_before_last": True,
            "hsv_hue_mode": "add"},
}
# recipes that also change general fields (lr0, imgsz...): applied to each such field not given (None).
# 'cls' is the seed's ImageNet preset: on small data its lr0 0.2 overshoots in the first steps and training stalls
# near chance without diverging (digits-cls, 1,000 images, 32 px, 40 epochs: top-1 .196; lr0 0.02: .915; a
# warmup does not help). Measured with benchmarks/classify_recipes.py; see the README's Classify section.
PRESETS: dict[str, dict] = {
    "cls": {"optimizer": "SGD", "lr0": 0.2, "lrf": 0.01, "nbs": 256, "warmup_epochs": 0.0, "weight_decay": 1e-4,
            "cos_lr": True, "hsv_s": 0.4, "imgsz": 224},
}
# the values of the general fields a preset may change, for every recipe without its own (None = not given)
BASE: dict = {"optimizer": "auto", "lr0": 0.01, "lrf": 0.01, "nbs": 64, "warmup_epochs": 3.0, "weight_decay": 5e-4,
              "cos_lr": False, "hsv_s": 0.7, "imgsz": 640}
# what a run saved before a recipe field existed trained with (its resume keeps that)
LEGACY_RECIPE = {"recipe": "paper", "warmup_before_last": False, "hsv_hue_mode": "scale", "channels_last": False}


@dataclass
class TrainConfig:
    # --- what to train -----------------------------------------------------------------------------------------
    model: str = "yolov12n.yaml"  # yolov12{n,s,m,l,x}.yaml (optionally -turbo) or a checkpoint to continue from
    data: str = ""  # data.yaml path, or an embedded dataset's name ('digits', 'trees', 'digits-seg'...)
    epochs: int = 100
    batch: int = 16  # images per step (all GPUs together under DDP)
    imgsz: int | None = None  # 640 (recipe cls: 224)
    device: str = ""  # '' auto, 'cpu', '0', '0,1,2,3' (several: launches torchrun)
    workers: int = 2  # dataloader worker processes per rank
    pretrained: str | None = None  # initialise from any weights we can load (matching tensors only)
    freeze: int | None = None  # freeze the first N layers (rows of the layer table)
    resume: bool | str = False  # True: continue model= (a last.safetensors); or a path to it
    recipe: str = "default"  # 'default' (paper + Ultralytics 8.4's changes), 'paper' (YOLOv12's code), 'cls'
    # (the seed's classification recipe); see RECIPES / PRESETS
    # --- optimiser and schedule --------------------------------------------------------------------------------
    optimizer: str | None = None  # SGD (the paper; 'auto' = SGD), Adam, AdamW (None: 'auto'; recipe cls: SGD)
    lr0: float | None = None  # initial learning rate (None: 0.01; recipe cls: 0.2)
    lrf: float | None = None  # final lr = lr0 * lrf (None: 0.01)
    momentum: float = 0.937  # SGD momentum / Adam beta1
    weight_decay: float | None = None  # scaled by batch * accumulate / nbs (None: 5e-4; recipe cls: 1e-4)
    warmup_epochs: float | None = None  # warmup length in epochs (None: 3.0; recipe cls: 0)
    warmup_min_iters: int | None = None  # ...but at least this many iterations (recipe: default 0, paper 100)
    warmup_before_last: bool | None = None  # warmup epochs = min(warmup_epochs, epochs - 1) (recipe: default on)
    warmup_momentum: float = 0.8
    warmup_bias_lr: float | None = None  # bias lr ramps down from this value (recipe: default 0.1, paper 0.0)
    nbs: int | None = None  # nominal batch size: gradients are accumulated up to it (None: 64; recipe cls: 256)
    cos_lr: bool | None = None  # cosine instead of linear decay (None: False; recipe cls: True)
    # --- loss gains --------------------------------------------------------------------------------------------
    box: float = 7.5
    cls: float = 0.5
    dfl: float = 1.5
    expand_tiny_boxes: bool | None = None  # assigner: box sides < 16 px count as 16 px for candidates (recipe)
    overlap_mask: bool = True  # segment: one index mask per image (else one mask per object)
    mask_ratio: int = 4  # segment: training masks at imgsz / mask_ratio (4 = the prototype size)
    angle: float = 1.0  # obb: gain of the angle loss (Ultralytics 8.4's separately weighted angle term)
    # --- augmentation (None: the paper's value for the model scale) --------------------------------------------
    mosaic: float = 1.0
    mixup: float | None = None
    copy_paste: float | None = None
    degrees: float = 0.0
    translate: float = 0.1
    scale: float | None = None
    shear: float = 0.0
    perspective: float = 0.0
    flipud: float = 0.0
    fliplr: float = 0.5
    hsv_h: float = 0.015
    hsv_s: float | None = None  # (None: 0.7; recipe cls: 0.4)
    hsv_v: float = 0.4
    hsv_hue_mode: str | None = None  # 'add' (rotate the hue circle) or 'scale' (YOLOv12's code) (recipe)
    close_mosaic: int = 10  # last N epochs without mosaic / mixup / copy-paste
    # classification only (random resized crop area = (1 - scale, 1); fliplr, flipud, hsv_* as above)
    auto_augment: str | None = None  # 'randaugment' (RandAugment, 2 ops at magnitude 9; replaces the HSV jitter)
    erasing: float = 0.0  # random erasing probability
    label_smoothing: float = 0.0  # cross-entropy label smoothing
    # --- run control -------------------------------------------------------------------------------------------
    amp: bool = True  # mixed precision on CUDA (ignored on CPU)
    channels_last: bool = True  # NHWC weights and activations: the same values up to float rounding, and a
    # ~25-35% faster step on CPU (oneDNN) (benchmarks/train_step.py times both)
    patience: int = 100  # stop after this many epochs without fitness improvement
    seed: int = 0
    deterministic: bool = True
    val: bool = True  # validate every epoch
    conf: float = 0.001  # validation confidence threshold
    iou: float = 0.7  # validation NMS IoU
    max_det: int = 300
    project: str = "runs/train"
    name: str = "exp"
    exist_ok: bool = False
    save_period: int = -1  # also keep weights/epoch{N} every N epochs (-1: off)
    cache: str | None = None  # None, 'ram' or 'disk' (decoded images)
    plots: bool = True
    sync_bn: bool = False  # SyncBatchNorm under DDP
    max_nonfinite: int = 20  # stop after this many consecutive non-finite losses
    verbose: bool = True

    def __post_init__(self) -> None:
        self.device = "" if self.device is None else str(self.device)  # None: auto; a torch.device or an index
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {', '.join(RECIPES)}; got {self.recipe!r}")
        for k, v in {**BASE, **PRESETS.get(self.recipe, {})}.items():
            if getattr(self, k) is None:
                setattr(self, k, v)
        for k, v in RECIPES[self.recipe].items():  # resolved once: args.yaml and checkpoints keep the values
            if getattr(self, k) is None:
                setattr(self, k, v)
        check_field_types(self)
        if self.hsv_hue_mode not in ("add", "scale"):
            raise ConfigError(f"hsv_hue_mode must be 'add' or 'scale', got {self.hsv_hue_mode!r}")
        if self.warmup_min_iters < 0:
            raise ValueError(f"warmup_min_iters must be >= 0, got {self.warmup_min_iters}")
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch < 1:
            raise ConfigError(f"batch must be >= 1, got {self.batch}")
        self.imgsz = image_size("imgsz", self.imgsz, square=True)[0]
        if self.lr0 <= 0 or self.lrf <= 0:
            raise ConfigError("lr0 and lrf must be positive")
        if self.optimizer.lower() not in ("auto", "sgd", "adam", "adamw"):
            raise ConfigError(f"optimizer must be one of auto, SGD, Adam, AdamW; got {self.optimizer!r}")
        if self.workers < 0:
            raise ConfigError(f"workers must be >= 0, got {self.workers}")
        if self.nbs < 1:
            raise ConfigError(f"nbs must be >= 1, got {self.nbs}")
        if self.freeze is not None and self.freeze < 0:
            raise ConfigError(f"freeze must be >= 0 (the number of leading layers to freeze), got {self.freeze}")
        check_range("conf", self.conf, 0, 1)
        check_range("iou", self.iou, 0, 1)
        check_range("erasing", self.erasing, 0, 1)
        check_range("label_smoothing", self.label_smoothing, 0, 0.999)
        if self.auto_augment not in (None, "", "randaugment"):
            raise ConfigError(f"auto_augment must be 'randaugment' or None, got {self.auto_augment!r}")
        if self.max_det < 1:
            raise ConfigError(f"max_det must be >= 1, got {self.max_det}")
        if self.angle < 0:
            raise ConfigError(f"angle must be >= 0 (the obb angle-loss gain), got {self.angle}")
        check_run_name(self.project, self.name)

    def augment(self, scale: str) -> AugmentConfig:
        """The AugmentConfig for a model of ``scale``: explicit fields win over the paper's per-scale values."""
        base = augment_defaults(scale)
        explicit = {f: getattr(self, f) for f in (
            "mosaic", "mixup", "copy_paste", "degrees", "translate", "scale", "shear", "perspective", "flipud",
            "fliplr", "hsv_h", "hsv_s", "hsv_v", "hsv_hue_mode", "close_mosaic") if getattr(self, f) is not None}
        return replace(base, **explicit)

    def warmup_iters(self, batches_per_epoch: int) -> int:
        """Iterations of warmup for an epoch of ``batches_per_epoch`` batches (-1: no warmup)."""
        epochs = min(self.warmup_epochs, max(self.epochs - 1, 0)) if self.warmup_before_last else self.warmup_epochs
        if epochs <= 0:
            return -1
        return max(round(epochs * batches_per_epoch), self.warmup_min_iters)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        check_keys(d, cls)
        return cls(**d)


# arguments a resumed run may change: where and how verbosely it runs, and how long (more epochs only); anything
# else (imgsz, lr0, batch, data, augmentation...) would make the remaining epochs a different experiment
RESUME_CHANGEABLE = ("device", "workers", "patience", "save_period", "verbose", "plots", "epochs")
RESUME_IGNORED = ("resume", "model")  # the checkpoint being resumed


def resume_args(saved: dict, given: "TrainConfig", source: str) -> dict:
    """The arguments of a resumed run: the saved ones, updated with the changeable arguments given explicitly
    (those differing from the defaults). Any other explicitly given argument that differs from the run's is a
    :class:`ConfigError` naming it; the kept and the changed values are logged."""
    default, changed, refused = TrainConfig(), {}, []
    for f in fields(TrainConfig):
        k = f.name
        if k in RESUME_IGNORED or k not in saved:
            continue
        v = getattr(given, k)
        if v == getattr(default, k) or v == saved[k]:
            continue
        if k not in RESUME_CHANGEABLE or (k == "epochs" and v < saved[k]):
            refused.append(f"{k}={v!r} (run: {saved[k]!r})")
        else:
            changed[k] = v
    if refused:
        raise ConfigError(f"resume {source}: {', '.join(refused)} cannot change in a resumed run (only "
                          f"{', '.join(RESUME_CHANGEABLE[:-1])} and more epochs can); start a new run with "
                          f"model={source} to train further with other settings")
    LOGGER.info(f"resume: keeping the run's arguments (imgsz={saved.get('imgsz')}, batch={saved.get('batch')}, "
                f"epochs={saved.get('epochs')}, lr0={saved.get('lr0')}, data={saved.get('data')}, ...)"
                + (f"; changed: {', '.join(f'{k} {saved[k]!r} -> {v!r}' for k, v in changed.items())}"
                   if changed else ""))
    return {**saved, **changed}
