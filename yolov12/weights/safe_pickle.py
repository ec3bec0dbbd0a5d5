"""Load published ``.pt`` checkpoints (torch zip archives holding pickled module trees) without running code.

The unpickler rebuilds tensors, dicts, lists, tuples, sets and a few inert value types. Classes of the known
model namespaces (``ultralytics.*``, ``torch.nn.modules.*``, YOLOv5-style ``models.*``) become inert
placeholder objects that only record their attributes; nothing of those packages is imported or executed.
Any other global (``os.system``, ``builtins.eval``, ``subprocess.Popen``...) is refused with
:class:`UnsafeCheckpointError` before it can be called.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yolov12.utils.errors import YoloError

PLACEHOLDER_NAMESPACES = ("ultralytics.", "torch.nn.modules.", "models.", "utils.")


class UnsafeCheckpointError(YoloError, pickle.UnpicklingError):
    """The checkpoint references a global that is not on the allow-list."""


class CheckpointFormatError(YoloError, ValueError):
    """The file is not a readable checkpoint (truncated, corrupt, or another format)."""


class Placeholder:
    """Inert stand-in for a class of a package we do not import. Holds the pickled attributes only."""

    _qualname = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> "Placeholder":
        obj = object.__new__(cls)
        obj.__dict__["_args"] = args
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # called by REDUCE; keep inert
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self.__dict__["_state"] = state

    def __repr__(self) -> str:
        return f"<placeholder {self._qualname}>"


_placeholder_classes: dict[str, type] = {}


def _placeholder(qualname: str) -> type:
    if qualname not in _placeholder_classes:
        _placeholder_classes[qualname] = type(qualname.rsplit(".", 1)[-1], (Placeholder,), {"_qualname": qualname})
    return _placeholder_classes[qualname]


class _StorageType:
    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    if storage.numel() == 0 and storage_offset == 0:
        return torch.empty(size, dtype=storage.dtype)
    return torch.as_strided(storage, tuple(size), tuple(stride), storage_offset)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    return data


def _path(*parts):
    return str(Path(*parts))


def _np_scalar(dtype, data=None):
    return np.frombuffer(data, dtype=dtype)[0] if data is not None else dtype.type(0)


def _np_reconstruct(cls, shape, dtype):
    if cls is not np.ndarray:
        raise UnsafeCheckpointError(f"refusing numpy reconstruction of {cls!r}")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _np_dtype(spec, align=False, copy=False):
    return np.dtype(spec)


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set, ("__builtin__", "set"): set,
    ("builtins", "frozenset"): frozenset, ("__builtin__", "frozenset"): frozenset,
    ("builtins", "slice"): slice, ("__builtin__", "slice"): slice,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "Size"): tuple,
    ("torch", "device"): str,
    ("pathlib", "PosixPath"): _path, ("pathlib", "WindowsPath"): _path, ("pathlib", "Path"): _path,
    ("numpy.core.multiarray", "scalar"): _np_scalar, ("numpy._core.multiarray", "scalar"): _np_scalar,
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _np_dtype,
}

_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "HalfStorage": torch.float16, "DoubleStorage": torch.float64,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix = archive, prefix
        self.storages: dict[str, torch.Tensor] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        if module.startswith(PLACEHOLDER_NAMESPACES) and name.isidentifier():
            return _placeholder(f"{module}.{name}")
        raise UnsafeCheckpointError(
            f"checkpoint references '{module}.{name}', which is not allowed: only tensors, containers and model "
            "classes are rebuilt (the file may be malicious or of an unsupported kind)"
        )

    def persistent_load(self, pid: Any) -> torch.Tensor:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise UnsafeCheckpointError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid
        dtype = storage_type.dtype if isinstance(storage_type, _StorageType) else storage_type
        if not isinstance(dtype, torch.dtype):
            raise UnsafeCheckpointError(f"unsupported storage type {storage_type!r}")
        if key not in self.storages:
            try:
                raw = self.archive.read(f"{self.prefix}/data/{key}")
            except KeyError as e:
                raise CheckpointFormatError(f"storage {key} missing from the archive") from e
            t = torch.frombuffer(bytearray(raw), dtype=dtype) if raw else torch.empty(0, dtype=dtype)
            self.storages[key] = t
        return self.storages[key]


def safe_load_pt(path: str | Path) -> Any:
    """Unpickle a torch zip checkpoint with the allow-list above. Returns the rebuilt object tree."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        archive = zipfile.ZipFile(path)
        pkl = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise CheckpointFormatError(f"{path}: no data.pkl inside (not a torch checkpoint)")
        prefix = pkl[0].rsplit("/", 1)[0] if "/" in pkl[0] else ""
        data = archive.read(pkl[0])
    except zipfile.BadZipFile as e:
        raise CheckpointFormatError(
            f"{path}: not a readable torch zip checkpoint ({e}); the file may be truncated or corrupt. "
            "Legacy (pre-1.6) non-zip checkpoints are not supported"
        ) from e
    try:
        return _RestrictedUnpickler(data, archive, prefix).load()
    except (UnsafeCheckpointError, CheckpointFormatError):
        raise
    except Exception as e:  # truncated pickle stream, bad opcodes, zip CRC errors
        raise CheckpointFormatError(f"{path}: corrupt checkpoint ({type(e).__name__}: {e})") from e


MAX_MODULE_DEPTH = 64  # real YOLO module trees are < 10 deep


def module_state_dict(module: Any, prefix: str = "") -> dict[str, torch.Tensor]:
    """State dict (parameters and persistent buffers) of a placeholder module tree.

    The tree is untrusted: it is walked without recursion, each module once (a module that contains itself is
    read once), at most :data:`MAX_MODULE_DEPTH` deep, and anything that is not a placeholder module where one
    belongs (a tensor, a list, a string) or a ``_modules``/``_parameters`` that is not a mapping raises
    :class:`CheckpointFormatError`.
    """
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    stack: list[tuple[Any, str, int]] = [(module, prefix, 0)]
    while stack:
        mod, pre, depth = stack.pop()
        if not isinstance(mod, Placeholder):
            raise CheckpointFormatError(f"expected a module at '{pre.rstrip('.') or '<root>'}', found a "
                                        f"{type(mod).__name__}")
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        if depth > MAX_MODULE_DEPTH:
            raise CheckpointFormatError(f"module tree deeper than {MAX_MODULE_DEPTH} levels at '{pre.rstrip('.')}'")
        d = mod.__dict__
        params, buffers, children = (d.get(k) or {} for k in ("_parameters", "_buffers", "_modules"))
        non_persistent = d.get("_non_persistent_buffers_set") or set()
        for what, v in (("_parameters", params), ("_buffers", buffers), ("_modules", children)):
            if not isinstance(v, dict) or not all(isinstance(k, str) for k in v):
                raise CheckpointFormatError(f"'{pre.rstrip('.') or '<root>'}': {what} is a {type(v).__name__}, "
                                            "not a mapping of names")
        if not isinstance(non_persistent, set | frozenset | list | tuple):
            raise CheckpointFormatError(f"'{pre.rstrip('.') or '<root>'}': bad _non_persistent_buffers_set")
        for name, p in params.items():
            if isinstance(p, torch.Tensor):
                out[pre + name] = p
        for name, b in buffers.items():
            if isinstance(b, torch.Tensor) and name not in non_persistent:
                out[pre + name] = b
        for name, child in reversed(list(children.items())):
            if child is not None:
                stack.append((child, f"{pre}{name}.", depth + 1))
    return out
