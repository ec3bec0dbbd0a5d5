"""Results.probs: the top-k views, text, JSON and the drawing of the top five."""

import json

import numpy as np
import pytest
import torch

from yolov12.inference.probs import Probs
from yolov12.inference.results import Results


def test_probs_views():
    p = Probs(torch.tensor([0.05, 0.5, 0.1, 0.2, 0.0, 0.15]))
    assert p.top1 == 1 and p.top5 == [1, 3, 5, 2, 0] and p.top1conf == pytest.approx(0.5)
    assert p.top5conf == pytest.approx([0.5, 0.2, 0.15, 0.1, 0.05])
    assert p.numpy().top5 == p.top5 and isinstance(p.numpy().data, np.ndarray)
    with pytest.raises(ValueError, match=r"\(nc,\)"):
        Probs(torch.zeros(2, 3))


def test_results_with_probs(tmp_path):
    img = np.full((120, 160, 3), 90, np.uint8)
    r = Results(img, "a.jpg", ["cat", "dog", "emu"], None, probs=torch.tensor([0.2, 0.7, 0.1]))
    assert r.probs.top1 == 1 and len(r) == 0
    assert r.verbose() == "dog 0.70, cat 0.20, emu 0.10"
    rows = json.loads(r.to_json())
    assert rows[0] == {"name": "dog", "class": 1, "confidence": 0.7} and len(rows) == 3
    txt = r.save_txt(tmp_path / "a.txt").read_text().splitlines()
    assert txt == ["0.70 dog", "0.20 cat", "0.10 emu"]
    drawn = r.plot()
    assert drawn.shape == img.shape and (drawn != img).any() and (r.orig_img == 90).all()
    assert (drawn[60:, :] == 90).all()  # text in the top-left panel only
    assert (r.plot(labels=False) == img).all()
    assert r.numpy().probs.top1 == 1 and r.cpu().probs.top1 == 1
