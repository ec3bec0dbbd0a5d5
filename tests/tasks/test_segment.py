"""Segment task end to end on a tiny digits-seg set: train -> val (box + mask rows) -> predict (Results.masks,
overlay, save_txt polygons read back by the segment parser, JSON) -> COCO JSON with RLE a COCO tool reads."""

import json

import numpy as np
import pytest
import torch

from yolov12 import YOLO
from yolov12.data.embedded import embedded_dataset
from yolov12.data.labels import LabelFormat, parse_label_text
from yolov12.inference.masks import SegPrediction
from yolov12.ops.masks import rle_decode
from yolov12.tasks import get_task


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("seg")
    data = embedded_dataset("digits-seg", root=root / "ds", n_train=4, n_val=2)
    model = YOLO("yolov12n-seg.yaml")
    res = model.train(data=str(data), epochs=2, imgsz=64, batch=2, workers=0, project=str(root / "runs"), name="t",
                      plots=False, verbose=False)
    return root, data, res


def test_train_writes_box_and_mask_columns(trained):
    root, _, res = trained
    header = (res.save_dir / "results.csv").read_text().splitlines()[0].split(",")
    for col in ("train/box", "train/seg", "train/cls", "train/dfl", "mAP50-95(B)", "mAP50-95(M)", "mAP50(M)"):
        assert col in header
    rows = (res.save_dir / "results.csv").read_text().splitlines()[1:]
    assert len(rows) == 2 and all(np.isfinite(float(v)) for r in rows for v in r.split(","))
    assert res.best.is_file()


def test_val_predict_and_outputs(trained, tmp_path):
    root, data, res = trained
    model = YOLO(res.best)
    assert model.task == "segment"
    v = model.val(data=str(data), imgsz=64, batch=2, workers=0, project=str(tmp_path), name="v", save_json=True,
                  conf=0.0001, verbose=False)
    assert {"box_map50_95", "mask_map50_95"} <= set(v.metrics.to_dict())
    records = json.loads(v.json_path.read_text())
    assert records and all("segmentation" in r for r in records)
    m = rle_decode(records[0]["segmentation"])
    assert m.shape == tuple(records[0]["segmentation"]["size"])

    out = model.predict(str(root / "ds" / "images" / "val"), imgsz=64, conf=0.0001, max_det=3)
    r = out[0]
    assert r.masks is not None and len(r.masks) == len(r.boxes) == 3
    h0, w0 = r.orig_shape
    gain = min(64 / h0, 64 / w0)  # retina_masks=False (default): masks at the resized image's resolution
    assert tuple(r.masks.data.shape[1:]) == (round(h0 * gain), round(w0 * gain)) and r.masks.data.dtype == torch.bool
    full = model.predict(str(root / "ds" / "images" / "val"), imgsz=64, conf=0.0001, max_det=3, retina_masks=True)[0]
    assert tuple(full.masks.data.shape[1:]) == r.orig_shape and torch.equal(full.boxes.data, r.boxes.data)
    assert len(r.masks.xy) == 3 and all(p.ndim == 2 and p.shape[1] == 2 for p in r.masks.xy)
    for p in r.masks.xyn:
        assert (p >= 0).all() and (p <= 1).all()
    txt = r.save_txt(tmp_path / "p.txt").read_text()
    parsed = parse_label_text(txt, 10, "p.txt", LabelFormat("segment"))
    # two untrained masks may trace the same polygon: the parser drops the repeated line as a duplicate
    assert len(parsed.cls) + parsed.duplicates == sum(len(p) >= 3 for p in r.masks.xy)
    assert not parsed.dropped and not parsed.class_errors
    summary = json.loads(r.to_json())
    assert all("segments" in s for s in summary)
    if r.masks.data.any():  # the overlay changes the picture where a mask is
        plain = r.orig_img.copy()
        assert (r.plot(labels=False) != plain).any()


def test_masks_in_original_pixels_follow_the_letterbox():
    """A prototype-level square mask comes back at the right place in the original image."""
    task = get_task("segment")
    nc, nm = 2, 32
    A = 8 * 8 + 4 * 4 + 2 * 2  # 64 x 64 input
    pred = torch.zeros(1, 4 + nc + nm, A)
    pred[0, :4, 0] = torch.tensor([32.0, 32.0, 40.0, 40.0])  # box centred, 40 px
    pred[0, 4, 0] = 0.9
    pred[0, 4 + nc, 0] = 1.0
    protos = torch.full((1, nm, 16, 16), -10.0)
    protos[0, 0, 4:12, 4:12] = 10.0  # input pixels 16..48
    # original 32 x 64 (h, w) letterboxed into 64 x 64: gain 1, pad top 16
    out = task.postprocess((pred, protos), (64, 64), [(32, 64)], [(1.0, (0.0, 16.0))],
                           __import__("yolov12.inference.postprocess", fromlist=["NMSConfig"]).NMSConfig(conf=0.5))
    p = out[0]
    assert isinstance(p, SegPrediction) and len(p) == 1 and p.masks.shape == (1, 32, 64)
    ys, xs = np.nonzero(p.masks[0].numpy())
    assert xs.min() in (15, 16) and xs.max() in (47, 48) and ys.min() in (0, 1) and ys.max() in (30, 31)
