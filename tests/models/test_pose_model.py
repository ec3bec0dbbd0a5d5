"""Pose network: parameter counts at every scale, parity with the reference tensors (float64 and float32, fused
and in export form), the pickled checkpoint through the safe loader, kpt_shape in the config and [K, 2] models."""

import json

import pytest
import torch
from safetensors.torch import load_file

from yolov12.config import ModelConfig
from yolov12.models.pose import PoseModel
from yolov12.tasks import get_task, load_model, model_name, parse_model_name
from yolov12.utils.errors import ConfigError
from yolov12.weights.checkpoint import parse_header
from yolov12.weights.foreign import infer_config, remap_keys
from yolov12.weights.safe_pickle import CheckpointFormatError

PARAMS = {"n": 2_886_715, "s": 9_774_155, "m": 21_057_753, "l": 27_309_369, "x": 61_134_489}
NC = 84  # channels 0..3 boxes, 4..83 scores, 84.. keypoints


@pytest.mark.parametrize("scale", list(PARAMS))
def test_parameter_counts(scale):
    model = get_task("pose").build_model(parse_model_name(f"yolov12{scale}-pose.yaml"))
    assert sum(p.numel() for p in model.parameters()) == PARAMS[scale]


@pytest.fixture(scope="module")
def ref(reference_dir):
    return {**load_file(reference_dir / "yolo12n-pose-reference.safetensors"),
            **load_file(reference_dir / "yolo12n-pose-reference-rect.safetensors")}


@pytest.fixture(scope="module")
def ref64(reference_dir):
    return {**load_file(reference_dir / "yolo12n-pose-reference-f64.safetensors"),
            **load_file(reference_dir / "yolo12n-pose-reference-rect-f64.safetensors")}


def _errors(out, r):
    """(box error rel. to max |box|, score error abs, keypoint error rel. to max |keypoint|)."""
    box = ((out[:, :4] - r[:, :4]).abs().max() / r[:, :4].abs().max()).item()
    score = (out[:, 4:NC] - r[:, 4:NC]).abs().max().item()
    kpt = ((out[:, NC:] - r[:, NC:]).abs().max() / r[:, NC:].abs().max()).item()
    return box, score, kpt


def _state_model(ref, dtype):
    cfg = infer_config(remap_keys({k: v for k, v in ref.items() if k.startswith("state.")}))
    assert cfg.task == "pose" and cfg.kpt_shape == (17, 3) and cfg.nc == 80 and cfg.scale == "n"
    model = PoseModel(cfg)
    model.load_state_dict(remap_keys({k: v for k, v in ref.items() if k.startswith("state.")}), strict=True)
    return model.to(dtype).eval()


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
def test_float64_parity(ref, ref64, fuse):
    model = _state_model(ref, torch.float64)
    if fuse:
        model.fuse()
    with torch.no_grad():
        for k in ("square", "rect"):
            out, kpts = model(ref[f"input.{k}"].double() / 255)
            box, score, kpt = _errors(out, ref64[f"output.{k}"])
            assert box <= 1e-6 and score <= 1e-6 and kpt <= 1e-6, (k, box, score, kpt)
            assert torch.equal(kpts.reshape(out.shape[0], -1, out.shape[2]), out[:, NC:])


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
def test_float32_parity_and_raw_maps(ref, ref64, fuse):
    model = _state_model(ref, torch.float32)
    if fuse:
        model.fuse()
    with torch.no_grad():
        for k in ("square", "rect"):
            out, _ = model(ref[f"input.{k}"].float() / 255)
            for r in (ref[f"output.{k}"], ref64[f"output.{k}"].float()):
                box, score, kpt = _errors(out, r)
                assert box <= 5e-4 and score <= 2e-3 and kpt <= 1e-3, (k, box, score, kpt)
        raw = model.forward_raw(ref["input.rect"].float() / 255)
    for i in range(3):
        r = ref[f"raw.rect.{i}"]
        assert raw[i].shape == r.shape
        assert (raw[i] - r).abs().max() <= 1e-3 * r.abs().max()


def test_export_form_matches(ref):
    model = _state_model(ref, torch.float64).fuse()
    x = ref["input.rect"].double() / 255
    with torch.no_grad():
        a, _ = model(x)
        model.deploy()
        b = model(x)  # the export form has one output
    assert (a - b).abs().max() <= 1e-9 * a.abs().max()


def test_parity_check_can_fail(ref, ref64):
    """A perturbed keypoint branch breaks the keypoint bound while boxes and scores still hold."""
    model = _state_model(ref, torch.float64)
    with torch.no_grad():
        model.head.cv4[1][2].weight.mul_(1.01)
        out, _ = model(ref["input.rect"].double() / 255)
    box, score, kpt = _errors(out, ref64["output.rect"])
    assert box <= 1e-6 and score <= 1e-6 and kpt > 1e-6


@pytest.mark.parametrize("file", ["yolo12n-pose-reference-checkpoint.pt", "yolo12n-pose-reference.safetensors"])
def test_published_files_load(reference_dir, ref, file):
    model, loaded = load_model(reference_dir / file)
    assert loaded.cfg.task == "pose" and loaded.cfg.kpt_shape == (17, 3) and isinstance(model, PoseModel)
    with torch.no_grad():
        out, _ = model.eval()(ref["input.rect"].float() / 255)
    box, score, kpt = _errors(out, ref["output.rect"])
    assert box <= 5e-4 and score <= 2e-3 and kpt <= 1e-3


def test_kpt_shape_in_config_and_header(tmp_path):
    cfg = parse_model_name("yolov12n-pose.yaml")
    assert cfg.task == "pose" and cfg.kpt_shape == (17, 3) and model_name(cfg) == "yolov12n-pose.yaml"
    d = cfg.to_dict()
    assert d["kpt_shape"] == [17, 3] and ModelConfig.from_dict(json.loads(json.dumps(d))) == cfg
    assert "kpt_shape" not in ModelConfig().to_dict()  # detection headers unchanged
    for bad in ([17], [17, 4], [0, 3], [17.0, 3], "17,3", [10**6, 3]):
        with pytest.raises(ConfigError, match="kpt_shape"):
            ModelConfig(task="pose", kpt_shape=bad)
    with pytest.raises(ConfigError, match="pose models only"):
        ModelConfig(kpt_shape=(17, 3))
    with pytest.raises(ConfigError, match="kpt_sigmas"):
        ModelConfig(task="pose", kpt_shape=(4, 3), kpt_sigmas=[0.1, 0.1])
    with pytest.raises(CheckpointFormatError, match="kpt_shape"):  # an untrusted checkpoint header
        parse_header({"format": "yolov12", "config": json.dumps({**d, "kpt_shape": [5, 7]})}, "x.safetensors")


@pytest.mark.parametrize("kpt_shape", [(4, 2), (5, 3), (1, 3)])
def test_other_kpt_shapes(kpt_shape):
    k, d = kpt_shape
    model = PoseModel(ModelConfig(task="pose", nc=3, kpt_shape=kpt_shape)).eval()
    with torch.no_grad():
        out, kpts = model(torch.rand(2, 3, 64, 96))
    a = (64 // 8) * (96 // 8) + (64 // 16) * (96 // 16) + (64 // 32) * (96 // 32)
    assert out.shape == (2, 4 + 3 + k * d, a) and kpts.shape == (2, k, d, a)
    if d == 3:
        assert ((kpts[:, :, 2] >= 0) & (kpts[:, :, 2] <= 1)).all()
    state = {k_: v for k_, v in model.state_dict().items()}
    cfg = infer_config(state, kpt_shape)
    assert cfg.kpt_shape == kpt_shape and cfg.nc == 3


def test_keypoint_decoding_by_construction():
    """Zero raw keypoint values put keypoint x at j * stride, y at i * stride: the cell's top-left corner."""
    model = PoseModel(ModelConfig(task="pose", nc=1, kpt_shape=(2, 3))).eval()
    with torch.no_grad():
        for conv in model.head.cv4:
            conv[2].weight.zero_()
            conv[2].bias.zero_()
        out, kpts = model(torch.rand(1, 3, 64, 64))
    # level P3: 8 x 8 cells, row-major
    xs, ys = kpts[0, 0, 0, :64].view(8, 8), kpts[0, 0, 1, :64].view(8, 8)
    assert torch.allclose(xs, (torch.arange(8.0) * 8).expand(8, 8))
    assert torch.allclose(ys, (torch.arange(8.0) * 8).view(8, 1).expand(8, 8))
    assert torch.allclose(kpts[0, :, 2], torch.full_like(kpts[0, :, 2], 0.5))
