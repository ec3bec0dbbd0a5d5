"""ModelConfig: every field a checkpoint header may set is bounded before anything is built."""

import pytest

from yolov12.config import MAX_NC, ModelConfig
from yolov12.utils import ConfigError


@pytest.mark.parametrize("kwargs, message", [
    ({"nc": 10**9}, f"nc must be an integer in 1..{MAX_NC}"),
    ({"nc": True}, "nc must be an integer"),
    ({"nc": 2.5}, "nc must be an integer"),
    ({"reg_max": -1}, "reg_max must be an integer in 1..64"),
    ({"reg_max": 10**6}, "reg_max"),
    ({"mlp_ratio": -2.0}, "mlp_ratio must be a number in"),
    ({"mlp_ratio": "2"}, "mlp_ratio"),
    ({"mlp_ratio": float("inf")}, "mlp_ratio"),
    ({"pe_kernel": 10**6 + 1}, "pe_kernel must be an odd integer in 1..31"),
    ({"pe_kernel": 4}, "pe_kernel"),
    ({"areas": (4, 10**6)}, "areas must be two integers in 1..64"),
    ({"areas": 4}, "areas"),
    ({"attention": ("yes", True)}, "attention must be two booleans"),
    ({"names": "abc", "nc": 3}, "names must be a list of strings"),
    ({"names": [1, 2], "nc": 2}, "names must be a list of strings"),
    ({"scale": ["n"]}, "unknown scale"),
    ({"residual": "no"}, "residual must be"),
    ({"residual_init": float("nan")}, "residual_init"),
])
def test_absurd_values_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**kwargs)


def test_from_dict_rejects_non_mappings_and_unknown_keys():
    with pytest.raises(ConfigError, match="must be a mapping"):
        ModelConfig.from_dict([1, 2])
    with pytest.raises(ConfigError, match="unknown model config keys"):
        ModelConfig.from_dict({"bogus": 1})
    assert ModelConfig.from_dict(ModelConfig(scale="s", nc=3, pe_kernel=5).to_dict()).pe_kernel == 5
