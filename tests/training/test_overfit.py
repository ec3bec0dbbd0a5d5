"""Acceptance: yolov12n trained from scratch on a handful of real images reaches mAP50 > 0.9 on them (CPU).

4 composed handwritten-digit images (real MNIST digits), no augmentation, SGD lr0 0.02, 200 single-batch epochs
at 224 px. Measured single-threaded: mAP50 above 0.9 from epoch 120 on, 0.94 at the end. At 160 and 192 px the
smallest digit of these images stays undetected (mAP50 plateaus at 0.54 and 0.85). The BN running
statistics (momentum 0.03) lag the fast-moving weights early on, so eval-mode mAP only rises once the linear
decay has slowed training down; that is the recipe's behaviour, not a test artefact.
"""

import shutil

import pytest
import yaml

from yolov12.training import TrainConfig, train


@pytest.mark.slow
def test_overfit_four_images(tiny_digits, tmp_path):
    src = tiny_digits.parent
    root = tmp_path / "four"
    for sub in ("images", "labels"):
        (root / sub).mkdir(parents=True)
    for im in sorted((src / "images" / "train").iterdir())[:4]:
        shutil.copy(im, root / "images" / im.name)
        shutil.copy(src / "labels" / "train" / f"{im.stem}.txt", root / "labels" / f"{im.stem}.txt")
    names = yaml.safe_load((src / "data.yaml").read_text())["names"]
    (root / "data.yaml").write_text(yaml.safe_dump({"path": str(root), "train": "images", "val": "images",
                                                    "names": names}))
    r = train(TrainConfig(
        model="yolov12n.yaml", data=str(root / "data.yaml"), epochs=200, batch=4, imgsz=224, workers=0, nbs=4,
        optimizer="SGD", lr0=0.02, warmup_epochs=0.0, patience=0, mosaic=0.0, mixup=0.0, copy_paste=0.0,
        scale=0.0, translate=0.0, fliplr=0.0, hsv_h=0.0, hsv_s=0.0, hsv_v=0.0, close_mosaic=0,
        project=str(tmp_path / "runs"), plots=False, verbose=False,
    ))
    assert r.metrics["map50"] > 0.9, r.metrics
