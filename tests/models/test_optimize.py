"""prepare_for_inference (the default fast inference path) computes the same outputs as the plain model."""

import copy

import pytest
import torch

from yolov12.models import build_model, prepare_for_inference
from yolov12.nn.attention import AAttn, AAttnTurbo


def _randomised(variant: str):
    torch.manual_seed(0)
    m = build_model("n", variant=variant).eval()
    with torch.no_grad():
        for mod in m.modules():  # non-trivial BN statistics and residual scales
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
        for name, p in m.named_parameters():
            if name.endswith("gamma"):
                p.uniform_(0.5, 1.0)
    return m


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool((a - b).abs().max() <= 1e-4 * b.abs().max())


@pytest.mark.parametrize("variant", ["v1", "turbo"])
def test_channels_last_matches_plain(variant):
    plain = _randomised(variant)
    fast = prepare_for_inference(copy.deepcopy(plain), channels_last=True)
    assert fast.is_fused and not fast.training
    assert all(not p.requires_grad for p in fast.parameters())
    x = torch.rand(1, 3, 160, 192)
    with torch.inference_mode():
        expected = plain(x)
        got = fast(x)  # NCHW input is fine
        got_cl = fast(x.contiguous(memory_format=torch.channels_last))
    assert _close(got, expected), (got - expected).abs().max()
    assert _close(got_cl, expected)
    assert set(fast.state_dict()) == set(plain.fuse().state_dict())


def test_default_is_channels_last_on_cpu():
    m = prepare_for_inference(build_model("n", nc=3))
    conv = m.layers[0].conv
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert m(torch.rand(1, 3, 64, 64)).shape == (1, 7, 84)


def test_frozen_trace_matches_plain():
    plain = _randomised("v1")
    graph = prepare_for_inference(copy.deepcopy(plain), trace_size=(128, 128))
    x = torch.rand(1, 3, 128, 128)
    with torch.inference_mode():
        assert _close(graph(x), plain(x))


@pytest.mark.parametrize("cls", [AAttn, AAttnTurbo])
@pytest.mark.parametrize("hw", [(4, 4), (3, 3), (2, 5)])
@pytest.mark.parametrize("area", [1, 4])
def test_attention_memory_formats_agree(cls, hw, area):
    torch.manual_seed(0)
    attn = cls(64, 2, area=area).eval()
    x = torch.randn(2, 64, *hw)
    with torch.no_grad():
        a = attn(x)
        b = attn(x.contiguous(memory_format=torch.channels_last))
    assert a.is_contiguous() and b.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(a, b, atol=1e-5)


def test_shape_cached_graphs_switch_after_repeats():
    from yolov12.models.optimize import ShapeCachedGraphs

    torch.manual_seed(0)
    plain = build_model("n", nc=3).eval()
    fast = ShapeCachedGraphs(prepare_for_inference(copy.deepcopy(plain)), after=2, max_graphs=1)
    assert fast.stride == plain.stride and fast.cfg.nc == 3  # attributes of the wrapped model
    a, b = (1, 3, 96, 128), (1, 3, 64, 64)

    def check(shape):
        x = torch.rand(*shape)
        with torch.inference_mode():
            ref, out = plain(x), fast(x)
        assert (out - ref).abs().max() <= 1e-4 * ref.abs().max()

    check(a)
    assert not fast._graphs, "the first sight of a shape runs eagerly"
    check(a)
    assert list(fast._graphs) == [(a, torch.float32)], "traced once the shape repeats"
    check(a)  # served by the graph
    check(b)
    check(b)
    assert list(fast._graphs) == [(b, torch.float32)], "least recently used graph dropped at max_graphs"
    check(a)
    assert list(fast._graphs) == [(b, torch.float32)], "a dropped shape is not re-traced on its next call"
    check(a)
    assert list(fast._graphs) == [(a, torch.float32)], "... but once it has repeated again"
    with torch.enable_grad():
        fast(torch.rand(*b))
        fast(torch.rand(*b))
    assert list(fast._graphs) == [(a, torch.float32)], "grad mode always runs eagerly"


def test_freezing_a_graph_prints_no_warnings():
    """Tracing per shape is quiet: no TracerWarning or torch.jit deprecation notice reaches the user, and the
    warning filters are left as they were (the suppression is local to the trace)."""
    import warnings

    from yolov12.models.optimize import freeze_trace

    model = prepare_for_inference(build_model("n", nc=3).eval())
    x = torch.rand(1, 3, 64, 96)  # 2x3 tokens in the attention blocks: the padded-area branch is traced too
    filters = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        freeze_trace(model, x)
        warnings.warn("still reported", UserWarning)  # the filters after the trace are the caller's again
    assert [str(w.message) for w in caught] == ["still reported"]
    assert warnings.filters == filters


def test_weights_version_tracks_changes():
    from yolov12.models.optimize import weights_version

    model = build_model("n", nc=3)
    v0 = weights_version(model)
    assert weights_version(model) == v0
    with torch.no_grad():
        model.layers[0].conv.weight.mul_(1.0)  # in place, same values: still a new version
    v1 = weights_version(model)
    assert v1 != v0
    model.load_state_dict(model.state_dict())
    assert weights_version(model) != v1
    with torch.inference_mode():
        frozen = build_model("n", nc=3)
    assert weights_version(frozen) == weights_version(frozen)  # inference tensors have no counter: no error
