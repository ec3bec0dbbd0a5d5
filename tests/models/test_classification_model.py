import pytest
import torch

from yolov12.config import ModelConfig
from yolov12.models import ClassificationModel
from yolov12.models.info import count_parameters

CLS_PARAMS = {"n": 2_999_496, "s": 7_385_512, "m": 13_261_608, "l": 16_737_160, "x": 35_351_112}  # nc=1000


@pytest.mark.parametrize("scale", list(CLS_PARAMS))
def test_classifier_parameter_counts(scale):
    assert count_parameters(ClassificationModel(ModelConfig(scale=scale, nc=1000))) == CLS_PARAMS[scale]


def test_classifier_outputs():
    m = ClassificationModel(ModelConfig(scale="n", nc=5))
    x = torch.rand(2, 3, 64, 64)
    logits = m.train()(x)
    assert logits.shape == (2, 5)
    logits.sum().backward()
    p = m.eval()(x)
    assert torch.allclose(p.sum(1), torch.ones(2), atol=1e-5)
