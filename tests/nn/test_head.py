import torch

from yolov12.nn.head import DFL, Detect


def _dfl_by_softmax(x: torch.Tensor, reg_max: int = 16) -> torch.Tensor:
    b, _, a = x.shape
    p = x.view(b, 4, reg_max, a).double().softmax(2)
    return (p * torch.arange(reg_max, dtype=torch.float64).view(1, 1, -1, 1)).sum(2)


def test_dfl_is_the_softmax_expectation_over_bins():
    x = torch.randn(2, 64, 300) * 4
    y = DFL(16)(x)
    assert y.shape == (2, 4, 300)
    torch.testing.assert_close(y.double(), _dfl_by_softmax(x), rtol=0, atol=1e-5)


def test_dfl_is_stable_for_huge_logits():
    x = torch.randn(1, 64, 50) * 4
    x[0, 16:32] += 1e4  # exp would overflow without the max subtraction
    x[0, 0, :] = 200.0  # one dominating bin: expectation is bin 0
    y = DFL(16)(x)
    assert torch.isfinite(y).all()
    torch.testing.assert_close(y.double(), _dfl_by_softmax(x), rtol=0, atol=1e-5)
    assert (y[0, 0] == 0).all()


def test_detect_decode_boxes_inside_the_image_grid():
    head = Detect(3, (16, 32, 64)).eval()
    feats = [torch.randn(1, c, 64 // s, 64 // s) for c, s in zip((16, 32, 64), (8, 16, 32))]
    out = head(feats)
    assert out.shape == (1, 7, 8 * 8 + 4 * 4 + 2 * 2)
    assert (out[:, 4:] >= 0).all() and (out[:, 4:] <= 1).all()
    assert (out[:, 2:4] >= 0).all()  # widths and heights are sums of non-negative distances
