"""The shipped classification dataset: the real MNIST digits of ``yolov12/assets/digits`` as a folder dataset.

``digits-cls`` (``data=digits-cls``): ``train/<0..9>/*.png`` and ``val/<0..9>/*.png``, 64x64 grey PNGs (the 28x28
digits, white ink on black as in MNIST, resized bilinearly). The split is the detection set's (``digits``): the
same seeded 20 % of the 2,500 digits are validation (about 50 per class), the rest training (about 200 per class),
so no digit of either validation set is trained on by the other task's demo.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from yolov12.data.compose import DIGIT_NAMES
from yolov12.data.embedded import EMBEDDED, load_digit_crops
from yolov12.data.fetch import CACHE_ROOT
from yolov12.utils import LOGGER

EMBEDDED_CLASSIFY = ("digits-cls",)
DIGIT_SIZE = 64


def build_digits_cls_dataset(out_dir: str | Path, per_class_train: int | None = None,
                             per_class_val: int | None = None, seed: int = 0, size: int = DIGIT_SIZE,
                             val_fraction: float = 0.2) -> Path:
    """Write the digits as ``out_dir/{train,val}/<digit>/<index>.png`` -> ``out_dir``. ``per_class_*`` keep the
    first N of each class (a small set for tests); None keeps all."""
    out_dir = Path(out_dir)
    digits, labels = load_digit_crops()
    order = np.random.default_rng(seed).permutation(len(digits))  # the detection set's split (compose.py)
    n_val = int(len(digits) * val_fraction)
    pools = {"val": np.sort(order[:n_val]), "train": np.sort(order[n_val:])}
    for split, limit in (("train", per_class_train), ("val", per_class_val)):
        for c, name in enumerate(DIGIT_NAMES):
            d = out_dir / split / name
            d.mkdir(parents=True, exist_ok=True)
            idx = [i for i in pools[split] if labels[i] == c][:limit]
            for i in idx:
                img = cv2.resize(digits[i], (size, size), interpolation=cv2.INTER_LINEAR)
                cv2.imwrite(str(d / f"{i:04d}.png"), img)
    (out_dir / ".complete").write_text("ok\n")
    LOGGER.info(f"digits-cls dataset in {out_dir}")
    return out_dir


def resolve_classify_data(data: str | Path) -> Path:
    """``data=`` of a classification run -> a folder root or data.yaml path; ``digits-cls`` is materialised once
    under the cache (``~/.cache/yolov12/embedded``)."""
    if not data:
        raise ValueError("data= is required: a folder with train/<class>/ and val/<class>/, a data.yaml naming one, "
                         "or 'digits-cls' (the shipped digits)")
    if not isinstance(data, str | Path):
        raise ValueError(f"data= must be a folder path or 'digits-cls'; got {data!r}")
    if str(data) in EMBEDDED_CLASSIFY:
        root = CACHE_ROOT / "embedded" / f"{data}-{DIGIT_SIZE}-v1"
        return root if (root / ".complete").is_file() else build_digits_cls_dataset(root)
    if str(data) in EMBEDDED:
        raise ValueError(f"data={data} is a detection dataset; the shipped classification dataset is "
                         f"data=digits-cls")
    return Path(data)
