"""The shipped keypoint set: digit cards whose corners are the keypoints, by construction; read back strictly."""

import numpy as np
import pytest

from yolov12.data import build_dataset, load_data_config
from yolov12.data.compose_pose import compose_pose_image, pose_label_lines
from yolov12.data.embedded import embedded_dataset, load_digit_crops
from yolov12.data.labels import LabelFormat, parse_label_text


@pytest.fixture(scope="module")
def digits():
    return load_digit_crops()


def test_corners_are_on_the_cards(digits):
    """A point 15 % of the way from each visible corner to the card's centre is card paper (light, every channel
    >= 180: the ink and the border are darker, the corner is exact up to interpolation)."""
    rng = np.random.default_rng(0)
    inside, total, seen_v = 0, 0, set()
    for _ in range(12):
        img, cls, boxes, kpts = compose_pose_image(*digits, rng, (256, 288))
        h, w = img.shape[:2]
        assert kpts.shape == (len(cls), 4, 3) and boxes.shape == (len(cls), 4)
        for b, k in zip(boxes, kpts):
            seen_v |= set(k[:, 2].tolist())
            pts = k[:, :2] * [w, h]
            lab = k[:, 2] > 0
            cx, cy, bw, bh = b * [w, h, w, h]
            assert (pts[lab, 0] >= cx - bw / 2 - 1e-3).all() and (pts[lab, 0] <= cx + bw / 2 + 1e-3).all()
            assert (k[~lab] == 0).all()
            if lab.all():
                centre = pts.mean(0)
                for p, v in zip(pts, k[:, 2]):
                    if v == 2:
                        q = p + 0.15 * (centre - p)
                        total += 1
                        inside += bool((img[int(q[1]), int(q[0])] >= 180).all())
    assert total > 40 and inside / total > 0.95, (inside, total)
    assert seen_v == {0.0, 1.0, 2.0}  # visible, occluded and outside-the-image corners all occur


def test_embedded_digits_pose_reads_back_strictly(tmp_path):
    data = embedded_dataset("digits-pose", root=tmp_path / "dp", n_train=6, n_val=2)
    cfg = load_data_config(data)
    assert cfg.kpt_shape == (4, 3) and cfg.flip_idx == [1, 0, 3, 2] and cfg.nc == 10
    for f in (tmp_path / "dp" / "labels" / "train").glob("*.txt"):
        res = parse_label_text(f.read_text(), 10, str(f), LabelFormat("pose", (4, 3)))
        assert not res.problems and res.dropped == 0 and len(res.cls) >= 1
    ds = build_dataset(data, "val", 128, label_format=LabelFormat("pose", (4, 3)), workers=0, label_cache=False)
    assert ds[0]["keypoints"].shape[1:] == (4, 3)


def test_label_lines_round_trip(digits):
    img, cls, boxes, kpts = compose_pose_image(*digits, np.random.default_rng(3), (224, 224))
    res = parse_label_text(pose_label_lines(cls, boxes, kpts), 10, "x", LabelFormat("pose", (4, 3)))
    np.testing.assert_allclose(res.keypoints, kpts, atol=1e-6)
    np.testing.assert_array_equal(res.cls, cls)
