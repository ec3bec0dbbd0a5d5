"""OBB network: parameter counts at every scale, outputs against the reference tensors (float64 and float32),
the published checkpoint through the safe loader."""

import pytest
import torch
from safetensors.torch import load_file

from yolov12.config import ModelConfig
from yolov12.models.info import count_parameters
from yolov12.models.obb import OBBModel
from yolov12.tasks import get_task, load_model, parse_model_name
from yolov12.weights.foreign import remap_keys

OBB_PARAMS = {"n": 2_673_955, "s": 9_570_275, "m": 21_048_003, "l": 27_299_619, "x": 61_119_939}  # tasks.md, nc=80


@pytest.mark.parametrize("scale", list(OBB_PARAMS))
def test_obb_parameter_counts(scale):
    cfg = parse_model_name(f"yolov12{scale}-obb.yaml")
    assert cfg.task == "obb" and cfg.nc == 80
    assert count_parameters(get_task("obb").build_model(cfg)) == OBB_PARAMS[scale]


@pytest.fixture(scope="module")
def ref(reference_dir):
    t = {**load_file(reference_dir / "yolo12n-obb-reference.safetensors"),
         **load_file(reference_dir / "yolo12n-obb-reference-rect.safetensors")}
    f64 = {**load_file(reference_dir / "yolo12n-obb-reference-f64.safetensors"),
           **load_file(reference_dir / "yolo12n-obb-reference-rect-f64.safetensors")}
    return t, f64


def _model(t, dtype):
    m = OBBModel(ModelConfig(scale="n", nc=80, task="obb"))
    state = remap_keys({k: v for k, v in t.items() if k.startswith("state.")})
    own = m.state_dict()
    assert set(own) == set(state)
    m.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})
    return m.to(dtype).eval()


def _parts(out):
    return {"boxes": out[:, :4], "scores": out[:, 4:84], "angle": out[:, 84:]}


def _errors(out, ref):
    e = {}
    for k, (a, b) in ((k, (v, _parts(ref)[k])) for k, v in _parts(out).items()):
        d = (a.double() - b.double()).abs().max()
        e[k] = float(d) if k == "scores" else float(d / b.abs().max())
    return e


def test_obb_float64_parity(ref):
    t, f64 = ref
    m = _model(t, torch.float64)
    with torch.no_grad():
        for k in ("square", "rect"):
            out = m(t[f"input.{k}"].double() / 255)
            assert out.shape == f64[f"output.{k}"].shape
            e = _errors(out, f64[f"output.{k}"])
            assert max(e.values()) <= 1e-6, (k, e)


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
def test_obb_float32_parity(ref, fuse):
    t, f64 = ref
    m = _model(t, torch.float32)
    if fuse:
        m.fuse()
    with torch.no_grad():
        for k in ("rect",) if fuse else ("square", "rect"):
            out = m(t[f"input.{k}"].float() / 255)
            for target in (t[f"output.{k}"], f64[f"output.{k}"]):
                e = _errors(out, target)
                assert e["boxes"] <= 5e-4 and e["angle"] <= 1e-3 and e["scores"] <= 2e-3, (k, e)
        raw = m.forward_raw(t["input.rect"].float() / 255)
    for i in range(3):
        r = t[f"raw.rect.{i}"]
        assert raw[i].shape == r.shape and (raw[i] - r).abs().max() <= 1e-3 * r.abs().max()


def test_obb_parity_check_can_fail(ref):
    t, f64 = ref
    m = _model(t, torch.float64)
    with torch.no_grad():
        m.head.cv4[1][2].weight.mul_(1.01)  # only the angle branch of P4
        e = _errors(m(t["input.rect"].double() / 255), f64["output.rect"])
    assert e["angle"] > 1e-6


@pytest.mark.parametrize("file", ["yolo12n-obb-reference-checkpoint.pt", "yolo12n-obb-reference.safetensors"])
def test_obb_published_weights_load(reference_dir, ref, file):
    t, f64 = ref
    model, loaded = load_model(reference_dir / file)
    assert loaded.cfg.task == "obb" and loaded.cfg.nc == 80 and loaded.cfg.scale == "n"
    assert isinstance(model, OBBModel)
    with torch.no_grad():
        e = _errors(model.double().eval()(t["input.rect"].double() / 255), f64["output.rect"])
    assert max(e.values()) <= 1e-6, e
