"""ExportConfig: bad arguments are errors naming the argument and the accepted values."""

import pytest

from yolov12.export import ExportConfig


@pytest.mark.parametrize("kwargs, match", [
    ({"imgsz": "abc"}, "imgsz must be a positive integer or a \\[height, width\\] pair"),
    ({"imgsz": 1.5}, "imgsz must be a positive integer or a"),
    ({"imgsz": [64]}, "imgsz must be a positive integer or a"),
    ({"imgsz": [64, 64, 64]}, "imgsz must be a positive integer or a"),
    ({"batch": "abc"}, "batch must be an integer"),
    ({"max_det": "abc"}, "max_det must be an integer"),
    ({"opset": "17"}, "opset must be an integer or None"),
    ({"opset": 3}, "opset must be >= 9 \\(None: 17\\), got 3"),
    ({"opset": 11, "nms": True}, "opset must be >= 12 with nms=True"),
    ({"conf": 1.5, "nms": True}, "conf must be a number between 0 and 1"),
    ({"iou": -1}, "iou must be a number between 0 and 1"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExportConfig(**kwargs)


def test_good_arguments():
    assert ExportConfig(imgsz=[64, 96], opset=12, nms=True).hw == (64, 96) and ExportConfig(opset=9).opset == 9


@pytest.mark.parametrize("kwargs", [{"imgsz": 32 * 10**5}, {"batch": 10**6}, {"batch": 64, "imgsz": 1024},
                                    {"imgsz": [32, 32 * 4000]}, {"max_det": 10**9}])
def test_absurd_sizes_are_bounded_before_any_allocation(kwargs):
    from yolov12.utils import ConfigError

    with pytest.raises(ConfigError, match="too large to trace|max_det must be <="):
        ExportConfig(**kwargs)
