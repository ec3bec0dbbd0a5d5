"""Pose data: data.yaml keypoint keys, strict label lines, keypoints carried through every augmentation (checked by
construction: each keypoint sits on a coloured dot drawn into the image, and must still sit on it after the
transform), hidden when they leave the image, batched as ``keypoints``."""


import numpy as np
import pytest
import yaml

from yolov12.data import build_dataloader, build_dataset, load_data_config
from yolov12.data.augment import AugmentConfig, Labels, flip_lr, flip_ud, mixup, mosaic4, random_affine
from yolov12.data.config import DataConfigError
from yolov12.data.labels import LabelFormat, parse_label_text
from tests.data.pose_fixtures import assert_on_dots, pose_dataset, scene

POSE4 = LabelFormat("pose", (4, 3))


# ----- data.yaml ---------------------------------------------------------------------------------------------
def _yaml(tmp_path, **extra):
    (tmp_path / "images").mkdir(exist_ok=True)
    f = tmp_path / "data.yaml"
    f.write_text(yaml.safe_dump({"path": str(tmp_path), "train": "images", "names": ["a"], **extra}))
    return f


def test_data_yaml_keypoint_keys(tmp_path):
    cfg = load_data_config(_yaml(tmp_path, kpt_shape=[4, 3], flip_idx=[1, 0, 3, 2], kpt_oks_sigmas=[.1] * 4))
    assert cfg.kpt_shape == (4, 3) and cfg.flip_idx == [1, 0, 3, 2] and cfg.kpt_oks_sigmas == [.1] * 4
    assert load_data_config(_yaml(tmp_path)).kpt_shape is None


@pytest.mark.parametrize("extra, match", [
    ({"kpt_shape": [4, 4]}, "kpt_shape"),
    ({"kpt_shape": "4,3"}, "kpt_shape"),
    ({"kpt_shape": [4, 3], "flip_idx": [0, 1, 2]}, "flip_idx"),
    ({"kpt_shape": [4, 3], "flip_idx": [0, 0, 1, 2]}, "flip_idx"),
    ({"kpt_shape": [4, 3], "kpt_oks_sigmas": [0.1] * 3}, "kpt_oks_sigmas"),
    ({"kpt_shape": [4, 3], "kpt_oks_sigmas": [0.1, 0.1, -1, 0.1]}, "kpt_oks_sigmas"),
    ({"flip_idx": [1, 0]}, "without kpt_shape"),
])
def test_data_yaml_keypoint_errors(tmp_path, extra, match):
    with pytest.raises(DataConfigError, match=match):
        load_data_config(_yaml(tmp_path, **extra))


# ----- label lines -------------------------------------------------------------------------------------------
def test_pose_lines_parsed_strictly():
    good = "0 0.5 0.5 0.4 0.4 0.3 0.3 2 0.7 0.3 1 0.7 0.7 0 0 0 0"
    text = "\n".join([
        good,
        "0 0.5 0.5 0.4 0.4 0.3 0.3 2 0.7 0.3 1",  # too few columns
        "0 0.5 0.5 0.4 0.4 0.3 0.3 3 0.7 0.3 1 0.7 0.7 0 0 0 0",  # visibility 3
        "0 0.5 0.5 0.4 0.4 0.3 0.3 2 0.7 0.3 0.5 0.7 0.7 0 0 0 0",  # visibility 0.5
        "0 0.5 0.5 0.4 0.4 1.8 0.3 2 0.7 0.3 1 0.7 0.7 0 0 0 0",  # labelled keypoint far outside
    ])
    res = parse_label_text(text, 1, "f.txt", POSE4)
    assert len(res.cls) == 1 and res.dropped == 4 and res.keypoints.shape == (1, 4, 3)
    np.testing.assert_allclose(res.keypoints[0], [[.3, .3, 2], [.7, .3, 1], [0, 0, 0], [0, 0, 0]], atol=1e-6)  # unlabelled at (0, 0)
    assert "f.txt:2: 11 columns" in res.problems[0] and "17 columns" in res.problems[0]
    assert "f.txt:3" in res.problems[1] and "visibility 3" in res.problems[1]
    assert "visibility 0.5" in res.problems[2]
    assert "far outside" in res.problems[3]
    assert parse_label_text("", 1, "e.txt", POSE4).keypoints.shape == (0, 4, 3)


def test_two_value_keypoints_negative_is_unlabelled():
    res = parse_label_text("0 0.5 0.5 0.4 0.4 0.3 0.3 -1 -1 0.7 0.7", 1, "f", LabelFormat("pose", (3, 2)))
    np.testing.assert_allclose(res.keypoints[0], [[.3, .3, 2], [0, 0, 0], [.7, .7, 2]], atol=1e-6)


# ----- augmentations by construction -------------------------------------------------------------------------
def test_scene_is_consistent():
    img, lab = scene(np.random.default_rng(0))
    assert_on_dots(img, lab, 8)


@pytest.mark.parametrize("seed", range(4))
def test_random_affine_moves_keypoints_with_the_image(seed):
    rng = np.random.default_rng(seed)
    img, lab = scene(rng)
    out, lab2 = random_affine(img, lab, rng, degrees=20, translate=0.1, scale=0.3, shear=5, perspective=0.0005)
    assert lab2.keypoints.shape[1:] == (4, 3)
    assert_on_dots(out, lab2)


def test_keypoints_leaving_the_image_become_unlabelled_not_clipped():
    lab = Labels(np.zeros(1, np.int64), np.array([[10, 10, 50, 50]], np.float32), None,
                 np.array([[[20, 20, 2], [-5, 30, 2], [30, 70, 1], [40, 40, 0]]], np.float32))
    lab.clip(64, 64)
    np.testing.assert_array_equal(lab.keypoints[0], [[20, 20, 2], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    moved = Labels(np.zeros(1, np.int64), np.array([[10, 10, 50, 50]], np.float32), None,
                   np.array([[[20, 20, 2], [60, 20, 2], [60, 60, 2], [20, 60, 2]]], np.float32)).transformed(1, 1, -30, 0)
    moved.clip(64, 64)
    assert moved.keypoints[0, :, 2].tolist() == [0, 2, 2, 0]


def test_flip_lr_reorders_by_flip_idx():
    img, lab = scene(np.random.default_rng(1), n=1)
    out, lab2 = flip_lr(img, lab, [1, 0, 3, 2])
    w = img.shape[1]
    for j, src in enumerate([1, 0, 3, 2]):
        np.testing.assert_allclose(lab2.keypoints[0, j, 0], w - lab.keypoints[0, src, 0])
        np.testing.assert_allclose(lab2.keypoints[0, j, 1], lab.keypoints[0, src, 1])
    assert_on_dots(out, lab2, 4)
    assert lab2.keypoints[0, 0, 0] < lab2.keypoints[0, 1, 0]  # keypoint 0 is the left one again
    with pytest.raises(ValueError, match="flip_idx"):
        flip_lr(img, lab)
    out, lab3 = flip_ud(img, lab)
    assert_on_dots(out, lab3, 4)


def test_mosaic_and_mixup_carry_keypoints():
    rng = np.random.default_rng(2)
    tiles = [scene(rng) for _ in range(4)]
    canvas, lab = mosaic4(tiles, 160, rng)
    assert lab.keypoints is not None and len(lab.keypoints) == len(lab)
    assert_on_dots(canvas, lab)
    a, b = scene(rng), scene(rng)
    _, mixed = mixup(a[0], a[1], b[0], b[1], rng)
    np.testing.assert_array_equal(mixed.keypoints, np.concatenate([a[1].keypoints, b[1].keypoints]))


# ----- dataset -----------------------------------------------------------------------------------------------
def test_dataset_items_keypoints_on_dots_through_every_augmentation(tmp_path):
    data = pose_dataset(tmp_path)
    aug = AugmentConfig(mosaic=1.0, mixup=0.0, copy_paste=0.0, degrees=10, translate=0.1, scale=0.3, shear=2,
                        fliplr=0.5, flipud=0.5, hsv_h=0, hsv_s=0, hsv_v=0)
    ds = build_dataset(data, "train", 160, augment=aug, label_format=POSE4, label_cache=False, workers=0, seed=3)
    checked = 0
    for i in range(len(ds)):
        item = ds[i]
        img = item["img"].numpy().transpose(1, 2, 0)[..., ::-1]  # RGB CHW -> BGR HWC
        h, w = img.shape[:2]
        k = item["keypoints"].numpy() * np.array([w, h, 1], np.float32)
        assert k.shape == (len(item["cls"]), 4, 3)
        assert_on_dots(np.ascontiguousarray(img), Labels(item["cls"].numpy(), np.zeros((len(k), 4)), None, k), 0)
        checked += int((k[..., 2] > 0).sum())
    assert checked > 10
    val = build_dataset(data, "val", 160, augment=None, rect=True, batch_size=3, label_format=POSE4,
                        label_cache=False, workers=0)
    batch = next(iter(build_dataloader(val, 3, 0, shuffle=False)))
    assert batch["keypoints"].shape == (len(batch["cls"]), 4, 3)
    H, W = batch["img"].shape[2:]
    for i in range(3):
        sel = batch["batch_idx"] == i
        k = batch["keypoints"][sel].numpy() * np.array([W, H, 1], np.float32)
        img = np.ascontiguousarray(batch["img"][i].numpy().transpose(1, 2, 0)[..., ::-1])
        assert_on_dots(img, Labels(np.zeros(len(k), np.int64), np.zeros((len(k), 4)), None, k), 4)


def test_label_cache_round_trips_keypoints(tmp_path):
    data = pose_dataset(tmp_path, n=2)
    a = build_dataset(data, "train", 160, label_format=POSE4, workers=0)
    b = build_dataset(data, "train", 160, label_format=POSE4, workers=0)  # from the cache
    for sa, sb in zip(a.samples, b.samples):
        np.testing.assert_array_equal(sa.keypoints, sb.keypoints)


def test_flip_without_flip_idx_is_switched_off(tmp_path, caplog):
    data = pose_dataset(tmp_path, n=2, flip_idx=False)
    ds = build_dataset(data, "train", 160, augment=AugmentConfig(fliplr=0.5), label_format=POSE4,
                       label_cache=False, workers=0)
    assert ds.augment.fliplr == 0.0
    assert "flip_idx" in caplog.text
