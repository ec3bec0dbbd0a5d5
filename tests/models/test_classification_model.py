"""The classifier: parameter counts at every scale, and outputs equal to the reference (``yolo12n-cls-reference*``):
float64 against the -f64 file (1e-6 of each part's largest value; probabilities 1e-6 absolute), float32 within the
float32 bounds of tasks.md, from the safetensors state and from the pickled published checkpoint (safe loader)."""

import pytest
import torch
from safetensors.torch import load_file

from yolov12.config import ModelConfig
from yolov12.models import ClassificationModel
from yolov12.models.info import count_parameters
from yolov12.tasks import load_model
from yolov12.weights.foreign import remap_keys

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
    p, lg = m.eval()(x)
    assert torch.allclose(p.sum(1), torch.ones(2), atol=1e-5)
    assert torch.allclose(p, lg.softmax(1))


@pytest.fixture(scope="module")
def ref(reference_dir):
    return {**load_file(reference_dir / "yolo12n-cls-reference.safetensors")}


@pytest.fixture(scope="module")
def ref64(reference_dir):
    return load_file(reference_dir / "yolo12n-cls-reference-f64.safetensors")


def _reference_model(ref, dtype=torch.float32):
    m = ClassificationModel(ModelConfig(scale="n", nc=1000))
    m.load_state_dict({k: v for k, v in remap_keys(ref).items()}, strict=True)
    return m.to(dtype)


def _check(out, expect, rel, prob_abs):
    probs, logits = out
    assert probs.shape == expect[0].shape and logits.shape == expect[1].shape
    assert (logits - expect[1]).abs().max() <= rel * expect[1].abs().max()
    assert (probs - expect[0]).abs().max() <= prob_abs


def test_reference_parity_float64(ref, ref64):
    m = _reference_model(ref, torch.float64).eval()
    with torch.no_grad():
        for k in ("square", "rect"):
            _check(m(ref[f"input.{k}"].double() / 255), (ref64[f"output.{k}"], ref64[f"logits.{k}"]), 1e-6, 1e-6)


@pytest.mark.parametrize("source", ["safetensors", "checkpoint"])
def test_reference_parity_float32(reference_dir, ref, ref64, source):
    if source == "checkpoint":  # the pickled Ultralytics checkpoint, read by the safe loader
        m, w = load_model(reference_dir / "yolo12n-cls-reference-checkpoint.pt")
        assert w.cfg.task == "classify" and w.cfg.nc == 1000 and w.cfg.scale == "n"
    else:
        m = _reference_model(ref)
    m.eval()
    with torch.no_grad():
        for k in ("square", "rect"):
            x = ref[f"input.{k}"].float() / 255
            for expect in ((ref[f"output.{k}"], ref[f"logits.{k}"]), (ref64[f"output.{k}"], ref64[f"logits.{k}"])):
                _check(m(x), expect, 1e-3, 2e-3)
        m.fuse()
        _check(m(ref["input.rect"].float() / 255), (ref["output.rect"], ref["logits.rect"]), 1e-3, 2e-3)


def test_training_mode_output_is_the_logits(ref):
    """``raw.rect``: the training-mode output (BN frozen) is the logits, not probabilities."""
    m = _reference_model(ref).train()
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.eval()
    with torch.no_grad():
        raw = m(ref["input.rect"].float() / 255)
    r = ref["raw.rect"]
    assert raw.shape == r.shape
    assert (raw - r).abs().max() <= 1e-3 * r.abs().max()


def test_batchnorm_is_pytorch_default():
    model = ClassificationModel(ModelConfig(scale="n", nc=3))
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(b.eps == 1e-5 and b.momentum == 0.1 for b in bns)


def test_parity_check_can_fail(ref, ref64):
    m = _reference_model(ref, torch.float64).eval()
    with torch.no_grad():
        m.layers[9].linear.weight[3].mul_(1.01)
        out = m(ref["input.rect"].double() / 255)
    with pytest.raises(AssertionError):
        _check(out, (ref64["output.rect"], ref64["logits.rect"]), 1e-6, 1e-6)
