"""retina_masks: Results.masks.data at the resized input's resolution (default, as Ultralytics) or the original's;
xy / xyn and plot() in original pixels either way."""

import numpy as np
import pytest
import torch
from torch import nn

from yolov12.cli import main
from yolov12.inference.postprocess import NMSConfig
from yolov12.inference.predictor import PredictConfig, Predictor
from yolov12.inference.results import Results
from yolov12.tasks import get_task

NC, NM = 2, 32
H0, W0 = 40, 80  # original image (h, w); letterboxed into 64 x 64: gain 0.8, resized 32 x 64, pad top 16


def _output():
    """One detection: box centred in the 64 x 64 input, 40 px; its mask = input pixels x 16..48, y 16..48."""
    A = 8 * 8 + 4 * 4 + 2 * 2
    pred = torch.zeros(1, 4 + NC + NM, A)
    pred[0, :4, 0] = torch.tensor([32.0, 32.0, 40.0, 40.0])
    pred[0, 4, 0] = 0.9
    pred[0, 4 + NC, 0] = 1.0
    protos = torch.full((1, NM, 16, 16), -10.0)
    protos[0, 0, 4:12, 4:12] = 10.0
    return pred, protos


def _postprocess(retina: bool):
    return get_task("segment").postprocess(_output(), (64, 64), [(H0, W0)], [(0.8, (0.0, 16.0))],
                                           NMSConfig(conf=0.5, retina_masks=retina))[0]


def test_mask_resolution_follows_retina_masks():
    small, full = _postprocess(False), _postprocess(True)
    assert small.masks.shape == (1, 32, 64) and full.masks.shape == (1, H0, W0)
    assert torch.equal(small.boxes, full.boxes)  # boxes are in original pixels in both modes
    ys, xs = np.nonzero(small.masks[0].numpy())  # resized image: x 16..48, y 0..32 (padding removed)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (16, 47, 0, 31)
    ys, xs = np.nonzero(full.masks[0].numpy())  # original: / 0.8
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (20, 59, 0, 39)


def test_xy_and_plot_in_original_pixels_in_both_modes():
    img = np.full((H0, W0, 3), 100, np.uint8)
    res = {r: Results(img, "a.jpg", ["a", "b"], p.boxes, masks=p.masks)
           for r, p in ((False, _postprocess(False)), (True, _postprocess(True)))}
    for r in res.values():
        x, y = r.masks.xy[0].T
        assert abs(x.min() - 20) <= 1.5 and abs(x.max() - 60) <= 1.5 and y.min() <= 1 and y.max() >= 39
        xn, yn = r.masks.xyn[0].T
        assert 0.23 < xn.min() < 0.27 and 0.73 < xn.max() < 0.77 and yn.max() <= 1
    # inside the box outline (original x 15..65, y 0..40), the changed pixels are the mask overlay
    overlay = {k: (r.plot(labels=False, line_width=1) != img).any(-1)[2:38, 17:63] for k, r in res.items()}
    a, b = overlay[False], overlay[True]
    assert (a & b).sum() / (a | b).sum() > 0.9  # the input-resolution masks overlay the same original pixels
    assert a[3:33, 8:38].all() and not a[:, :2].any() and not a[:, -2:].any()  # mask x 20..60 of 17..63


class _FixedSeg(nn.Module):
    """A stand-in segment model: one whole-image box whose mask is the middle half of the input."""

    def forward(self, x):
        _, _, h, w = x.shape
        a = sum((h // s) * (w // s) for s in (8, 16, 32))
        pred = torch.zeros(1, 4 + NC + NM, a)
        pred[0, :4, 0] = torch.tensor([w / 2, h / 2, w, h])
        pred[0, 4, 0] = 0.9
        pred[0, 4 + NC, 0] = 1.0
        protos = torch.full((1, NM, h // 4, w // 4), -10.0)
        protos[0, 0, h // 16: 3 * h // 16, w // 16: 3 * w // 16] = 10.0
        return pred, protos


@pytest.mark.parametrize("retina, shape", [(False, (32, 64)), (True, (H0, W0))])
def test_predict_config_retina_masks(retina, shape):
    img = np.full((H0, W0, 3), 50, np.uint8)
    cfg = PredictConfig(imgsz=64, retina_masks=retina)
    r = Predictor(_FixedSeg(), ["a", "b"], cfg, get_task("segment"))(img)[0]
    assert tuple(r.masks.data.shape[1:]) == shape
    x, y = r.masks.xy[0].T  # the middle half of the original image
    assert abs(x.min() - 20) <= 1.5 and abs(x.max() - 60) <= 1.5 and abs(y.min() - 10) <= 1.5
    assert abs(y.max() - 30) <= 1.5


def test_defaults():
    assert PredictConfig().retina_masks is False and NMSConfig().retina_masks is True  # validation: original


def test_cli_lists_retina_masks(capsys):
    assert main(["predict", "--help"]) == 0 and "retina_masks" in capsys.readouterr().out
