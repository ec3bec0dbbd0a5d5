"""Property-based fuzzing of the parsers that read user files and arguments (Hypothesis).

For any input, the only outcomes are a result or one of our own error types (:class:`YoloError`): never a
crash from inside yaml, json, numpy, pathlib or a dataclass. Examples are capped so the module runs in seconds.
"""

import json
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from yolov12.cli import parse_args  # noqa: E402
from yolov12.config import ModelConfig  # noqa: E402
from yolov12.data.config import load_data_config  # noqa: E402
from yolov12.data.labels import parse_label_text  # noqa: E402
from yolov12.training import TrainConfig  # noqa: E402
from yolov12.utils import YoloError  # noqa: E402
from yolov12.weights.checkpoint import parse_header  # noqa: E402

# no example database: nothing written into the checkout, every run draws afresh. Floats are drawn without
# subnormals: training and predicting switch on flush-to-zero for the whole process (set_flush_denormal)
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))

numbers = st.one_of(st.integers(-5, 10**40), st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False),
                    st.sampled_from(["nan", "inf", "-0", "1e400", "0x10", "1_0", "", "\ufeff0", "٣"]))
label_line = st.lists(numbers, min_size=0, max_size=12).map(lambda v: " ".join(map(str, v)))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**40, 10**40),
                        st.floats(allow_subnormal=False), st.text(max_size=8))
json_value = st.recursive(json_scalar, lambda c: st.one_of(st.lists(c, max_size=4),
                                                            st.dictionaries(st.text(max_size=6), c, max_size=4)),
                          max_leaves=12)


@FUZZ
@given(st.one_of(st.text(max_size=200), st.lists(label_line, max_size=8).map("\n".join)),
       st.integers(1, 100))
def test_label_parser(text, nc):
    res = parse_label_text(text, nc, name="f.txt")  # never raises: every bad line is a counted problem
    assert len(res.cls) == len(res.boxes) and ((res.boxes >= 0) & (res.boxes <= 1)).all()
    assert (res.cls < nc).all() and (res.cls >= 0).all()


MODEL_KEYS = ["scale", "nc", "variant", "names", "areas", "attention", "mlp_ratio", "pe_kernel", "residual",
              "residual_init", "reg_max", "bogus"]


@FUZZ
@given(st.one_of(st.dictionaries(st.sampled_from(MODEL_KEYS), json_value, max_size=6), json_value),
       st.one_of(st.just("{}"), st.text(max_size=30), json_value.map(json.dumps)), st.booleans())
def test_checkpoint_header(config, meta, raw_config):
    header = {"format": "yolov12", "config": config if raw_config else json.dumps(config), "meta": meta}
    try:
        cfg, m = parse_header(header, "fuzz.safetensors")
    except YoloError:
        return
    assert isinstance(cfg, ModelConfig) and 1 <= cfg.nc <= 25_000


DATA_KEYS = ["path", "train", "val", "test", "names", "nc", "download"]


@FUZZ
@given(st.one_of(st.dictionaries(st.sampled_from(DATA_KEYS), json_value, max_size=5), json_value,
                 st.text(max_size=80)))
def test_data_yaml(content):
    import yaml

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "images").mkdir()
        path = root / "data.yaml"
        text = content if isinstance(content, str) else yaml.safe_dump(content)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            cfg = load_data_config(path)
        except YoloError:
            return
        assert cfg.names and all(isinstance(n, str) for n in cfg.names)


TRAIN_KEYS = ["epochs", "batch", "imgsz", "lr0", "workers", "name", "project", "device", "amp", "freeze", "cache",
              "optimizer", "conf", "resume", "data"]


@FUZZ
@given(st.lists(st.one_of(
    st.tuples(st.sampled_from(TRAIN_KEYS), st.text(max_size=12)).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.text(max_size=20)), max_size=5))
def test_cli_key_values(argv):
    try:
        args = parse_args(argv, flags=("resume",))
        cfg = TrainConfig(**{k: v for k, v in args.items() if k in TRAIN_KEYS})
    except YoloError:
        return
    assert cfg.epochs >= 1 and cfg.imgsz % 32 == 0
