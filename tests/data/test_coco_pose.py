"""COCO person-keypoints json -> YOLO pose dataset (yolov12 data convert format=coco-pose)."""

import json

import cv2
import numpy as np
import pytest

from yolov12.cli import main
from yolov12.data import build_dataset, load_data_config
from yolov12.data.formats.coco_pose import flip_index, read_coco_pose
from yolov12.data.labels import LabelFormat

COCO_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
              "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
              "right_knee", "left_ankle", "right_ankle"]


def test_flip_index_of_coco_names():
    assert flip_index(COCO_NAMES) == [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
    assert flip_index(["a", "b"]) == [0, 1]


def _coco(tmp_path):
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.jpg"), np.zeros((100, 200, 3), np.uint8))
    kp = np.zeros((17, 3))
    kp[0] = [50, 20, 2]
    kp[5] = [40, 40, 1]
    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 200, "height": 100},
                   {"id": 2, "file_name": "missing.jpg", "width": 10, "height": 10}],
        "categories": [{"id": 1, "name": "person", "keypoints": COCO_NAMES, "skeleton": []}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [20, 10, 60, 80], "iscrowd": 0,
             "keypoints": kp.reshape(-1).tolist(), "num_keypoints": 2},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [100, 10, 60, 80], "iscrowd": 1,
             "keypoints": [0] * 51, "num_keypoints": 0},
            {"id": 3, "image_id": 1, "category_id": 1, "bbox": [120, 10, 30, 30], "iscrowd": 0,
             "keypoints": [0] * 50, "num_keypoints": 0},
        ],
    }
    (tmp_path / "kp.json").write_text(json.dumps(data))
    return tmp_path / "kp.json", tmp_path / "img"


def test_read_and_convert(tmp_path):
    js, img = _coco(tmp_path)
    samples, names, kpt_shape, flip = read_coco_pose(js, img)
    assert names == ["person"] and kpt_shape == [17, 3] and flip[1] == 2 and len(samples) == 1
    s = samples[0]
    assert len(s) == 1  # crowd skipped, the 50-value annotation rejected
    np.testing.assert_allclose(s.keypoints[0, 0], [0.25, 0.2, 2])
    np.testing.assert_allclose(s.keypoints[0, 5], [0.2, 0.4, 1])
    assert main(["data", "convert", "format=coco-pose", f"src={js}", f"images={img}", f"out={tmp_path / 'out'}"]) == 0
    cfg = load_data_config(tmp_path / "out" / "data.yaml")
    assert cfg.kpt_shape == (17, 3) and cfg.flip_idx == flip
    ds = build_dataset(cfg, "train", 64, label_format=LabelFormat("pose", (17, 3)), workers=0, label_cache=False)
    np.testing.assert_allclose(ds.samples[0].keypoints, s.keypoints, atol=1e-6)


def test_boxes_only_json_is_a_clear_error(tmp_path):
    js, img = _coco(tmp_path)
    data = json.loads(js.read_text())
    data["categories"][0].pop("keypoints")
    js.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="keypoints"):
        read_coco_pose(js, img)
