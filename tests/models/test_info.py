"""model_info: the input size is checked before any FLOPs are counted."""

import pytest

from yolov12.models import build_model, model_info


@pytest.mark.parametrize("imgsz", [-5, 0, 65, 1.5, "64"])
def test_bad_imgsz_is_named(imgsz):
    with pytest.raises(ValueError, match="imgsz must be a positive multiple of 32"):
        model_info(build_model("n", nc=2), imgsz)
