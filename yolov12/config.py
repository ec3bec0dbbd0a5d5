"""Typed model configuration: the scale table and the paper's ablation knobs.

Everything that defines a network's shape lives here, so that a checkpoint can carry it as plain JSON and a
model can be rebuilt from it without anything else.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from yolov12.utils.errors import ConfigError

VARIANTS = ("v1", "v1-release", "turbo")
# bounds of the fields a checkpoint header may set: generous for real models, small enough that building one
# cannot exhaust memory (ImageNet-21k has 21,843 classes; the paper uses areas <= 4, pe_kernel <= 9, reg_max 16)
MAX_NC, MAX_AREAS, MAX_MLP_RATIO, MAX_PE_KERNEL, MAX_REG_MAX = 25_000, 64, 8.0, 31, 64
MAX_KPTS = 1000  # keypoints per object a pose model may have (COCO 17, hands 21, faces 68..478)
DEFAULT_KPT_SHAPE = (17, 3)  # pose models: COCO person keypoints (x, y, visibility)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _short(v: object) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


@dataclass(frozen=True)
class Scale:
    """Compound scaling: ``depth`` multiplies block repeats, ``width`` channels, capped at ``max_channels``."""

    depth: float
    width: float
    max_channels: int


SCALES: dict[str, Scale] = {
    "n": Scale(0.50, 0.25, 1024),
    "s": Scale(0.50, 0.50, 1024),
    "m": Scale(0.50, 1.00, 512),
    "l": Scale(1.00, 1.00, 512),
    "x": Scale(1.00, 1.50, 512),
}


def make_divisible(x: float, divisor: int = 8) -> int:
    """Round ``x`` up to a multiple of ``divisor``."""
    return int(math.ceil(x / divisor) * divisor)


@dataclass
class ModelConfig:
    """Everything needed to build a network of any task. ``None`` fields take the scale/variant default."""

    scale: str = "n"  # one of n/s/m/l/x (spec section 1)
    nc: int = 80  # number of classes
    variant: str = "v1"  # v1 (paper, = Ultralytics YOLO12) | v1-release (pe conv bias) | turbo (spec section 6)
    names: list[str] = field(default_factory=list)  # class names; empty = "0".."nc-1"
    # --- ablation knobs of the paper (defaults reproduce the published models) ---
    areas: tuple[int, int] = (4, 1)  # area count of the two attention stages (layer 6 strips, layer 8 global)
    attention: tuple[bool, bool] = (True, True)  # attention on/off per stage (off = C3k blocks, as in the neck)
    mlp_ratio: float | None = None  # ABlock MLP expansion; None: 2.0 for n/s/m, 1.2 (turbo 1.5) for l/x
    pe_kernel: int | None = None  # position-perceiver depthwise kernel (3/5/7/9); None: 7 (turbo 5)
    residual: bool | None = None  # R-ELAN residual scaling of attention stages; None: on for l/x only
    residual_init: float = 0.01  # initial value of the R-ELAN residual scale gamma
    reg_max: int = 16  # DFL bins per box side
    task: str = "detect"  # detect | segment | pose | obb | classify (yolov12.tasks); old checkpoints: detect
    # pose only: keypoints per object (K, D), D = 2 (x, y) or 3 (x, y, visibility); None: (17, 3) for pose
    kpt_shape: tuple[int, int] | None = None
    # pose only: per-keypoint OKS sigmas (loss and metric), from the training data's kpt_oks_sigmas; None: the
    # COCO sigmas for (17, 3), else 1/K each
    kpt_sigmas: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        """Validate every field BEFORE anything is built: a checkpoint header is untrusted input, and a config
        with absurd values (nc=10**9, reg_max=-1, pe_kernel=10**6) must be a :class:`ConfigError`, not a model
        that exhausts memory or a traceback from deep inside torch."""
        if not isinstance(self.scale, str) or self.scale not in SCALES:
            raise ConfigError(f"unknown scale {self.scale!r}; expected one of {', '.join(SCALES)}")
        if not isinstance(self.variant, str) or self.variant not in VARIANTS:
            raise ConfigError(f"unknown variant {self.variant!r}; expected one of {', '.join(VARIANTS)}")
        if not _is_int(self.nc) or not 1 <= self.nc <= MAX_NC:
            raise ConfigError(f"nc must be an integer in 1..{MAX_NC}, got {self.nc!r}")
        if not isinstance(self.names, list | tuple) or not all(isinstance(n, str) for n in self.names):
            raise ConfigError(f"names must be a list of strings, got {_short(self.names)}")
        if not isinstance(self.task, str) or not self.task.isidentifier():
            raise ConfigError(f"task must be a task name such as 'detect', got {_short(self.task)}")
        if self.names and len(self.names) != self.nc:
            raise ConfigError(f"{len(self.names)} class names given for nc={self.nc}")
        self.names = list(self.names)
        if (not isinstance(self.areas, list | tuple) or len(self.areas) != 2
                or not all(_is_int(a) and 1 <= a <= MAX_AREAS for a in self.areas)):
            raise ConfigError(f"areas must be two integers in 1..{MAX_AREAS}, got {_short(self.areas)}")
        if (not isinstance(self.attention, list | tuple) or len(self.attention) != 2
                or not all(isinstance(a, bool) for a in self.attention)):
            raise ConfigError(f"attention must be two booleans, got {_short(self.attention)}")
        self.areas = tuple(int(a) for a in self.areas)  # type: ignore[assignment]
        self.attention = tuple(bool(a) for a in self.attention)  # type: ignore[assignment]
        if self.mlp_ratio is not None and not (_is_real(self.mlp_ratio) and 0 < self.mlp_ratio <= MAX_MLP_RATIO):
            raise ConfigError(f"mlp_ratio must be a number in (0, {MAX_MLP_RATIO:g}] or None, got {self.mlp_ratio!r}")
        if self.pe_kernel is not None and not (
                _is_int(self.pe_kernel) and 1 <= self.pe_kernel <= MAX_PE_KERNEL and self.pe_kernel % 2 == 1):
            raise ConfigError(f"pe_kernel must be an odd integer in 1..{MAX_PE_KERNEL} or None, got {self.pe_kernel!r}")
        if self.residual is not None and not isinstance(self.residual, bool):
            raise ConfigError(f"residual must be True, False or None, got {self.residual!r}")
        if not (_is_real(self.residual_init) and abs(self.residual_init) <= 10):
            raise ConfigError(f"residual_init must be a finite number in [-10, 10], got {self.residual_init!r}")
        if not _is_int(self.reg_max) or not 1 <= self.reg_max <= MAX_REG_MAX:
            raise ConfigError(f"reg_max must be an integer in 1..{MAX_REG_MAX}, got {self.reg_max!r}")
        self._check_keypoints()

    def _check_keypoints(self) -> None:
        if self.task != "pose":
            if self.kpt_shape is not None or self.kpt_sigmas is not None:
                raise ConfigError(f"kpt_shape / kpt_sigmas are for pose models only, not task {self.task!r}")
            return
        self.kpt_shape = check_kpt_shape(DEFAULT_KPT_SHAPE if self.kpt_shape is None else self.kpt_shape)
        if self.kpt_sigmas is not None:
            self.kpt_sigmas = check_kpt_sigmas(self.kpt_sigmas, self.kpt_shape[0])

    # ----- derived values -------------------------------------------------------------------------------
    @property
    def class_names(self) -> list[str]:
        return list(self.names) if self.names else [str(i) for i in range(self.nc)]

    def channels(self, c: int) -> int:
        s = SCALES[self.scale]
        return make_divisible(min(c, s.max_channels) * s.width, 8)

    def repeats(self, n: int) -> int:
        return max(round(n * SCALES[self.scale].depth), 1) if n > 1 else n

    @property
    def large(self) -> bool:
        return self.scale in ("l", "x")

    @property
    def c3k(self) -> bool:
        """m, l, x use C3k inner blocks in every C3k2."""
        return self.scale in ("m", "l", "x")

    @property
    def resolved_mlp_ratio(self) -> float:
        if self.mlp_ratio is not None:
            return float(self.mlp_ratio)
        if self.large:
            return 1.5 if self.variant == "turbo" else 1.2
        return 2.0

    @property
    def resolved_pe_kernel(self) -> int:
        return self.pe_kernel if self.pe_kernel is not None else (5 if self.variant == "turbo" else 7)

    @property
    def resolved_residual(self) -> bool:
        return self.large if self.residual is None else bool(self.residual)

    # ----- serialisation -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["areas"], d["attention"] = list(self.areas), list(self.attention)
        for k in ("kpt_shape", "kpt_sigmas"):  # pose only: other tasks' headers stay as they were
            if d[k] is None:
                del d[k]
            else:
                d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        if not isinstance(d, dict):
            raise ConfigError(f"a model config must be a mapping, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown model config keys: {sorted(map(str, unknown))[:10]}")
        return cls(**d)


def check_kpt_shape(v: object, where: str = "kpt_shape") -> tuple[int, int]:
    """``[K, D]`` with 1 <= K <= MAX_KPTS and D 2 (x, y) or 3 (x, y, visibility) -> (K, D); else ConfigError."""
    if (not isinstance(v, list | tuple) or len(v) != 2 or not all(_is_int(x) for x in v)
            or not 1 <= v[0] <= MAX_KPTS or v[1] not in (2, 3)):
        raise ConfigError(f"{where} must be [K, 2] or [K, 3] with K in 1..{MAX_KPTS} keypoints, got {_short(v)}")
    return int(v[0]), int(v[1])


def check_kpt_sigmas(v: object, k: int, where: str = "kpt_sigmas") -> tuple[float, ...]:
    """K positive finite OKS sigmas -> tuple of floats; else ConfigError."""
    if (not isinstance(v, list | tuple) or len(v) != k or not all(_is_real(x) and x > 0 for x in v)):
        raise ConfigError(f"{where} must be {k} positive numbers (one per keypoint), got {_short(v)}")
    return tuple(float(x) for x in v)
