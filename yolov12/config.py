"""Typed model configuration: the scale table and the paper's ablation knobs.

Everything that defines a network's shape lives here, so that a checkpoint can carry it as plain JSON and a
model can be rebuilt from it without anything else.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

VARIANTS = ("v1", "v1-release", "turbo")


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

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"unknown scale {self.scale!r}; expected one of {', '.join(SCALES)}")
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; expected one of {', '.join(VARIANTS)}")
        if not isinstance(self.nc, int) or self.nc < 1:
            raise ValueError(f"nc must be a positive integer, got {self.nc!r}")
        if not isinstance(self.task, str) or not self.task.isidentifier():
            raise ValueError(f"task must be a task name such as 'detect', got {self.task!r}")
        if self.names and len(self.names) != self.nc:
            raise ValueError(f"{len(self.names)} class names given for nc={self.nc}")
        self.areas = tuple(int(a) for a in self.areas)  # type: ignore[assignment]
        self.attention = tuple(bool(a) for a in self.attention)  # type: ignore[assignment]
        if len(self.areas) != 2 or min(self.areas) < 1:
            raise ValueError(f"areas must be two positive integers, got {self.areas}")
        if self.pe_kernel is not None and (self.pe_kernel < 1 or self.pe_kernel % 2 == 0):
            raise ValueError(f"pe_kernel must be a positive odd number, got {self.pe_kernel}")

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
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**d)
