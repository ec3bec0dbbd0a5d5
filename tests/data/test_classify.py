"""Folder datasets for classification: config, scanning, bad input, augmentations (shapes, ranges, by
construction), batches."""

import logging

import cv2
import numpy as np
import pytest
import torch

from yolov12.data import DataConfigError, build_dataloader
from yolov12.data.classify import (
    RAND_AUGMENT_OPS, ClassifyAugment, ClassifyDataset, _op, center_crop_resize, classify_data_config,
    rand_augment, random_erasing, random_resized_crop,
)
from yolov12.data.compose_classify import build_digits_cls_dataset, resolve_classify_data


def _img(h=40, w=60, value=None, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8) if value is None else np.full((h, w, 3), value, np.uint8)


def _folders(root, splits={"train": {"cat": 3, "dog": 2}, "val": {"cat": 1, "dog": 1}}):
    for split, classes in splits.items():
        for c, n in classes.items():
            d = root / split / c
            d.mkdir(parents=True, exist_ok=True)
            for k in range(n):
                cv2.imwrite(str(d / f"{k}.png"), _img(seed=k))
    return root


def test_config_names_from_sorted_folders_and_yaml(tmp_path):
    root = _folders(tmp_path / "ds", {"train": {"zebra": 1, "ant": 1, "moth": 1}, "val": {"ant": 1}})
    cfg = classify_data_config(root)
    assert cfg.names == ["ant", "moth", "zebra"]
    assert cfg.train == [root.resolve() / "train"] and cfg.val == [root.resolve() / "val"] and cfg.test == []
    (tmp_path / "data.yaml").write_text("path: ds\n")
    assert classify_data_config(tmp_path / "data.yaml").names == ["ant", "moth", "zebra"]


def test_config_falls_back_to_test_for_val(tmp_path):
    root = _folders(tmp_path, {"train": {"a": 1, "b": 1}, "test": {"a": 1, "b": 1}})
    assert classify_data_config(root).val == [root.resolve() / "test"]


@pytest.mark.parametrize("layout, match", [
    ({"train": {"only": 2}, "val": {"only": 1}}, "at least 2 classes, found 1 .*'only'"),
    ({"images": {"a": 1}}, "no train/ or val/ folder"),
])
def test_config_errors(tmp_path, layout, match):
    with pytest.raises(DataConfigError, match=match):
        classify_data_config(_folders(tmp_path, layout))


def test_not_a_folder(tmp_path):
    with pytest.raises(DataConfigError, match="must be a folder"):
        classify_data_config(tmp_path / "missing")
    with pytest.raises(ValueError, match="detection dataset.*digits-cls"):
        resolve_classify_data("digits")


def test_val_class_missing_or_empty_is_named_and_unknown_class_is_an_error(tmp_path, caplog):
    root = _folders(tmp_path, {"train": {"a": 1, "b": 1, "c": 1}, "val": {"a": 1}})
    (root / "val" / "b").mkdir()  # empty; c missing
    cfg = classify_data_config(root)
    with caplog.at_level(logging.WARNING, logger="yolov12"):
        ds = ClassifyDataset.from_config(cfg, "val", 32, workers=1)
    assert len(ds) == 1
    assert "2 class folder(s) missing or without images: 'b', 'c'" in caplog.text
    (root / "val" / "d").mkdir()
    with pytest.raises(DataConfigError, match="'d' are not among the 3 training classes"):
        ClassifyDataset.from_config(cfg, "val", 32, workers=1)


@pytest.mark.parametrize("cache", [None, "ram"])
def test_bad_images_counted_and_skipped(tmp_path, caplog, cache):
    root = _folders(tmp_path)
    (root / "train" / "cat" / "bad.jpg").write_bytes(b"not an image")
    (root / "train" / "dog" / "empty.png").write_bytes(b"")
    (root / "train" / "dog" / "notes.txt").write_text("ignored: not an image file")
    with caplog.at_level(logging.WARNING, logger="yolov12"):
        ds = ClassifyDataset.from_config(classify_data_config(root), "train", 32, cache=cache, workers=2)
    assert len(ds) == 5 and ds.stats.corrupt == 2
    assert "bad.jpg" in caplog.text and "empty.png" in caplog.text
    assert {f.split("/")[-1] for f in ds.im_files} == {"0.png", "1.png", "2.png"}


def test_no_usable_image_is_an_error(tmp_path):
    root = _folders(tmp_path, {"train": {"a": 0, "b": 0}, "val": {"a": 0, "b": 0}})
    (root / "val" / "a" / "x.jpg").write_bytes(b"junk")
    with pytest.raises(DataConfigError, match="no usable images"):
        ClassifyDataset.from_config(classify_data_config(root), "val", 32, workers=1)


def test_center_crop_resize_by_construction():
    img = np.zeros((100, 200, 3), np.uint8)
    img[:, 50:150] = 255  # the centre square is white, the sides black
    out = center_crop_resize(img, 50)
    assert out.shape == (50, 50, 3) and out.min() == 255
    assert center_crop_resize(_img(30, 20), (64, 32)).shape == (64, 32, 3)


def test_random_resized_crop_shapes_and_content():
    rng = np.random.default_rng(0)
    img = _img(80, 120)
    for _ in range(20):
        out = random_resized_crop(img, 48, rng, (0.08, 1.0))
        assert out.shape == (48, 48, 3) and out.dtype == np.uint8
    flat = _img(80, 120, value=77)
    assert (random_resized_crop(flat, 32, rng, (0.5, 1.0)) == 77).all()  # a crop of a flat image stays flat


def test_rand_augment_ops_keep_shape_dtype():
    rng = np.random.default_rng(1)
    img = _img(48, 48)
    for name in RAND_AUGMENT_OPS:
        out = _op(img.copy(), name, 0.3, rng)
        assert out.shape == img.shape and out.dtype == np.uint8, name
    assert (_op(img, "identity", 1.0, rng) == img).all()
    assert (_op(img, "solarize", 1.0, rng) == 255 - img).all()  # threshold 0: every pixel inverted
    assert rand_augment(img.copy(), rng).shape == img.shape


def test_random_erasing():
    rng = np.random.default_rng(2)
    img = _img(64, 64, value=0)
    assert (random_erasing(img, rng, 0.0) == 0).all()
    out = random_erasing(img, rng, 1.0)
    frac = (out != 0).any(2).mean()
    assert 0.01 < frac <= 0.34 and (img == 0).all()  # one rectangle of 2-33 % of the area; input untouched


def test_augment_flip_by_construction():
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, :16] = 255  # left half white
    aug = ClassifyAugment(scale=(1.0, 1.0), ratio=(1.0, 1.0), fliplr=1.0, hsv_h=0, hsv_s=0, hsv_v=0)
    out = aug(img, 32, np.random.default_rng(0))
    assert out[:, 20:].min() == 255 and out[:, :12].max() == 0  # now the right half


def test_augment_config_from_hyp_and_errors():
    a = ClassifyAugment.from_hyp({"scale": None, "hsv_s": 0.7, "auto_augment": "randaugment", "erasing": 0.4}, 0.5)
    assert a.scale == (0.5, 1.0) and a.hsv_s == 0.7 and a.auto_augment == "randaugment" and a.erasing == 0.4
    with pytest.raises(ValueError, match="auto_augment"):
        ClassifyAugment(auto_augment="autoaugment")
    with pytest.raises(ValueError, match="scale"):
        ClassifyAugment(scale=(0.0, 1.0))


def test_batches_and_ram_cache_match(tmp_path):
    root = _folders(tmp_path)
    cfg = classify_data_config(root)
    plain = ClassifyDataset.from_config(cfg, "train", 32, workers=1)
    ram = ClassifyDataset.from_config(cfg, "train", 32, cache="ram", workers=1)
    b = next(iter(build_dataloader(plain, 4, 0, shuffle=False)))
    assert b["img"].shape == (4, 3, 32, 32) and b["img"].dtype == torch.uint8
    assert b["cls"].tolist() == [0, 0, 0, 1] and b["cls"].dtype == torch.int64
    assert b["batch_idx"].tolist() == [0, 1, 2, 3] and b["bboxes"].shape == (4, 4) and len(b["ratio_pad"]) == 4
    assert torch.equal(b["img"], next(iter(build_dataloader(ram, 4, 0, shuffle=False)))["img"])
    aug = ClassifyDataset.from_config(cfg, "train", 32, augment=ClassifyAugment(), workers=1)
    x = torch.stack([aug[0]["img"] for _ in range(3)])
    assert x.shape == (3, 3, 32, 32) and not torch.equal(x[0], x[1])  # random


def test_digits_cls(tmp_path):
    root = build_digits_cls_dataset(tmp_path, per_class_train=3, per_class_val=2)
    cfg = classify_data_config(root)
    assert cfg.names == [str(i) for i in range(10)]
    tr = ClassifyDataset.from_config(cfg, "train", 32, workers=1)
    va = ClassifyDataset.from_config(cfg, "val", 32, workers=1)
    assert len(tr) == 30 and len(va) == 20
    assert not {p.split("/")[-1] for p in tr.im_files} & {p.split("/")[-1] for p in va.im_files}  # disjoint digits
