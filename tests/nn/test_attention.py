"""Area attention: equivalence with the explicit per-area computation, non-divisible token counts."""

import pytest
import torch

from yolov12.nn.attention import A2C2f, AAttn, area_attention, attention_backend


def explicit_area_attention(q, k, v, area):
    """Reference: split tokens into `area` chunks (sizes ceil(N/area), last shorter), softmax(q k^T / sqrt d) v."""
    B, h, N, d = q.shape
    L = -(-N // area)
    outs = []
    for s in range(0, N, L):
        qs, ks, vs = q[:, :, s : s + L], k[:, :, s : s + L], v[:, :, s : s + L]
        a = (qs @ ks.transpose(-1, -2) / d**0.5).softmax(-1)
        outs.append(a @ vs)
    return torch.cat(outs, 2)


@pytest.mark.parametrize("N, area", [(16, 1), (16, 4), (24, 4), (10, 4), (7, 3), (5, 8)])
def test_area_attention_matches_explicit(N, area):
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, N, 32) for _ in range(3))
    expected = explicit_area_attention(q, k, v, min(area, N) if N < area else area)
    got = area_attention(q, k, v, area)
    assert got.shape == (2, 3, N, 32)
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max()


def test_areas_are_independent():
    """Changing tokens of one strip does not change another strip's output."""
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 16, 32) for _ in range(3))
    base = area_attention(q, k, v, 4)
    k2 = k.clone()
    k2[:, :, 12:] += 5
    other = area_attention(q, k2, v, 4)
    assert torch.equal(base[:, :, :12], other[:, :, :12])
    assert not torch.allclose(base[:, :, 12:], other[:, :, 12:])


def test_aattn_non_divisible_map_runs():
    attn = AAttn(64, 2, area=4).eval()
    x = torch.randn(1, 64, 3, 3)  # 9 tokens, 4 areas
    assert attn(x).shape == x.shape


def test_a2c2f_requires_head_multiple():
    with pytest.raises(ValueError, match="multiple of 32"):
        A2C2f(48, 48, 1, attention=True)


def test_backend_is_reported(monkeypatch):
    from torch.nn.attention import SDPBackend

    assert attention_backend("cpu") in SDPBackend.__members__  # the real kernel name on the pinned torch
    monkeypatch.setattr(torch, "_fused_sdp_choice", lambda *a: 1 / 0)  # the private API moved or broke
    assert attention_backend("cpu") == "unknown (scaled_dot_product_attention)"
