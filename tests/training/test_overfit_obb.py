"""Acceptance: the OBB task overfits a few real rotated-digit images."""

import pytest

from yolov12 import YOLO
from yolov12.data.embedded import embedded_dataset


@pytest.mark.slow
def test_obb_overfits_real_rotated_digits(tmp_path):
    """Acceptance: on 4 real rotated-digit images, trained and validated on the same images, the oriented boxes
    are learnt (starting from the shipped digits detector: backbone, neck, box and class branches transfer; the
    angle branch starts from scratch)."""
    from yolov12.demo import SHIPPED

    if not SHIPPED.exists():
        pytest.skip("the shipped digits weights are not in this checkout")
    root = tmp_path / "d"
    embedded_dataset("digits-obb", root=root, n_train=4, n_val=1, seed=3)
    (root / "same.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/train\n"
                                    f"names: {[str(i) for i in range(10)]}\n")
    m = YOLO("yolov12n-obb.yaml", nc=10)
    m.train(data=str(root / "same.yaml"), epochs=25, imgsz=128, batch=4, workers=0, project=str(tmp_path), name="o",
            verbose=False, plots=False, val=False, mosaic=0.0, fliplr=0.0, scale=0.0, translate=0.0, hsv_h=0.0,
            hsv_s=0.0, hsv_v=0.0, copy_paste=0.0, optimizer="AdamW", lr0=0.003, warmup_epochs=0.0, close_mosaic=0,
            pretrained=str(SHIPPED))
    v = m.val(data=str(root / "same.yaml"), imgsz=128, batch=4, workers=0, verbose=False)
    assert v.metrics.map50 > 0.6 and v.metrics.map50_95 > 0.35, v.metrics.to_dict()
