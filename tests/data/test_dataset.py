"""YOLODataset internals: the mosaic buffer and the image layout of items."""

import cv2
import numpy as np

from yolov12.data import augment_defaults, build_dataset
from yolov12.data.images import imread

from .conftest import make_dataset


def test_item_image_is_rgb_chw_of_the_bgr_image(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=2)
    ds = build_dataset(yaml_path, "val", imgsz=64, augment=None, label_cache=False)
    item = ds[0]
    bgr, _, _ = ds._letterboxed(0)
    assert item["img"].is_contiguous() and item["img"].shape == (3, 64, 64)
    np.testing.assert_array_equal(item["img"].numpy(), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).transpose(2, 0, 1))


def test_mosaic_partners_come_from_the_bounded_buffer_which_reseed_empties(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=6)
    ds = build_dataset(yaml_path, "train", imgsz=64, augment=augment_defaults("n"), batch_size=1, seed=0,
                       label_cache=False)
    assert ds.max_buffer == 6  # min(images, 8 * batch, 1000)
    ds.max_buffer = 3
    loaded = []
    real = ds._decode
    ds._decode = lambda i: (loaded.append(i), real(i))[1]
    for i in range(6):
        ds[i]
        assert len(ds._buffer) <= 3 and i in ds._buffer  # the image itself entered the buffer
    # 6 mosaics decoded far fewer than 4 x 6 images: the partners were buffered images
    assert len(loaded) < 12, loaded
    assert list(ds._buffer) == sorted(ds._buffer, key=lambda j: loaded[::-1].index(j), reverse=True)  # oldest first
    np.testing.assert_array_equal(ds.load_image(5)[0], ds._buffer[5])
    ds.reseed(1)
    assert not ds._buffer
    # the buffer holds the same pixels a fresh decode gives; validation datasets keep none
    np.testing.assert_array_equal(ds.load_image(2)[0], cv2.resize(imread(ds.samples[2].im_file), ds.load_image(2)[0].shape[1::-1], interpolation=cv2.INTER_LINEAR))
    assert build_dataset(yaml_path, "val", imgsz=64, augment=None, label_cache=False).max_buffer == 0


def test_a_reseeded_epoch_repeats_exactly(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=6)
    ds = build_dataset(yaml_path, "train", imgsz=64, augment=augment_defaults("n"), batch_size=2, seed=0,
                       label_cache=False)
    first = [ds[i] for i in range(6)]
    ds.reseed(0)
    again = [ds[i] for i in range(6)]
    for a, b in zip(first, again):
        assert np.array_equal(a["img"].numpy(), b["img"].numpy()) and np.array_equal(a["bboxes"], b["bboxes"])
