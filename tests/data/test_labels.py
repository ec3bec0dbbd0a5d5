"""The label parser is told the task's format (never guesses from the column count)."""

import numpy as np
import pytest

from yolov12.data.labels import LabelFormat, parse_label_text

BOX = "0 0.5 0.5 0.2 0.4"
CORNERS = "0 0.4 0.3 0.6 0.3 0.6 0.7 0.4 0.7"  # 9 columns: an oriented box's 4 corners
KPTS_17x3 = " ".join(["0 0.5 0.5 0.2 0.4"] + ["0.5 0.5 2"] * 17)  # 56 columns
KPTS_7x2 = " ".join(["0 0.5 0.5 0.2 0.4"] + ["0.45 0.55"] * 7)  # 19 columns: odd, like a 9-point polygon


def test_detect_reads_boxes_and_polygons():
    res = parse_label_text(f"{BOX}\n{CORNERS}\n", nc=1, name="a.txt", fmt=LabelFormat("detect"))
    assert len(res.cls) == 2 and not res.problems
    np.testing.assert_allclose(res.boxes[1], [0.5, 0.5, 0.2, 0.4], atol=1e-6)  # the polygon's bounding box


def test_pose_line_is_not_a_polygon_for_detect():
    res = parse_label_text(f"{BOX}\n{KPTS_17x3}\n", nc=1, name="a.txt", fmt=LabelFormat("detect"))
    assert len(res.cls) == 1 and res.dropped == 1
    assert res.problems == ["a.txt:2: 56 columns; detect labels are class cx cy w h, or class and a polygon of 3+ "
                            "points (1 + 2k columns, k >= 3)"]


def test_pose_reads_keypoints_of_its_kpt_shape():
    fmt = LabelFormat("pose", (17, 3))
    res = parse_label_text(f"{KPTS_17x3}\n{BOX}\n{CORNERS}\n", nc=1, name="p.txt", fmt=fmt)
    assert len(res.cls) == 1 and res.dropped == 2
    assert res.keypoints.shape == (1, 17, 3) and (res.keypoints[..., 2] == 2).all()
    assert [p.split(":")[1] for p in res.problems] == ["2", "3"]  # named by line
    two = parse_label_text(KPTS_7x2, nc=1, fmt=LabelFormat("pose", [7, 2]))
    assert two.keypoints.shape == (1, 7, 3) and two.segments is None  # x, y + visibility (2: labelled)


def test_obb_reads_exactly_four_corners():
    res = parse_label_text(f"{CORNERS}\n{BOX}\n{KPTS_7x2}\n", nc=1, name="o.txt", fmt=LabelFormat("obb"))
    assert len(res.cls) == 1 and res.dropped == 2 and "9 columns" in res.problems[0]
    assert res.segments[0].shape == (4, 2)


def test_segment_needs_polygons():
    res = parse_label_text(f"{BOX}\n{CORNERS}\n", nc=1, name="s.txt", fmt=LabelFormat("segment"))
    assert len(res.cls) == 1 and res.segments[0].shape == (4, 2)
    assert res.problems[0].startswith("s.txt:1: 5 columns; segment labels are class and a polygon")


@pytest.mark.parametrize("kind, kpt, match", [
    ("boxes", None, "unknown label format"),
    ("pose", None, "kpt_shape"),
    ("pose", (17, 4), "kpt_shape"),
    ("detect", (17, 3), "only for pose"),
])
def test_bad_formats_are_errors(kind, kpt, match):
    with pytest.raises(ValueError, match=match):
        LabelFormat(kind, kpt)
