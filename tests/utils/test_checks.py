"""Argument checks shared by the typed configs."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from yolov12.utils.checks import check_field_types, check_imgsz, check_int, check_range


@dataclass
class Cfg:
    n: int = 1
    x: float = 0.5
    k: int | None = None
    flag: bool = False
    name: str = "exp"


def test_field_types_reject_wrong_types_naming_the_field():
    for kwargs, match in [({"n": "abc"}, "n must be an integer, got 'abc'"), ({"n": 1.5}, "n must be an integer"),
                          ({"n": True}, "n must be an integer"), ({"x": "abc"}, "x must be a number"),
                          ({"x": float("nan")}, "x must be a number"), ({"k": "a"}, "k must be an integer or None"),
                          ({"flag": "maybe"}, "flag must be True or False"), ({"name": [1]}, "name must be a string")]:
        with pytest.raises(ValueError, match=match):
            check_field_types(Cfg(**kwargs))


def test_field_types_accept_and_normalise():
    c = Cfg(n=np.int64(3), x=2, k=None, flag=1, name=2024)
    check_field_types(c)
    assert c.flag is True and c.name == "2024"  # the command line reads name=2024 as an int
    c = Cfg(name=Path("runs") / "x")
    check_field_types(c)
    assert c.name == str(Path("runs") / "x")


def test_int_range_imgsz():
    assert check_int("batch", 4, 1) == 4
    with pytest.raises(ValueError, match="batch must be an integer >= 1, got 0"):
        check_int("batch", 0, 1)
    assert check_range("conf", 1, 0, 1) == 1.0
    with pytest.raises(ValueError, match="conf must be a number between 0 and 1, got 1.5"):
        check_range("conf", 1.5, 0, 1)
    assert check_imgsz("imgsz", 64, 32) == (64, 64) and check_imgsz("imgsz", [64, 96]) == (64, 96)
    for bad in (0, -64, 65, 1.5, "64", [64], [64, 64, 64], None):
        with pytest.raises(ValueError, match="imgsz must be a positive multiple of 32"):
            check_imgsz("imgsz", bad, 32)


def test_one_image_size_rule_for_every_mode(caplog):
    """Every mode takes a positive size and rounds each side up to the stride (32) with one warning."""
    import logging

    from yolov12.export import ExportConfig
    from yolov12.inference.predictor import PredictConfig, Predictor
    from yolov12.models import build_model
    from yolov12.tasks import get_task
    from yolov12.training import TrainConfig
    from yolov12.utils.checks import image_size

    assert image_size("imgsz", 640) == (640, 640)
    with caplog.at_level(logging.WARNING, logger="yolov12"):
        assert image_size("imgsz", [100, 33]) == (128, 64)
    assert "imgsz=[100, 33] is not a multiple of the stride 32; using [128, 64]" in caplog.text
    assert TrainConfig(imgsz=100).imgsz == 128
    assert ExportConfig(imgsz=100).hw == (128, 128) and ExportConfig(imgsz=[96, 100]).hw == (96, 128)
    predictor = Predictor(build_model("n", nc=2), ["a", "b"], PredictConfig(imgsz=100), get_task("detect"))
    assert predictor.imgsz == (128, 128)
    for bad in (0, -32, "64", [64], 1.5):
        with pytest.raises(ValueError, match="imgsz must be a positive integer"):
            image_size("imgsz", bad)
    with pytest.raises(ValueError, match="imgsz must be a positive integer, got \\[64, 64\\]"):
        image_size("imgsz", [64, 64], square=True)
