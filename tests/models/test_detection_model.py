"""Architecture acceptance: parameter counts, FLOPs, shapes, fuse, bad input (spec sections 1-3)."""

import pytest
import torch

from yolov12.config import ModelConfig
from yolov12.models import build_model, model_info
from yolov12.models.info import count_flops, count_parameters

PARAMS = {  # (unfused, fused) at nc=80, spec section 3
    "n": (2_602_288, 2_590_824), "s": (9_284_096, 9_261_840), "m": (20_199_168, 20_166_592),
    "l": (26_450_784, 26_400_752), "x": (59_210_784, 59_135_744),
}
TURBO = {"n": 2_553_904, "s": 9_127_424, "m": 19_670_784, "l": 26_506_496, "x": 59_414_176}
GFLOPS = {"n": 6.49, "s": 21.38, "m": 67.45, "l": 88.88, "x": 199.02}
GFLOPS_ATTN = {"n": 7.47, "s": 23.34, "m": 70.72, "l": 95.43, "x": 208.85}
LAYER_PARAMS = {  # rows 6, 8, 20, 21 (spec section 1)
    "n": (180864, 689408, 378880, 464912), "s": (689408, 2689536, 1511424, 850368),
    "m": (2689536, 2689536, 1642496, 1472704), "l": (4272944, 4272944, 2496512, 1472704),
    "x": (9512128, 9512128, 5612544, 3237952),
}


@pytest.mark.parametrize("scale", list(PARAMS))
def test_parameter_counts(scale):
    m = build_model(scale)
    assert count_parameters(m) == PARAMS[scale][0]
    for row, expected in zip((6, 8, 20, 21), LAYER_PARAMS[scale]):
        assert count_parameters(m.layers[row]) == expected, f"layer {row}"
    m.fuse()
    assert m.is_fused
    assert count_parameters(m) == PARAMS[scale][1]


@pytest.mark.parametrize("scale", list(TURBO))
def test_turbo_parameter_counts(scale):
    assert count_parameters(build_model(scale, variant="turbo")) == TURBO[scale]


def test_v1_release_parameter_count():
    assert count_parameters(build_model("n", variant="v1-release")) == 2_603_056


@pytest.mark.parametrize("scale", list(GFLOPS))
def test_gflops_paper_convention(scale):
    conv, total = count_flops(build_model(scale).eval().fuse(), 640)
    assert conv == pytest.approx(GFLOPS[scale], abs=0.02)
    assert total == pytest.approx(GFLOPS_ATTN[scale], abs=0.02)


def test_info_reports_everything():
    info = model_info(build_model("n"))
    assert info.parameters == PARAMS["n"][0] and info.fused_parameters == PARAMS["n"][1]
    assert info.gflops == pytest.approx(6.49, abs=0.02)
    assert info.attention_kernel and "yolov12n" in info.summary()


@pytest.mark.parametrize("scale", ["n", "s"])
@pytest.mark.parametrize("variant", ["v1", "turbo"])
def test_train_and_eval_outputs(scale, variant):
    m = build_model(scale, nc=7, variant=variant)
    x = torch.rand(2, 3, 64, 96)
    raw = m.train()(x)
    assert [tuple(r.shape) for r in raw] == [(2, 64 + 7, 8, 12), (2, 71, 4, 6), (2, 71, 2, 3)]
    (sum(r.float().mean() for r in raw)).backward()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)
    out = m.eval()(x)
    assert out.shape == (2, 4 + 7, 8 * 12 + 4 * 6 + 2 * 3)
    assert torch.isfinite(out).all()
    assert ((out[:, 4:] >= 0) & (out[:, 4:] <= 1)).all()


def test_fuse_preserves_output():
    torch.manual_seed(0)
    m = build_model("n").eval()
    for mod in m.modules():  # non-trivial BN statistics
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
    x = torch.rand(1, 3, 128, 160)
    with torch.no_grad():
        a = m(x)
        b = m.fuse()(x)
    assert (a - b).abs().max() <= 1e-4 * a.abs().max()


def test_anchor_order_and_decode_centres():
    """Zero box logits put every box at its anchor centre +- (expected bin 7.5) * stride."""
    m = build_model("n", nc=3).eval()
    raw = [torch.zeros(1, 64 + 3, h, w) for h, w in ((4, 6), (2, 3), (1, 2))]
    out = m.head.decode(raw)
    # first anchor: P3 cell (0, 0) -> centre (4, 4); w = h = 2 * 7.5 * 8
    assert out[0, :4, 0].tolist() == pytest.approx([4.0, 4.0, 120.0, 120.0])
    # row-major: anchor 1 is the next cell in x
    assert out[0, 0, 1].item() == pytest.approx(12.0)
    # first P4 anchor comes after the 24 P3 anchors, centre (8, 8) with stride 16
    assert out[0, :2, 24].tolist() == pytest.approx([8.0, 8.0])
    assert out[0, 2, 24].item() == pytest.approx(240.0)
    assert torch.allclose(out[0, 4:], torch.full_like(out[0, 4:], 0.5))


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("hw", [(32, 32), (96, 64), (160, 224)])
def test_any_multiple_of_32(batch, hw):
    out = build_model("n", nc=2).eval()(torch.rand(batch, 3, *hw))
    assert out.shape[0] == batch and torch.isfinite(out).all()


@pytest.mark.parametrize(
    "x, match",
    [
        (torch.rand(1, 3, 100, 64), "multiples of 32"),
        (torch.rand(1, 1, 64, 64), "3 RGB channels"),
        (torch.rand(3, 64, 64), "shape"),
        (torch.zeros(1, 3, 64, 64, dtype=torch.uint8), "float"),
    ],
)
def test_bad_input_is_clear(x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build_model("n", nc=2).eval()(x)


def test_config_validation():
    with pytest.raises(ValueError, match="unknown scale"):
        ModelConfig(scale="q")
    with pytest.raises(ValueError, match="variant"):
        ModelConfig(variant="v2")
    with pytest.raises(ValueError, match="nc"):
        ModelConfig(nc=0)
    with pytest.raises(ValueError, match="pe_kernel"):
        ModelConfig(pe_kernel=4)


@pytest.mark.parametrize(
    "knobs",
    [
        dict(areas=(2, 1)), dict(areas=(8, 2)), dict(mlp_ratio=1.2), dict(pe_kernel=3), dict(pe_kernel=9),
        dict(residual=True), dict(residual=True, residual_init=0.5), dict(attention=(False, True)),
        dict(attention=(False, False)),
    ],
)
def test_ablation_knobs(knobs):
    m = build_model("n", nc=4, **knobs).eval()
    out = m(torch.rand(1, 3, 128, 96))
    assert torch.isfinite(out).all()
    if "pe_kernel" in knobs:
        assert m.layers[6].m[0][0].attn.pe.conv.kernel_size == (knobs["pe_kernel"],) * 2
    if knobs.get("residual"):
        assert torch.allclose(m.layers[6].gamma, torch.full_like(m.layers[6].gamma, knobs.get("residual_init", 0.01)))
    if knobs.get("attention") == (False, True):
        assert not any(n.startswith("layers.6.m.0.0.attn") for n, _ in m.named_parameters())
