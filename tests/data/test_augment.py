"""Augmentations keep boxes on their pixels, stay inside the image and are reproducible with a seed."""

import numpy as np
import pytest

from yolov12.data import AugmentConfig, augment_defaults, build_dataset, letterbox
from yolov12.data.augment import Labels, copy_paste_flip, mosaic4, random_affine

from .conftest import COLOURS, make_dataset


def test_augment_defaults_per_scale():
    assert AugmentConfig().mosaic == 1.0 and AugmentConfig().close_mosaic == 10
    table = {"n": (0.5, 0.0, 0.1), "s": (0.9, 0.05, 0.15), "m": (0.9, 0.15, 0.4), "l": (0.9, 0.15, 0.5),
             "x": (0.9, 0.2, 0.6)}
    for k, (scale, mix, cp) in table.items():
        cfg = augment_defaults(k)
        assert (cfg.scale, cfg.mixup, cfg.copy_paste) == (scale, mix, cp)
    with pytest.raises(ValueError):
        augment_defaults("q")


@pytest.mark.parametrize("shape, new, auto, scaleup, out, pad", [
    ((100, 200), 320, False, True, (320, 320), (0, 80)),
    ((100, 200), 320, True, True, (160, 320), (0, 0)),
    ((100, 200), 640, False, False, (640, 640), (220, 270)),
    ((101, 200), (96, 128), False, True, (96, 128), (0, 15)),
])
def test_letterbox_shapes_and_pad(shape, new, auto, scaleup, out, pad):
    img = np.zeros((*shape, 3), np.uint8)
    res, r, (pw, ph) = letterbox(img, new, auto=auto, scaleup=scaleup)
    assert res.shape[:2] == out and (pw, ph) == pad
    if not scaleup:
        assert r == 1.0
    assert (res[: int(ph)] == 114).all() and (res[:, : int(pw)] == 114).all()


def _check_boxes_on_pixels(img_bgr: np.ndarray, cls: np.ndarray, boxes_px: np.ndarray, tight: bool):
    """Each box (xyxy px) contains its colour, and that colour's pixels near it fit inside it."""
    h, w = img_bgr.shape[:2]
    for c, (x1, y1, x2, y2) in zip(cls.astype(int), boxes_px):
        assert -1e-3 <= x1 < x2 <= w + 1e-3 and -1e-3 <= y1 < y2 <= h + 1e-3
        mask = (np.abs(img_bgr.astype(int) - COLOURS[c]).max(-1) <= 3)
        m = 3  # look a few pixels around the box
        X1, Y1, X2, Y2 = int(max(x1 - m, 0)), int(max(y1 - m, 0)), int(min(x2 + m, w)), int(min(y2 + m, h))
        sub = mask[Y1:Y2, X1:X2]
        ys, xs = np.nonzero(sub)
        assert len(xs), f"box {c} has none of its colour"
        assert xs.min() + X1 >= x1 - 1.5 and xs.max() + X1 + 1 <= x2 + 1.5
        assert ys.min() + Y1 >= y1 - 1.5 and ys.max() + Y1 + 1 <= y2 + 1.5
        if tight:  # the colour fills the box up to interpolation at the edges: a warp enlarging up to 1.5x blurs
            # them by up to 2.7 px (measured over ~4000 boxes and 24 seeds); a misplaced box is off by far more
            assert xs.min() + X1 <= x1 + 3 and xs.max() + X1 + 1 >= x2 - 3
            assert ys.min() + Y1 <= y1 + 3 and ys.max() + Y1 + 1 >= y2 - 3


def _items(ds, n):
    for i in range(n):
        it = ds[i % len(ds)]
        img = it["img"].numpy().transpose(1, 2, 0)[..., ::-1]  # back to BGR
        h, w = img.shape[:2]
        b = it["bboxes"].numpy() * [w, h, w, h]
        xyxy = np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)
        yield it, img, it["cls"].numpy(), xyxy


@pytest.mark.parametrize("degrees, mosaic9", [(0.0, False), (0.0, True), (30.0, False)])
def test_box_pixel_consistency(tmp_path, degrees, mosaic9):
    yaml_path = make_dataset(tmp_path / "ds", n=6)
    aug = AugmentConfig(mosaic=1.0, mosaic9=mosaic9, degrees=degrees, translate=0.1, scale=0.5, fliplr=0.5,
                        flipud=0.5, hsv_h=0, hsv_s=0, hsv_v=0, copy_paste=0.0)
    ds = build_dataset(yaml_path, "train", imgsz=128, augment=aug, seed=1, label_cache=False)
    n_boxes = 0
    for it, img, cls, xyxy in _items(ds, 12):
        assert img.shape == (128, 128, 3)
        _check_boxes_on_pixels(img, cls, xyxy, tight=degrees == 0)
        n_boxes += len(cls)
    assert n_boxes > 10


def test_no_box_outside_image_with_everything_on(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=6, polygons=True)
    aug = AugmentConfig(mixup=0.5, copy_paste=0.6, degrees=20, shear=5, perspective=0.0005, scale=0.9,
                        flipud=0.5)
    ds = build_dataset(yaml_path, "train", imgsz=96, augment=aug, seed=3, label_cache=False)
    for it, img, cls, xyxy in _items(ds, 24):
        b = it["bboxes"].numpy()
        assert np.isfinite(b).all() and (b[:, 2:] > 0).all()
        assert (xyxy >= -1e-4).all() and (xyxy[:, [0, 2]] <= 96 + 1e-3).all() and (xyxy[:, [1, 3]] <= 96 + 1e-3).all()
        assert "segments" in it and it["segments"].shape[0] == len(cls)


def test_seeded_augmentation_is_deterministic(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=4)
    aug = augment_defaults("x")
    a = build_dataset(yaml_path, "train", imgsz=64, augment=aug, seed=7, label_cache=False)
    b = build_dataset(yaml_path, "train", imgsz=64, augment=aug, seed=7, label_cache=False)
    c = build_dataset(yaml_path, "train", imgsz=64, augment=aug, seed=8, label_cache=False)
    same = differ = 0
    for i in range(4):
        x, y, z = a[i], b[i], c[i]
        assert (x["img"] == y["img"]).all() and (x["bboxes"] == y["bboxes"]).all()
        differ += not (x["img"].shape == z["img"].shape and (x["img"] == z["img"]).all())
        same += 1
    assert differ > 0


def test_close_mosaic_switches_off_mosaic_mixup_copy_paste(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=4)
    ds = build_dataset(yaml_path, "train", imgsz=64, augment=augment_defaults("x"), label_cache=False)
    ds.close_mosaic()
    assert (ds.augment.mosaic, ds.augment.mixup, ds.augment.copy_paste) == (0.0, 0.0, 0.0)
    assert ds.augment.scale == 0.9  # the rest stays


def test_mosaic4_places_labels_with_pixels():
    rng = np.random.default_rng(0)
    tiles = []
    for c in range(4):
        img = np.full((40, 50, 3), 114, np.uint8)
        img[10:30, 5:45] = COLOURS[c]
        tiles.append((img, Labels(np.array([c]), np.array([[5, 10, 45, 30]], np.float32))))
    canvas, labels = mosaic4(tiles, 64, rng)
    assert canvas.shape == (128, 128, 3)
    _check_boxes_on_pixels(canvas, labels.cls, labels.boxes, tight=True)


def test_copy_paste_needs_polygons_and_pastes_flipped():
    rng = np.random.default_rng(0)
    img = np.full((64, 64, 3), 114, np.uint8)
    img[10:30, 5:20] = COLOURS[0]
    box = np.array([[5, 10, 20, 30]], np.float32)
    out, lab = copy_paste_flip(img.copy(), Labels(np.array([0]), box), 1.0, rng)
    assert len(lab) == 1  # no polygons: unchanged
    seg = np.array([[[5, 10], [20, 10], [20, 30], [5, 30]]], np.float32)
    out, lab = copy_paste_flip(img.copy(), Labels(np.array([0]), box, seg), 1.0, rng)
    assert len(lab) == 2
    np.testing.assert_allclose(lab.boxes[1], [44, 10, 59, 30])
    _check_boxes_on_pixels(out, lab.cls, lab.boxes, tight=False)


def test_affine_filters_tiny_boxes():
    rng = np.random.default_rng(0)
    img = np.full((100, 100, 3), 114, np.uint8)
    labels = Labels(np.array([0, 1]), np.array([[10, 10, 60, 60], [0, 0, 2, 30]], np.float32))
    _, out = random_affine(img, labels, rng, translate=0.0, scale=0.0)
    assert out.cls.tolist() == [0]  # a box 2 px wide is dropped (w, h must be > 2 px)


@pytest.mark.parametrize("shape", [(1, 10000), (10000, 1), (3, 70000)])
def test_letterbox_extreme_aspect_ratio_keeps_a_pixel(shape):
    out, r, (pw, ph) = letterbox(np.zeros((*shape, 3), np.uint8), (64, 64))
    assert out.shape == (64, 64, 3) and r > 0


@pytest.mark.parametrize("mode", ["add", "scale"])
def test_hue_jitter_modes(mode):
    """'add' rotates every hue by the same amount (pure red moves too); 'scale' multiplies it (red, hue 0, stays)."""
    import cv2

    from yolov12.data.augment import augment_hsv

    hues = np.array([0, 30, 60, 120], np.uint8)  # red, yellow, green, blue in OpenCV's 0..179
    hsv = np.stack([hues, np.full(4, 255, np.uint8), np.full(4, 255, np.uint8)], -1)[None]
    img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    rng = np.random.default_rng(3)
    r = np.random.default_rng(3).uniform(-1, 1, 3)[0] * 0.1  # the draw augment_hsv makes first
    out = cv2.cvtColor(augment_hsv(img.copy(), rng, 0.1, 0.0, 0.0, hue_mode=mode), cv2.COLOR_BGR2HSV)[0, :, 0]
    expect = (hues + r * 180) % 180 if mode == "add" else (hues * (1 + r)) % 180
    assert np.abs(out.astype(float) - np.floor(expect)).max() <= 1
    if mode == "scale":
        assert out[0] == 0
    else:
        assert abs(int(out[0]) - int(np.floor(r * 180) % 180)) <= 1 and out[0] != 0
    with pytest.raises(ValueError, match="hue_mode"):
        augment_hsv(img, rng, 0.1, 0, 0, hue_mode="rotate")
