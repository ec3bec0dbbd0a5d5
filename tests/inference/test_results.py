"""Results / Boxes: coordinate views checked by hand, text outputs, drawing and files."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from yolov12.inference import Boxes, Results

NAMES = ["person", "car", "dog"]
# Image 100 wide, 50 high. Boxes xyxy pixels, conf, cls.
DATA = torch.tensor(
    [
        [10.0, 5.0, 30.0, 25.0, 0.9, 0.0],  # person, 20x20 centred (20, 15)
        [50.0, 10.0, 90.0, 40.0, 0.6, 1.0],  # car, 40x30 centred (70, 25)
        [0.0, 0.0, 10.0, 50.0, 0.3, 0.0],  # person, 10x50 centred (5, 25)
    ]
)


@pytest.fixture
def result() -> Results:
    img = np.full((50, 100, 3), 40, np.uint8)
    return Results(img, "some/dir/pic.jpg", NAMES, DATA.clone(), speed={"preprocess": 1.0, "inference": 2.0,
                                                                         "postprocess": 0.5})


def test_fields(result):
    assert result.orig_shape == (50, 100)
    assert result.path == "some/dir/pic.jpg"
    assert result.names == {0: "person", 1: "car", 2: "dog"}
    assert len(result) == 3 and len(result.boxes) == 3
    assert set(result.speed) == {"preprocess", "inference", "postprocess"}
    torch.testing.assert_close(result.boxes.data, DATA)


def test_names_accepts_dict():
    r = Results(np.zeros((4, 4, 3), np.uint8), "x", {"0": "a", 5: "b"}, torch.tensor([[0, 0, 1, 1, 0.5, 5.0]]))
    assert r.names == {0: "a", 5: "b"}
    assert r.verbose() == "1 b"


def test_box_views_by_hand(result):
    b = result.boxes
    torch.testing.assert_close(b.conf, torch.tensor([0.9, 0.6, 0.3]))
    torch.testing.assert_close(b.cls, torch.tensor([0.0, 1.0, 0.0]))
    torch.testing.assert_close(b.xywh, torch.tensor([[20.0, 15, 20, 20], [70, 25, 40, 30], [5, 25, 10, 50]]))
    torch.testing.assert_close(
        b.xyxyn, torch.tensor([[0.1, 0.1, 0.3, 0.5], [0.5, 0.2, 0.9, 0.8], [0.0, 0.0, 0.1, 1.0]])
    )
    torch.testing.assert_close(
        b.xywhn, torch.tensor([[0.2, 0.3, 0.2, 0.4], [0.7, 0.5, 0.4, 0.6], [0.05, 0.5, 0.1, 1.0]])
    )


def test_boxes_numpy_and_cpu_agree(result):
    b_np = result.boxes.numpy()
    assert isinstance(b_np.data, np.ndarray) and isinstance(b_np.xywhn, np.ndarray)
    np.testing.assert_allclose(b_np.xywhn, result.boxes.xywhn.numpy(), rtol=1e-6)
    assert isinstance(result.boxes.cpu().data, torch.Tensor)
    assert len(result.boxes[1:]) == 2
    with pytest.raises(ValueError, match="\\(n, 6\\)"):
        Boxes(torch.zeros(2, 5), (10, 10))


def test_verbose_counts_and_plurals(result):
    assert result.verbose() == "2 persons, 1 car"
    empty = Results(np.zeros((8, 8, 3), np.uint8), "e", NAMES)
    assert len(empty) == 0 and empty.verbose() == "(no detections)"


def test_to_json_round_trip(result):
    objs = json.loads(result.to_json())
    assert [o["name"] for o in objs] == ["person", "car", "person"]
    assert [o["class"] for o in objs] == [0, 1, 0]
    assert objs[1]["confidence"] == pytest.approx(0.6)
    assert objs[1]["box"] == pytest.approx({"x1": 50.0, "y1": 10.0, "x2": 90.0, "y2": 40.0})
    norm = json.loads(result.to_json(normalize=True))
    assert norm[1]["box"] == pytest.approx({"x1": 0.5, "y1": 0.2, "x2": 0.9, "y2": 0.8})
    assert result.summary() == objs


def test_plot_draws_only_near_boxes(result):
    before = result.orig_img.copy()
    out = result.plot(line_width=2)
    assert out.shape == result.orig_img.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(result.orig_img, before)  # the original is not drawn on
    changed = (out != before).any(axis=2)
    assert changed[5, 10:31].any() and changed[10:41, 90].any()  # top edge of box 0, right edge of box 1
    assert not changed[45:, 30:49].any()  # bottom strip between boxes: untouched
    no_labels = result.plot(line_width=2, labels=False)
    assert (no_labels != before).any(axis=2).sum() < changed.sum()  # labels add pixels
    assert not (Results(before, "e", NAMES).plot() != before).any()  # no detections: identical image


def test_plot_colours_by_class(result):
    out = result.plot(line_width=2, labels=False)
    # Both persons share a colour; the car's differs.
    person = out[15, 10]  # left edge of box 0
    person2 = out[25, 10]  # right edge of box 2 (x2 = 10)
    car = out[25, 50]  # left edge of box 1
    np.testing.assert_array_equal(person, person2)
    assert (person != car).any()


def test_save_writes_annotated_image(result, tmp_path):
    p = result.save(tmp_path / "out" / "pic.png")
    img = cv2.imread(str(p))
    np.testing.assert_array_equal(img, result.plot())


def test_save_txt_yolo_format(result, tmp_path):
    p = result.save_txt(tmp_path / "labels" / "pic.txt")
    rows = [line.split() for line in p.read_text().splitlines()]
    assert len(rows) == 3 and all(len(r) == 5 for r in rows)
    assert rows[1][0] == "1"
    np.testing.assert_allclose([float(v) for v in rows[1][1:]], [0.7, 0.5, 0.4, 0.6], atol=1e-6)
    rows = [line.split() for line in result.save_txt(tmp_path / "c.txt", save_conf=True).read_text().splitlines()]
    assert [float(r[5]) for r in rows] == pytest.approx([0.9, 0.6, 0.3])
    assert Results(result.orig_img, "e", NAMES).save_txt(tmp_path / "e.txt").read_text() == ""


def test_save_crop(tmp_path):
    img = np.zeros((50, 100, 3), np.uint8)
    img[10:40, 50:90] = (1, 2, 3)
    r = Results(img, "pic.jpg", NAMES, DATA.clone())
    paths = r.save_crop(tmp_path / "crops")
    rel = sorted(str(p.relative_to(tmp_path / "crops")) for p in paths)
    assert rel == ["car/pic.jpg", "person/pic.jpg", "person/pic_2.jpg"]
    car = cv2.imread(str(tmp_path / "crops" / "car" / "pic.jpg"))
    assert car.shape == (30, 40, 3)
    assert np.abs(car.astype(int) - (1, 2, 3)).max() <= 3  # jpeg: nearly the flat patch


def test_save_crop_class_name_with_slash_stays_one_folder(tmp_path):
    r = Results(np.zeros((20, 20, 3), np.uint8), "p.jpg", ["a/b"], torch.tensor([[2.0, 2, 12, 12, 0.9, 0]]))
    (p,) = r.save_crop(tmp_path)
    assert p.parent == tmp_path / "a_b"
