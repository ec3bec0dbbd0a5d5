"""The batch dict contract, rect validation batches, ratio_pad mapping, seeding, caches, embedded data."""

import os

import numpy as np
import pytest
import torch

from yolov12.data import augment_defaults, build_dataloader, build_dataset, load_data_config
from yolov12.data.dataset import rect_batch_shapes
from yolov12.data.embedded import embedded_dataset

from .conftest import make_dataset


def _check_contract(batch, bs):
    img = batch["img"]
    assert img.dtype == torch.uint8 and img.ndim == 4 and img.shape[:2] == (bs, 3) and img.is_contiguous()
    n = len(batch["cls"])
    assert batch["batch_idx"].dtype == torch.float32 and batch["batch_idx"].shape == (n,)
    assert batch["cls"].dtype == torch.float32 and batch["bboxes"].shape == (n, 4)
    assert batch["bboxes"].dtype == torch.float32
    assert ((batch["bboxes"] >= 0) & (batch["bboxes"] <= 1)).all()
    assert set(batch["batch_idx"].tolist()) <= set(range(bs))
    for key in ("im_file", "ori_shape", "resized_shape", "ratio_pad"):
        assert len(batch[key]) == bs
    assert all(tuple(s) == tuple(img.shape[2:]) for s in batch["resized_shape"])


def test_train_batches_follow_contract(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=6)
    ds = build_dataset(yaml_path, "train", imgsz=64, augment=augment_defaults("s"), label_cache=False)
    loader = build_dataloader(ds, batch_size=4, workers=0, seed=0)
    batches = list(loader)
    assert len(batches) == 2
    _check_contract(batches[0], 4)
    assert batches[0]["img"].shape[2:] == (64, 64)


def test_val_rect_batches_and_ratio_pad_maps_back_to_original(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=6)
    cfg = load_data_config(yaml_path)
    ds = build_dataset(cfg, "val", imgsz=64, augment=None, rect=True, batch_size=3, label_cache=False)
    loader = build_dataloader(ds, batch_size=3, workers=0, shuffle=True)  # shuffle ignored for rect
    shapes = set()
    for batch in loader:
        _check_contract(batch, 3)
        H, W = batch["img"].shape[2:]
        shapes.add((H, W))
        # labels mapped back with ratio_pad match the label files in original pixels
        for i, f in enumerate(batch["im_file"]):
            h0, w0 = batch["ori_shape"][i]
            gain, (pw, ph) = batch["ratio_pad"][i]
            b = batch["bboxes"][batch["batch_idx"] == i].numpy() * [W, H, W, H]
            orig = np.stack([(b[:, 0] - pw) / gain, (b[:, 1] - ph) / gain, b[:, 2] / gain, b[:, 3] / gain], 1)
            lines = np.loadtxt(f.replace("images", "labels").replace(".png", ".txt"), ndmin=2)
            want = lines[:, 1:] * [w0, h0, w0, h0]
            np.testing.assert_allclose(orig, want, atol=1.5)
    # landscape (60x90) and portrait (96x64) images -> two rect shapes, long side 64 + pad
    assert shapes == {(64, 96), (96, 64)}


def test_rect_batch_shape_formula():
    shapes = np.array([[100, 200], [120, 200], [300, 200], [400, 200]], float)
    bs = rect_batch_shapes(shapes, batch_size=2, imgsz=640, stride=32, pad=0.5)
    # batch 0: max aspect 0.6 -> h = ceil(0.6 * 20 + 0.5) * 32 = 416, w = ceil(20.5) * 32 = 672
    assert bs.tolist() == [[416, 672], [672, 448]]


def test_seeded_loader_with_workers_is_reproducible(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=4)

    def run(seed):
        ds = build_dataset(yaml_path, "train", imgsz=64, augment=augment_defaults("n"), label_cache=False)
        return [b["img"].clone() for b in build_dataloader(ds, batch_size=2, workers=2, seed=seed)]

    a, b, c = run(0), run(0), run(1)
    assert all((x == y).all() for x, y in zip(a, b))
    assert any(not (x == y).all() for x, y in zip(a, c))


@pytest.mark.parametrize("cache", ["ram", "disk"])
def test_image_caches_give_identical_items(tmp_path, cache):
    yaml_path = make_dataset(tmp_path / "ds", n=3)
    plain = build_dataset(yaml_path, "val", imgsz=64, label_cache=False)
    cached = build_dataset(yaml_path, "val", imgsz=64, cache=cache, cache_dir=tmp_path / "c", label_cache=False)
    for i in range(3):
        assert (plain[i]["img"] == cached[i]["img"]).all()
    if cache == "disk":
        assert len(list((tmp_path / "c").glob("*.npy"))) == 3


def test_distributed_split(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=6)
    files = []
    for rank in (0, 1):
        ds = build_dataset(yaml_path, "val", imgsz=64, label_cache=False)
        loader = build_dataloader(ds, batch_size=3, workers=0, shuffle=False, rank=rank, world_size=2)
        files.append([f for b in loader for f in b["im_file"]])
    assert len(files[0]) == len(files[1]) == 3 and not set(files[0]) & set(files[1])


def test_segments_in_batch(tmp_path):
    yaml_path = make_dataset(tmp_path / "ds", n=2, polygons=True)
    ds = build_dataset(yaml_path, "val", imgsz=64, label_cache=False)
    batch = next(iter(build_dataloader(ds, batch_size=2, workers=0, shuffle=False)))
    assert len(batch["segments"]) == 2
    assert sum(len(s) for s in batch["segments"]) == len(batch["cls"])


def test_embedded_datasets(tmp_path):
    yaml_path = embedded_dataset("digits", root=tmp_path / "digits", n_train=8, n_val=4)
    cfg = load_data_config(yaml_path)
    assert cfg.names == [str(i) for i in range(10)]
    ds = build_dataset(cfg, "train", imgsz=64, label_cache=False)
    assert len(ds) == 8 and sum(len(s) for s in ds.samples) >= 8
    again = embedded_dataset("digits", root=tmp_path / "digits2", n_train=8, n_val=4)
    a = sorted((tmp_path / "digits" / "labels" / "train").glob("*.txt"))
    b = sorted(again.parent.joinpath("labels", "train").glob("*.txt"))
    assert [x.read_text() for x in a] == [x.read_text() for x in b]  # deterministic
    trees = load_data_config(embedded_dataset("trees", root=tmp_path / "trees"))
    tds = build_dataset(trees, "train", imgsz=64, label_cache=False)
    assert trees.names == ["Tree"] and sum(len(s) for s in tds.samples) > 50
    vds = build_dataset(trees, "val", imgsz=64, label_cache=False)
    assert all(len(s) > 0 for s in vds.samples)  # every shipped val tile has crowns (SOAP_061's 'Alive'/'Dead')


def test_disk_cache_per_file_name_and_refreshed_when_the_image_changes(tmp_path):
    """a.png and a.jpg get their own cache files; an image edited after caching is decoded again."""
    import cv2

    from yolov12.data import Sample
    from yolov12.data.dataset import YOLODataset

    im = tmp_path / "images"
    im.mkdir()
    cv2.imwrite(str(im / "a.png"), np.full((32, 32, 3), 10, np.uint8))
    cv2.imwrite(str(im / "a.bmp"), np.full((32, 32, 3), 200, np.uint8))
    samples = [Sample(str(im / n), (32, 32), np.zeros(0), np.zeros((0, 4))) for n in ("a.png", "a.bmp")]
    ds = YOLODataset(samples, imgsz=32, cache="disk")
    assert sorted(p.name for p in im.glob("*.npy")) == ["a.bmp.npy", "a.png.npy"]
    assert [int(ds.load_image(i)[0].mean()) for i in range(2)] == [10, 200]
    cv2.imwrite(str(im / "a.png"), np.full((32, 32, 3), 90, np.uint8))
    os.utime(im / "a.png", ns=(1, 1))  # a replaced image, even with an older time stamp
    ds = YOLODataset(samples, imgsz=32, cache="disk")
    assert int(ds.load_image(0)[0].mean()) == 90
