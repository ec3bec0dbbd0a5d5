"""``data.yaml`` -> :class:`DataConfig`: class names and resolved image sources per split."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from yolov12.config import MAX_NC, check_kpt_shape, check_kpt_sigmas
from yolov12.utils.errors import ConfigError, YoloError

SPLITS = ("train", "val", "test")


class DataConfigError(YoloError, ValueError):
    """A data.yaml that cannot be used (missing keys, bad names, paths that do not exist)."""


@dataclass
class DataConfig:
    """A resolved dataset description.

    Attributes:
        root: dataset root (``path`` in the yaml, relative to the yaml's folder; the yaml's folder by default).
        names: class names, index = class id.
        train, val, test: image sources per split: folders of images and/or ``.txt`` files listing image paths.
        yaml_file: the file this came from, if any.
        kpt_shape: pose datasets: keypoints per object (K, D), D = 2 (x, y) or 3 (x, y, visibility); else None.
        flip_idx: pose datasets: keypoint order after a left-right flip (a permutation of 0..K-1), or None.
        kpt_oks_sigmas: pose datasets: per-keypoint OKS sigmas (loss and metric), or None (the default rule).
    """

    root: Path
    names: list[str]
    train: list[Path] = field(default_factory=list)
    val: list[Path] = field(default_factory=list)
    test: list[Path] = field(default_factory=list)
    yaml_file: Path | None = None
    kpt_shape: tuple[int, int] | None = None
    flip_idx: list[int] | None = None
    kpt_oks_sigmas: list[float] | None = None

    @property
    def nc(self) -> int:
        return len(self.names)

    def split(self, name: str) -> list[Path]:
        """Sources of split ``name`` ('train', 'val' or 'test'); raises when the split is not defined."""
        if name not in SPLITS:
            raise DataConfigError(f"unknown split {name!r}; expected one of {SPLITS}")
        sources = getattr(self, name)
        if not sources:
            raise DataConfigError(f"{self.yaml_file or 'data config'}: split {name!r} is not defined")
        return sources


def _parse_names(raw: dict[str, Any], where: str) -> list[str]:
    names = raw.get("names")
    nc = raw.get("nc")
    if nc is not None:
        n = int(s) if (s := str(nc).strip()).isdigit() else 0  # 10 or "10"; not 2.5, -1, True
        if not 1 <= n <= MAX_NC:
            raise DataConfigError(f"{where}: 'nc' must be a positive integer (the number of classes, at most "
                                  f"{MAX_NC}), got {nc!r}"[:300])
        nc = n
    if names is None:
        if nc is None:
            raise DataConfigError(f"{where}: needs 'names' (list or {{index: name}}) or 'nc'")
        return [str(i) for i in range(nc)]
    if isinstance(names, dict):
        by_id = {}
        for k, v in names.items():
            if isinstance(k, bool) or not (isinstance(k, int) or (isinstance(k, str) and k.strip().isdecimal())):
                raise DataConfigError(f"{where}: 'names' keys must be integer class ids, got {k!r}"[:300])
            by_id[int(k)] = v
        keys = sorted(by_id)
        if keys != list(range(len(names))):
            raise DataConfigError(f"{where}: 'names' ids must be 0..{len(names) - 1} without gaps or repeats, "
                                  f"got {keys[:20]}")
        names = [by_id[k] for k in keys]
    if isinstance(names, (list, tuple)):
        bad = [n for n in names if n is None or isinstance(n, (list, tuple, dict))]
        if bad:
            raise DataConfigError(f"{where}: each class name must be a string, got {bad[0]!r}")
        names = [str(n) for n in names]
    else:
        raise DataConfigError(f"{where}: 'names' must be a list or a mapping, got {type(names).__name__}")
    if nc is not None and nc != len(names):
        raise DataConfigError(f"{where}: nc={raw['nc']} but {len(names)} names")
    if not names:
        raise DataConfigError(f"{where}: no class names")
    if len(names) > MAX_NC:
        raise DataConfigError(f"{where}: {len(names)} class names; at most {MAX_NC} are supported")
    return names


def _parse_keypoints(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """``kpt_shape``, ``flip_idx`` and ``kpt_oks_sigmas`` of a pose dataset, checked against each other."""
    out: dict[str, Any] = {}
    if raw.get("kpt_shape") is None:
        extra = [k for k in ("flip_idx", "kpt_oks_sigmas") if raw.get(k) is not None]
        if extra:
            raise DataConfigError(f"{where}: {', '.join(extra)} given without kpt_shape")
        return out
    try:
        kpt = out["kpt_shape"] = check_kpt_shape(raw["kpt_shape"], "kpt_shape")
        if raw.get("kpt_oks_sigmas") is not None:
            out["kpt_oks_sigmas"] = list(check_kpt_sigmas(raw["kpt_oks_sigmas"], kpt[0], "kpt_oks_sigmas"))
    except ConfigError as e:
        raise DataConfigError(f"{where}: {e}") from e
    flip = raw.get("flip_idx")
    if flip is not None:
        ok = isinstance(flip, list | tuple) and all(isinstance(i, int) and not isinstance(i, bool) for i in flip)
        if not ok or sorted(flip) != list(range(kpt[0])):
            raise DataConfigError(f"{where}: flip_idx must be a permutation of 0..{kpt[0] - 1} (one entry per "
                                  f"keypoint: its index after a left-right flip), got {flip!r}"[:300])
        out["flip_idx"] = [int(i) for i in flip]
    return out


def _checked_path(value: Any, base: Path, where: str, key: str) -> Path:
    """``value`` (a string or number, ``~`` expanded, relative to ``base``) as a path that can be looked up; a
    mapping, a list, a NUL byte or an over-long name is a :class:`DataConfigError` naming ``key``."""
    if value is None or isinstance(value, (list, tuple, dict, bool)):
        raise DataConfigError(f"{where}: {key} must be a path, got {value!r}"[:300])
    if "\x00" in str(value):
        raise DataConfigError(f"{where}: {key} is not a usable path (it contains a NUL byte)")
    try:
        p = Path(str(value)).expanduser()
        p = p if p.is_absolute() else base / p
        p.exists()
        p.resolve()
    except (OSError, ValueError, RuntimeError) as e:  # RuntimeError: '~user' without a home directory
        raise DataConfigError(f"{where}: {key} is not a usable path ({e.__class__.__name__}: "
                              f"{getattr(e, 'strerror', None) or e})"[:300]) from e
    return p


def _resolve_sources(value: Any, root: Path, where: str, split: str) -> list[Path]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if item is None or isinstance(item, (list, tuple, dict)):
            raise DataConfigError(f"{where}: {split} must be a path or a list of paths, got {value!r}"[:300])
        p = _checked_path(item, root, where, split)
        if not p.exists():
            raise DataConfigError(f"{where}: {split} path does not exist: {p}")
        out.append(p)
    return out


def load_data_config(source: str | Path | dict[str, Any] | DataConfig) -> DataConfig:
    """Read a ``data.yaml`` (path) or an equivalent dict into a :class:`DataConfig`.

    Keys: ``path`` (root), ``train``/``val``/``test`` (folder, txt list of images, or a list of those, relative
    to ``path``), ``names`` (list or {index: name}) or ``nc``; pose datasets: ``kpt_shape`` [K, 2|3],
    ``flip_idx`` (optional) and ``kpt_oks_sigmas`` (optional). Raises :class:`DataConfigError` naming the file
    and the offending path/key.
    """
    if isinstance(source, DataConfig):
        return source
    yaml_file = None
    if isinstance(source, dict):
        raw, base, where = dict(source), Path.cwd(), "data config"
    else:
        yaml_file = Path(source).expanduser().resolve()
        if yaml_file.is_dir():
            raise DataConfigError(f"data= must be a data.yaml file, not a folder: {yaml_file}")
        if not yaml_file.is_file():
            raise DataConfigError(f"data config file does not exist: {yaml_file}")
        try:
            raw = yaml.safe_load(yaml_file.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            mark = getattr(e, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise DataConfigError(f"{yaml_file}: not valid YAML{at}: {getattr(e, 'problem', None) or e}") from e
        if not isinstance(raw, dict):
            raise DataConfigError(f"{yaml_file}: expected a mapping at top level")
        base, where = yaml_file.parent, str(yaml_file)
    root = _checked_path(raw.get("path") or ".", base, where, "path").resolve()
    if not root.is_dir():
        raise DataConfigError(f"{where}: dataset root does not exist: {root}")
    names = _parse_names(raw, where)
    splits = {s: _resolve_sources(raw.get(s), root, where, s) for s in SPLITS}
    if not splits["train"] and not splits["val"]:
        raise DataConfigError(f"{where}: defines neither 'train' nor 'val'")
    return DataConfig(root=root, names=names, yaml_file=yaml_file, **splits, **_parse_keypoints(raw, where))
