"""Augmentation hyperparameters (names as users know them) and the paper's per-scale defaults."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass
class AugmentConfig:
    """Training augmentation settings. Probabilities in [0, 1]; geometric amounts as noted.

    The defaults are the YOLOv12-N recipe (spec section 4); see :func:`augment_defaults` for other scales.
    """

    mosaic: float = 1.0  # probability of a 4-image mosaic (the paper trains with 1.0)
    mosaic9: bool = False  # use 9-image mosaics instead of 4 when a mosaic is drawn
    mixup: float = 0.0  # probability of blending with a second mosaic, weight ~ Beta(32, 32)
    copy_paste: float = 0.1  # fraction of an image's polygon instances pasted as a flipped copy
    copy_paste_mode: str = "flip"  # only 'flip' is implemented: paste a horizontally flipped copy
    degrees: float = 0.0  # rotation range +/- degrees
    translate: float = 0.1  # translation range +/- fraction of the output size
    scale: float = 0.5  # scale gain range 1 +/- scale
    shear: float = 0.0  # shear range +/- degrees
    perspective: float = 0.0  # perspective range +/- (0 - 0.001 is sensible)
    flipud: float = 0.0  # probability of a vertical flip
    fliplr: float = 0.5  # probability of a horizontal flip
    hsv_h: float = 0.015  # hue gain range +/- fraction
    hsv_s: float = 0.7  # saturation gain range +/- fraction
    hsv_v: float = 0.4  # value gain range +/- fraction
    hsv_hue_mode: str = "add"  # 'add': rotate the hue circle by +/- hsv_h of it; 'scale': YOLOv12's hue * (1 +/- hsv_h)
    close_mosaic: int = 10  # switch mosaic, mixup and copy-paste off for this many final epochs

    def __post_init__(self) -> None:
        for name in ("mosaic", "mixup", "copy_paste", "flipud", "fliplr"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"AugmentConfig.{name} is a probability, got {v}")
        if self.hsv_hue_mode not in ("add", "scale"):
            raise ValueError(f"AugmentConfig.hsv_hue_mode must be 'add' or 'scale', got {self.hsv_hue_mode!r}")
        if self.copy_paste_mode != "flip":
            raise ValueError(f"copy_paste_mode {self.copy_paste_mode!r} not supported (only 'flip')")
        if not 0.0 <= self.scale < 1.0 and self.scale != 1.0:
            raise ValueError(f"AugmentConfig.scale must be in [0, 1], got {self.scale}")


# n / s / m / l / x, from the paper's training code (spec section 4)
_SCALE_TABLE = {
    "n": dict(scale=0.5, mixup=0.0, copy_paste=0.1),
    "s": dict(scale=0.9, mixup=0.05, copy_paste=0.15),
    "m": dict(scale=0.9, mixup=0.15, copy_paste=0.4),
    "l": dict(scale=0.9, mixup=0.15, copy_paste=0.5),
    "x": dict(scale=0.9, mixup=0.2, copy_paste=0.6),
}


def augment_defaults(scale: str = "n") -> AugmentConfig:
    """The paper's augmentation for model scale 'n', 's', 'm', 'l' or 'x' (also accepts 'yolov12n' etc.)."""
    key = scale.lower().removeprefix("yolov12")[:1]
    if key not in _SCALE_TABLE:
        raise ValueError(f"unknown model scale {scale!r}; expected one of n, s, m, l, x")
    return replace(AugmentConfig(), **_SCALE_TABLE[key])


def no_augment() -> AugmentConfig:
    """Every augmentation switched off (a plain letterbox), e.g. for benchmarks or debugging."""
    return AugmentConfig(
        mosaic=0.0, mixup=0.0, copy_paste=0.0, translate=0.0, scale=0.0, fliplr=0.0, hsv_h=0.0, hsv_s=0.0,
        hsv_v=0.0, close_mosaic=0,
    )
