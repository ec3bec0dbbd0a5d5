"""SegmentationModel: parameter counts at every scale, output shapes, parity with the YOLO12n-seg reference."""

import pytest
import torch
from safetensors.torch import load_file

from yolov12.config import ModelConfig
from yolov12.models.info import count_parameters
from yolov12.models.segmentation import SegmentationModel
from yolov12.tasks import load_model, parse_model_name
from yolov12.weights.foreign import infer_config, remap_keys
from yolov12.weights.loading import load_state_strict

SEG_PARAMS = {"n": 2_855_056, "s": 9_938_592, "m": 22_505_376, "l": 28_756_992, "x": 64_387_264}  # nc=80


@pytest.mark.parametrize("scale", list(SEG_PARAMS))
def test_parameter_counts(scale):
    cfg = parse_model_name(f"yolov12{scale}-seg.yaml")
    assert cfg.task == "segment" and cfg.nc == 80
    model = SegmentationModel(cfg)
    assert count_parameters(model) == SEG_PARAMS[scale]


def test_output_shapes():
    m = SegmentationModel(ModelConfig(scale="n", nc=3, task="segment"))
    x = torch.rand(2, 3, 64, 96)
    maps, protos = m.train()(x)
    assert [t.shape for t in maps] == [(2, 64 + 3 + 32, 8, 12), (2, 99, 4, 6), (2, 99, 2, 3)]
    assert protos.shape == (2, 32, 16, 24)
    (sum(t.sum() for t in maps) + protos.sum()).backward()
    pred, p = m.eval()(x)
    assert pred.shape == (2, 4 + 3 + 32, 96 + 24 + 6) and p.shape == (2, 32, 16, 24)


@pytest.fixture(scope="module")
def ref(reference_dir):
    d = {}
    for f in ("", "-rect", "-f64", "-rect-f64"):
        for k, v in load_file(reference_dir / f"yolo12n-seg-reference{f}.safetensors").items():
            d[k + (".f64" if "f64" in f else "")] = v
    return d


def _model_from_state(ref, dtype):
    state = remap_keys({k: v for k, v in ref.items() if k.startswith("state.")})
    cfg = infer_config(state)
    assert cfg.task == "segment" and cfg.nc == 80 and cfg.scale == "n"
    model = SegmentationModel(cfg)
    load_state_strict(model, state, "reference")
    return model.to(dtype).eval()


def _errors(pred, proto, ref_pred, ref_proto):
    """Per part: boxes and mask coefficients relative to their largest value, scores absolute, protos relative."""
    pred, proto, ref_pred, ref_proto = (t.double() for t in (pred, proto, ref_pred, ref_proto))
    rel = lambda a, b: ((a - b).abs().max() / b.abs().max()).item()  # noqa: E731
    return {
        "boxes": rel(pred[:, :4], ref_pred[:, :4]),
        "scores": (pred[:, 4:84] - ref_pred[:, 4:84]).abs().max().item(),
        "coefficients": rel(pred[:, 84:], ref_pred[:, 84:]),
        "protos": rel(proto, ref_proto),
    }


@pytest.mark.parametrize("fuse, inputs", [(False, ("square", "rect")), (True, ("rect",))], ids=["unfused", "fused"])
def test_float64_parity(ref, fuse, inputs):
    model = _model_from_state(ref, torch.float64)
    if fuse:
        model.fuse()
    with torch.no_grad():
        for k in inputs:
            pred, proto = model(ref[f"input.{k}"].double() / 255)
            assert pred.shape == ref[f"output.{k}.f64"].shape and proto.shape == ref[f"proto.{k}.f64"].shape
            err = _errors(pred, proto, ref[f"output.{k}.f64"], ref[f"proto.{k}.f64"])
            assert max(err.values()) <= 1e-6, (k, err)


@pytest.mark.parametrize("file, inputs", [("yolo12n-seg-reference.safetensors", ("square", "rect")),
                                          ("yolo12n-seg-reference-checkpoint.pt", ("rect",))])
def test_float32_parity(reference_dir, ref, file, inputs):
    """The safetensors state and the pickled published checkpoint (through the safe loader) in float32."""
    model, loaded = load_model(reference_dir / file)
    assert isinstance(model, SegmentationModel) and loaded.cfg.task == "segment" and loaded.cfg.nc == 80
    model.eval()
    bounds = {"boxes": 5e-4, "scores": 2e-3, "coefficients": 1e-3, "protos": 1e-3}
    with torch.no_grad():
        for k in inputs:
            pred, proto = model(ref[f"input.{k}"].float() / 255)
            for suffix in ("", ".f64"):
                err = _errors(pred, proto, ref[f"output.{k}{suffix}"], ref[f"proto.{k}{suffix}"])
                assert all(err[p] <= bounds[p] for p in bounds), (k, suffix, err)
        maps, protos = model.forward_raw(ref["input.rect"].float() / 255)
    for i in range(3):
        r = ref[f"raw.rect.{i}"]
        assert (maps[i] - r).abs().max() <= 1e-3 * r.abs().max()
    assert (protos - ref["proto.rect"]).abs().max() <= 1e-3 * ref["proto.rect"].abs().max()


def test_parity_check_can_fail(ref):
    """One perturbed prototype weight breaks the float64 bound (the check is not vacuous)."""
    model = _model_from_state(ref, torch.float64)
    with torch.no_grad():
        model.head.proto.cv2.conv.weight.mul_(1.01)
        pred, proto = model(ref["input.rect"][:1].double() / 255)
    assert _errors(pred, proto, ref["output.rect.f64"][:1], ref["proto.rect.f64"][:1])["protos"] > 1e-6
