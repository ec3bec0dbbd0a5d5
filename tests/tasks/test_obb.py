"""The OBB task through the public API: build by name, train, val, predict, export on a tiny real dataset."""

import numpy as np
import pytest

from yolov12 import YOLO
from yolov12.data.embedded import embedded_dataset


@pytest.fixture(scope="module")
def digits_obb(tmp_path_factory):
    return embedded_dataset("digits-obb", root=tmp_path_factory.mktemp("dobb"), n_train=4, n_val=2, seed=1)


def test_obb_train_val_predict(digits_obb, tmp_path):
    m = YOLO("yolov12n-obb.yaml")
    assert m.cfg.task == "obb"
    r = m.train(data=str(digits_obb), epochs=1, imgsz=96, batch=2, workers=0, project=str(tmp_path), name="t",
                verbose=False, plots=False)
    assert r.last.exists()
    header = (r.save_dir / "results.csv").read_text().splitlines()[0]
    assert "train/angle" in header and "mAP50-95" in header
    v = m.val(data=str(digits_obb), imgsz=96, batch=2, workers=0, verbose=False, project=str(tmp_path), name="v")
    assert set(v.metrics.to_dict()) >= {"map50", "map50_95"}
    loaded = YOLO(r.last)
    assert loaded.cfg.task == "obb"
    img = np.full((120, 90, 3), 114, np.uint8)
    res = loaded.predict(img, imgsz=96, conf=0.0, max_det=7)[0]
    assert res.obb is not None and len(res.obb) == len(res.boxes) <= 7
    assert res.obb.xywhr.shape[1] == 5



def test_build_loss_honours_recipe_expand_tiny_boxes():
    """The recipe decides whether a tiny box's sides are widened to 16 px for the candidate test: a 2.5 x 2.5 px box
    between anchor centres has no candidate anchor unless widened."""
    import torch

    from yolov12.ops.anchors import make_anchors
    from yolov12.tasks import get_task
    from yolov12.training import TrainConfig

    task = get_task("obb")
    model = YOLO("yolov12n-obb.yaml", nc=2).model
    anchors, strides = make_anchors([(8, 8), (4, 4), (2, 2)], (8, 16, 32), 0.5)
    gt = torch.tensor([[[17.5, 17.5, 2.5, 2.5, 0.3]]])  # no anchor centre (4 + 8k, 8 + 16k, 16 + 32k) inside
    found = {}
    for recipe, expected in (("default", True), ("paper", False)):
        hyp = TrainConfig(recipe=recipe).to_dict()
        assert hyp["expand_tiny_boxes"] is expected
        loss = task.build_loss(model, hyp)
        assert loss.cfg.expand_tiny_boxes is expected
        found[recipe] = int(loss.assigner._candidates(anchors * strides, gt, torch.ones(1, 1, 1)).sum())
    assert found["paper"] == 0 and found["default"] > 0
    assert task.build_loss(model, {"expand_tiny_boxes": None}).cfg.expand_tiny_boxes is True  # unresolved: 8.4


def test_angle_gain_from_train_config():
    """TrainConfig.angle (default 1.0, tasks.md) reaches the OBB loss: the angle item scales with it, the others
    do not; a negative gain is a one-line error."""
    import torch

    from yolov12.tasks import get_task
    from yolov12.training import TrainConfig
    from yolov12.utils.errors import ConfigError

    assert TrainConfig().angle == 1.0
    with pytest.raises(ConfigError, match="angle must be >= 0"):
        TrainConfig(angle=-1)
    model = YOLO("yolov12n-obb.yaml", nc=2).model
    g = torch.Generator().manual_seed(0)
    raw = [torch.randn(2, 4 * 16 + 2 + 1, s, s, generator=g) for s in (8, 4, 2)]  # a 64 x 64 input
    targets = {"batch_idx": torch.tensor([0.0, 1.0]), "cls": torch.tensor([0.0, 1.0]),
               "rboxes": torch.tensor([[0.5, 0.5, 0.5, 0.25, 0.4], [0.4, 0.6, 0.3, 0.45, 1.1]])}
    items = {a: get_task("obb").build_loss(model, TrainConfig(angle=a).to_dict())(raw, targets).items
             for a in (1.0, 3.0, 0.0)}
    assert float(items[1.0]["angle"]) > 0
    torch.testing.assert_close(items[3.0]["angle"], 3 * items[1.0]["angle"])
    assert float(items[0.0]["angle"]) == 0
    for k in ("box", "cls", "dfl"):
        torch.testing.assert_close(items[3.0][k], items[1.0][k])
