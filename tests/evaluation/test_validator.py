"""ValConfig: bad thresholds are errors naming the argument."""

import pytest

from yolov12.evaluation.validator import ValConfig


@pytest.mark.parametrize("kwargs, match", [
    ({"conf": 1.5}, "conf must be a number between 0 and 1"),
    ({"conf": "abc"}, "conf must be a number"),
    ({"iou": -1}, "iou must be a number between 0 and 1"),
    ({"max_det": 0}, "max_det must be an integer >= 1"),
    ({"max_det": "abc"}, "max_det must be an integer"),
])
def test_bad_thresholds(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ValConfig(**kwargs)
