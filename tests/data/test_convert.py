"""coco_to_yolo / voc_to_yolo: unusable inputs are clear errors, and an empty result is never written."""

import json

import pytest

from yolov12.data.convert import coco_to_yolo, voc_to_yolo


@pytest.mark.parametrize("content, match", [
    ("not json", "a.json: not a COCO json file"),
    ("[]", "a.json: expected a COCO json object with 'images', 'annotations' and 'categories', got a list"),
    (json.dumps({"categories": [{"id": 1, "name": "a"}], "images": [{"id": 1, "file_name": "x.jpg"}]}),
     "a.json: malformed COCO record \\(KeyError: 'width'\\)"),
    (json.dumps({"categories": [{"name": "a"}]}), "a.json: malformed COCO record \\(KeyError: 'id'\\)"),
])
def test_coco_json_problems(tmp_path, content, match):
    (tmp_path / "a.json").write_text(content)
    (tmp_path / "x.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match=match):
        coco_to_yolo(tmp_path / "a.json", tmp_path, tmp_path / "out")


def test_missing_inputs_and_empty_results(tmp_path):
    (tmp_path / "xml").mkdir()
    with pytest.raises(FileNotFoundError, match="annotations not found"):
        voc_to_yolo(tmp_path / "nope", tmp_path, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="images folder not found"):
        voc_to_yolo(tmp_path / "xml", tmp_path / "nope", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no \\*.xml annotation files in"):
        voc_to_yolo(tmp_path / "xml", tmp_path, tmp_path / "out")
    (tmp_path / "a.json").write_text(json.dumps({"categories": [{"id": 1, "name": "a"}],
                                                 "images": [{"id": 1, "file_name": "x.jpg", "width": 9, "height": 9}]}))
    with pytest.raises(ValueError, match="no image could be converted"):
        coco_to_yolo(tmp_path / "a.json", tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
