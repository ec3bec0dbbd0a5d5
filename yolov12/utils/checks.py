"""Argument checks shared by the typed configs: a wrong value is a ``ConfigError`` (a ``ValueError``) that names
the argument and what it accepts, raised before any work starts (never a ``TypeError`` from deep inside numpy,
cv2 or torch)."""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import fields
from numbers import Integral, Real
from typing import Any

from yolov12.utils.errors import ConfigError


def _is_int(v: Any) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)


def check_int(name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int; ``ValueError`` naming ``name`` unless it is an integer >= ``minimum``."""
    if not _is_int(value) or (minimum is not None and value < minimum):
        need = "an integer" + (f" >= {minimum}" if minimum is not None else "")
        raise ConfigError(f"{name} must be {need}, got {value!r}")
    return int(value)


def check_range(name: str, value: Any, lo: float, hi: float) -> float:
    """``value`` as a float; ``ValueError`` naming ``name`` unless it is a number in [lo, hi]."""
    if not _is_number(value) or not lo <= value <= hi:
        raise ConfigError(f"{name} must be a number between {lo:g} and {hi:g}, got {value!r}")
    return float(value)


def check_imgsz(name: str, value: Any, multiple: int = 1) -> tuple[int, int]:
    """An image size, one side or (height, width), -> (h, w); each a positive multiple of ``multiple``."""
    hw = (value, value) if _is_int(value) else tuple(value) if isinstance(value, list | tuple) else ()
    if len(hw) != 2 or not all(_is_int(v) and v > 0 and v % multiple == 0 for v in hw):
        one, two = ("integer", "integers") if multiple == 1 else (f"multiple of {multiple}", f"multiples of {multiple}")
        raise ConfigError(f"{name} must be a positive {one} or a [height, width] pair of positive {two}, got {value!r}")
    return int(hw[0]), int(hw[1])


def image_size(name: str, value: Any, stride: int = 32, square: bool = False) -> tuple[int, int]:
    """The one image-size rule of every mode (train, val, predict, export, info): a positive integer (or, unless
    ``square``, a [height, width] pair of them) -> (h, w), each side rounded up to a multiple of ``stride`` (the
    network's largest) with one warning. Anything else is a ``ValueError`` naming ``name``."""
    if square and not _is_int(value):
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    h, w = check_imgsz(name, value)
    out = (-(-h // stride) * stride, -(-w // stride) * stride)
    if out != (h, w):
        from yolov12.utils.log import LOGGER

        shown = out[0] if square or _is_int(value) else list(out)
        LOGGER.warning(f"WARNING: {name}={value!r} is not a multiple of the stride {stride}; using {shown}")
    return out


def check_field_types(cfg: Any) -> None:
    """Check the fields of a config dataclass against their annotations: ``int`` / ``float`` (optionally
    ``| None``) must hold numbers, ``bool`` a bool (0 / 1 accepted), ``str`` a string (a path or a number becomes its
    text: the command line reads ``name=2024`` as an int). Other annotations are left to the config's own checks."""
    for f in fields(cfg):
        v = getattr(cfg, f.name)
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        optional = kind.endswith(" | None")
        kind = kind.removesuffix(" | None")
        if v is None and optional:
            continue
        if kind == "int" and not _is_int(v):
            raise ConfigError(f"{f.name} must be an integer{' or None' if optional else ''}, got {v!r}")
        if kind == "float" and not _is_number(v):
            raise ConfigError(f"{f.name} must be a number{' or None' if optional else ''}, got {v!r}")
        if kind == "bool":
            if isinstance(v, str) or v not in (True, False):
                raise ConfigError(f"{f.name} must be True or False, got {v!r}")
            setattr(cfg, f.name, bool(v))
        if kind == "str" and not isinstance(v, str):
            if not (_is_number(v) or isinstance(v, os.PathLike)):
                raise ConfigError(f"{f.name} must be a string{' or None' if optional else ''}, got {v!r}")
            setattr(cfg, f.name, str(v))


def check_keys(d: dict, cls: type) -> None:
    """Unknown argument names are an error that suggests the closest valid one."""
    valid = [f.name for f in fields(cls)]
    for k in d:
        if k not in valid:
            close = difflib.get_close_matches(k, valid, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"unknown argument '{k}'{hint}")
