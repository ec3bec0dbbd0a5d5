"""File helpers: atomic writes (temporary file + rename), run folders that stay inside their project, and the
one check every writing mode makes that its output is none of its inputs."""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterable
from pathlib import Path

from yolov12.utils.errors import OverwriteError, RunFolderError


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a torn one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _test_kill_hook(path, f, data)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_writes: dict[str, int] = {}


def _test_kill_hook(path: Path, f, data: bytes) -> None:
    """Test hook: ``YOLOV12_TEST_KILL_DURING_WRITE=NAME:N`` SIGKILLs this process halfway through its N-th atomic
    write of a file called NAME (the kill tests interrupt every checkpoint write this way)."""
    spec = os.environ.get("YOLOV12_TEST_KILL_DURING_WRITE")
    if not spec:
        return
    name, n = spec.rsplit(":", 1)
    if path.name == name:
        _writes[name] = _writes.get(name, 0) + 1
        if _writes[name] == int(n):
            f.write(data[: len(data) // 2])
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)


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


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _within(child: Path, parent: Path) -> bool:
    c, p = os.path.realpath(child), os.path.realpath(parent)
    return c != p and os.path.commonpath([c, p]) == p


def check_output(out: str | Path, inputs: Iterable[str | Path | None]) -> Path:
    """``out`` if writing it cannot destroy an input: raises :class:`OverwriteError` when ``out`` is (through
    symlinks or hard links too) one of ``inputs``, or is an existing folder holding one of them. Every mode that
    writes (export, convert, predict saves) calls this with the files it reads."""
    out = Path(out)
    for inp in inputs:
        if inp is None or not str(inp):
            continue
        inp = Path(inp)
        if _same(out, inp):
            raise OverwriteError(f"refusing to write {out}: it is the input {inp}; choose another output path")
        if out.is_dir() and _within(inp, out):
            raise OverwriteError(f"refusing to write into {out}: it holds the input {inp}; choose another folder")
    return out


def check_run_name(project: str | Path, name: str | Path) -> None:
    """A run folder ``project/name`` stays inside ``project``: ``name`` is one plain folder name and ``project``
    has no ``..`` component. Raises :class:`RunFolderError`."""
    n = str(name)
    if not n or n in (".", "..") or "/" in n or "\\" in n or os.path.isabs(n):
        raise RunFolderError(f"name must be a single folder name (no '/', '..' or absolute path), got {n!r}")
    if ".." in Path(str(project)).parts:
        raise RunFolderError(f"project must not contain '..' (runs stay under the folder you name), got {project!r}")


def run_folder(project: str | Path, name: str | Path, exist_ok: bool = False) -> Path:
    """The run folder ``project/name`` (``name2``, ``name3``... when taken, unless ``exist_ok``), checked with
    :func:`check_run_name`."""
    check_run_name(project, name)
    return increment_path(Path(str(project)) / str(name), exist_ok)


def remove_stale_tmp(folder: str | Path) -> list[Path]:
    """Delete the temporary files :func:`atomic_write_bytes` leaves in ``folder`` when killed mid-write
    (``.NAME.XXXX.tmp``). Returns the removed paths. Call only where no other writer is active."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for p in folder.glob(".*.tmp"):
        if p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
