"""The pose task through the API and CLI: train -> val -> predict (Results.keypoints, drawing, save_txt, JSON),
kpt_shape from the data, mismatches and missing keys as clear errors."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

from tests.data.pose_fixtures import pose_dataset
from yolov12 import YOLO
from yolov12.cli import main
from yolov12.data.labels import LabelFormat, parse_label_text
from yolov12.inference.keypoints import PosePrediction
from yolov12.tasks import get_task


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("pose")
    data = pose_dataset(root / "ds", n=4)
    model = YOLO("yolov12n-pose.yaml")
    res = model.train(data=str(data), epochs=1, imgsz=64, batch=4, workers=0, project=str(root / "runs"),
                      name="t", plots=False, verbose=False)
    return model, res, data, root


def test_train_takes_kpt_shape_from_the_data(trained):
    model, res, data, _ = trained
    assert model.cfg.task == "pose" and model.cfg.kpt_shape == (4, 3) and res.best.exists()
    header = YOLO(str(res.best)).cfg
    assert header.kpt_shape == (4, 3)
    rows = (res.save_dir / "results.csv").read_text().splitlines()
    assert "pose_mAP50-95" in rows[0] and "train/kobj" in rows[0] and len(rows) == 2


def test_val_and_predict(trained, tmp_path):
    model, _, data, root = trained
    v = model.val(data=str(data), imgsz=64, batch=4, workers=0, project=str(tmp_path), name="v", plots=False,
                  verbose=False)
    d = v.metrics.to_dict()
    assert {"pose_map50_95", "pose_map50", "box_map50_95"} <= set(d) and v.metrics.num_images == 4
    results = model.predict(str(root / "ds" / "images" / "val"), imgsz=64, conf=0.0, max_det=5)
    r = results[0]
    assert r.keypoints is not None and r.keypoints.data.shape == (len(r), 4, 3)
    h, w = r.orig_shape
    assert (r.keypoints.xy[..., 0] <= w).all() and (r.keypoints.xy[..., 1] <= h).all()
    assert torch.allclose(r.keypoints.xyn, r.keypoints.xy / torch.tensor([w, h]))
    assert r.keypoints.conf.shape == (len(r), 4) and ((r.keypoints.conf >= 0) & (r.keypoints.conf <= 1)).all()
    rec = json.loads(r.to_json())[0]
    assert len(rec["keypoints"]["x"]) == 4 and len(rec["keypoints"]["visible"]) == 4
    txt = r.save_txt(tmp_path / "p.txt")
    parsed = parse_label_text(txt.read_text(), 1, "p.txt", LabelFormat("pose", (4, 3)))
    assert parsed.dropped == 0 and len(parsed.cls) + parsed.duplicates == len(r)  # our lines read back strictly
    assert r.plot().shape == r.orig_img.shape
    assert len(r.numpy().keypoints) == len(r)


def test_kpt_shape_mismatch_and_missing_are_clear(trained, tmp_path):
    model, _, data, _ = trained
    cfg = yaml.safe_load(Path(data).read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**cfg, "kpt_shape": [5, 3], "flip_idx": [0, 1, 2, 3, 4]}))
    with pytest.raises(ValueError, match=r"kpt_shape \[4, 3\].*\[5, 3\]"):
        model.val(data=str(bad), imgsz=64, workers=0, project=str(tmp_path), name="v")
    none = tmp_path / "none.yaml"
    none.write_text(yaml.safe_dump({k: v for k, v in cfg.items() if k not in ("kpt_shape", "flip_idx")}))
    with pytest.raises(ValueError, match="needs kpt_shape"):
        YOLO("yolov12n-pose.yaml").train(data=str(none), epochs=1, imgsz=64, workers=0, project=str(tmp_path))


def test_eval_targets_by_construction():
    """Normalised batch keypoints of a letterboxed image map back to original pixels."""
    task = get_task("pose")
    batch = {"batch_idx": torch.tensor([0.0]), "cls": torch.tensor([0.0]),
             "bboxes": torch.tensor([[0.5, 0.5, 0.5, 0.25]]),
             "keypoints": torch.tensor([[[0.25, 0.5, 2.0], [0.75, 0.5, 1.0], [0.0, 0.0, 0.0]]]),
             "ori_shape": [(100, 200)], "ratio_pad": [(0.32, (0.0, 16.0))]}
    t = task.eval_targets(batch, 0, (64, 64))
    np.testing.assert_allclose(t["keypoints"][0].numpy(), [[50, 50, 2], [150, 50, 1], [0, 0, 0]], atol=1e-4)
    np.testing.assert_allclose(t["boxes"][0].numpy(), [50, 25, 150, 75], atol=1e-4)


def test_postprocess_carries_each_boxes_keypoints():
    """Two anchors with distinct boxes and keypoints: NMS keeps both, each with its own keypoints."""
    task = get_task("pose")
    a = 3
    pred = torch.zeros(1, 4 + 2 + 6, a)
    kpts = torch.zeros(1, 2, 3, a)
    pred[0, :4, 0] = torch.tensor([10.0, 10, 8, 8])
    pred[0, :4, 2] = torch.tensor([40.0, 40, 8, 8])
    pred[0, 4, 0], pred[0, 5, 2] = 0.9, 0.8
    kpts[0, :, :, 0] = torch.tensor([[8.0, 9, 0.9], [12, 11, 0.2]])
    kpts[0, :, :, 2] = torch.tensor([[38.0, 39, 0.7], [42, 41, 0.6]])
    pred[0, 6:, :] = kpts.reshape(1, 6, a)
    from yolov12.inference.postprocess import NMSConfig
    out = task.postprocess((pred, kpts), (64, 64), [(128, 128)], [(2.0 ** -1, (0.0, 0.0))], NMSConfig(conf=0.1))
    p = out[0]
    assert isinstance(p, PosePrediction) and len(p) == 2
    np.testing.assert_allclose(p.keypoints[0].numpy(), [[16, 18, 0.9], [24, 22, 0.2]], atol=1e-5)
    np.testing.assert_allclose(p.keypoints[1].numpy(), [[76, 78, 0.7], [84, 82, 0.6]], atol=1e-5)
    recs = task.json_records(1, p)
    assert len(recs[0]["keypoints"]) == 6 and recs[0]["category_id"] == 0


def test_cli_predict_saves_pose_labels(trained, tmp_path, capsys):
    _, res, _, root = trained
    img = root / "ds" / "images" / "val" / "0.png"
    rc = main(["predict", f"model={res.best}", f"source={img}", "imgsz=64", "conf=0.0", "max_det=3", "save_txt=True",
               f"project={tmp_path}", "name=p"])
    assert rc == 0
    txt = next((tmp_path / "p").rglob("*.txt"))
    lines = txt.read_text().splitlines()
    assert lines and all(len(line.split()) == 5 + 12 for line in lines)
    out = cv2.imread(str(next((tmp_path / "p").glob("*.png"))))
    assert out is not None
