"""The shipped rotated-digits OBB set: each label is the pasted digit's turned tight ink box, by construction."""

import math

import cv2
import numpy as np
import torch

from yolov12.data.compose_obb import compose_digit_obb_image
from yolov12.data.embedded import embedded_dataset, load_digit_crops
from yolov12.data.labels import LabelFormat, parse_label_file
from yolov12.ops.rotated import corners_to_xywhr, rotated_iou


def test_boxes_are_the_turned_ink_boxes():
    # "digits" that are solid blocks: the pasted ink is then exactly the turned block, and its pixels' minimum-area
    # rectangle must be the label's box
    blocks = np.zeros((3, 28, 28), np.uint8)
    blocks[0, 4:24, 8:20] = 255
    blocks[1, 10:18, 2:26] = 255
    blocks[2, 2:26, 12:16] = 255
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(6):
        img, cls, quads = compose_digit_obb_image(blocks, np.arange(3), rng, (200, 240), n_range=(2, 3),
                                                  px_range=(40, 80))
        label = torch.from_numpy(corners_to_xywhr(quads)).double()
        for q, box in zip(quads, label):
            mask = np.zeros(img.shape[:2], np.uint8)
            cv2.fillPoly(mask, [np.round(q * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
            # ink pixels: far from the background's local colour; look only near this quad
            near = cv2.dilate(mask, np.ones((9, 9), np.uint8)).astype(bool)
            bg = cv2.medianBlur(img, 31).astype(int)
            ink = (np.abs(img.astype(int) - bg).max(-1) > 60) & near
            ys, xs = np.nonzero(ink)
            fit = torch.from_numpy(corners_to_xywhr(np.stack([xs + 0.5, ys + 0.5], 1)[None].astype(np.float32)))
            assert float(rotated_iou(fit.double(), box[None])) > 0.85
            checked += 1
    assert checked >= 10


def test_embedded_digits_obb_dataset(tmp_path):
    y = embedded_dataset("digits-obb", root=tmp_path, n_train=6, n_val=2, seed=4)
    assert y.is_file()
    files = sorted((tmp_path / "labels" / "train").glob("*.txt"))
    assert len(files) == 6
    angles = []
    for f in files:
        p = parse_label_file(f, 10, LabelFormat("obb"))
        assert not p.problems and len(p.cls) >= 1
        h, w = cv2.imread(str(tmp_path / "images" / "train" / (f.stem + ".png"))).shape[:2]
        angles += corners_to_xywhr(np.stack(p.segments) * [w, h])[:, 4].tolist()
    assert np.ptp(angles) > 0.3  # turned at various angles
    digits, labels = load_digit_crops()
    assert digits.shape[1:] == (28, 28) and len(digits) == len(labels)
    assert all(0 <= a < math.pi / 2 for a in angles)
