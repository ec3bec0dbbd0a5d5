"""draw_boxes: outlines where asked, labels, palette."""

from __future__ import annotations

import numpy as np
import pytest

from yolov12.inference.plotting import PALETTE_BGR, class_color, default_line_width, draw_boxes


def test_palette_is_fixed_and_wraps():
    assert len(PALETTE_BGR) == 20 and len(set(PALETTE_BGR)) == 20
    assert class_color(3) == class_color(23) != class_color(4)


def test_draw_boxes_in_place_with_given_colour():
    img = np.zeros((40, 60, 3), np.uint8)
    out = draw_boxes(img, [[10, 10, 30, 30]], None, [(0, 255, 0)], line_width=1)
    assert out is img
    assert tuple(img[10, 20]) == (0, 255, 0) and tuple(img[30, 20]) == (0, 255, 0)  # top and bottom edges
    assert tuple(img[20, 10]) == (0, 255, 0) and tuple(img[20, 30]) == (0, 255, 0)  # left and right edges
    assert not img[12:29, 12:29].any()  # inside untouched
    assert not img[:, 32:].any() and not img[32:].any()  # outside untouched


def test_label_adds_filled_box_above():
    img = np.zeros((80, 120, 3), np.uint8)
    draw_boxes(img, [[20, 40, 100, 70]], ["car 0.50"], [(255, 255, 255)], line_width=2)
    assert img[20:38, 20:60].any()  # label above the box
    plain = np.zeros_like(img)
    draw_boxes(plain, [[20, 40, 100, 70]], None, [(255, 255, 255)], line_width=2)
    assert not plain[20:38].any()


def test_mismatched_lengths_are_errors():
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError, match="labels"):
        draw_boxes(img, [[0, 0, 5, 5]], ["a", "b"], None)


def test_default_line_width_scales():
    assert default_line_width((64, 64, 3)) == 2
    assert default_line_width((1080, 1920, 3)) > default_line_width((480, 640, 3))
