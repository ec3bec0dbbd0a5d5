"""File helpers: atomic writes (temporary file + rename) and run-folder numbering."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a torn one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def increment_path(path: str | Path, exist_ok: bool = False) -> Path:
    """``runs/train/exp`` -> ``runs/train/exp2``, ``exp3``... unless ``exist_ok`` or it does not exist yet."""
    path = Path(path)
    if exist_ok or not path.exists():
        return path
    n = 2
    while Path(f"{path}{n}").exists():
        n += 1
    return Path(f"{path}{n}")
