"""Segment data: strict polygon labels, masks in the batch, and every augmentation keeping masks on their objects."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.data.conftest import COLOURS
from yolov12.data import AugmentConfig
from yolov12.data.labels import LabelFormat, parse_label_text
from yolov12.data.loader import build_dataloader, build_dataset
from yolov12.ops.masks import overlap_masks

SEG = LabelFormat("segment")


def _poly_dataset(root: Path, n: int = 4, seed: int = 0) -> Path:
    """Grey images with non-overlapping solid triangles / diamonds; class = colour index; polygon labels."""
    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for k in range(n):
            h, w = (96, 128) if k % 2 else (128, 96)
            img = np.full((h, w, 3), 114, np.uint8)
            lines = []
            cells = [(x, y) for x in (0, w // 2) for y in (0, h // 2)]
            for c, (x0, y0) in enumerate(cells[: int(rng.integers(1, 5)) if k != 3 else 0]):  # im3: no objects
                cw, ch = w // 2, h // 2
                if c % 2:
                    pts = np.array([[x0 + 4, y0 + ch - 4], [x0 + cw // 2, y0 + 4], [x0 + cw - 4, y0 + ch - 4]])
                else:
                    pts = np.array([[x0 + cw // 2, y0 + 3], [x0 + cw - 3, y0 + ch // 2], [x0 + cw // 2, y0 + ch - 3],
                                    [x0 + 3, y0 + ch // 2]])
                cv2.fillPoly(img, [pts.astype(np.int32)], COLOURS[c])
                lines.append(" ".join([str(c)] + [f"{v:.6f}" for v in ((pts + 0.5) / [w, h]).reshape(-1)]))
            cv2.imwrite(str(root / "images" / split / f"im{k}.png"), img)
            (root / "labels" / split / f"im{k}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames: [a, b, c, d]\n")
    return root / "data.yaml"


def test_segment_labels_are_read_strictly():
    text = "0 0.1 0.1 0.5 0.1 0.3 0.4\n1 0.5 0.5 0.2 0.2\n2 0.1 0.1 0.2 0.2\n"
    res = parse_label_text(text, 3, "x.txt", SEG)
    assert res.cls.tolist() == [0] and len(res.segments) == 1
    assert res.dropped == 2 and all("segment labels are class and a polygon" in p for p in res.problems)


def test_overlap_masks_largest_first_smaller_on_top():
    m = np.zeros((3, 8, 8), np.uint8)
    m[0, :2, :2] = 1  # 4 px
    m[1, :, :] = 1  # 64 px
    m[2, :4, :4] = 1  # 16 px
    index, order = overlap_masks(m)
    assert order.tolist() == [1, 2, 0]
    assert index[0, 0] == 3 and index[3, 3] == 2 and index[7, 7] == 1


def _check_cover(img: np.ndarray, masks: np.ndarray, cls: np.ndarray, min_frac: float = 0.85) -> int:
    """Every mask's pixels have its class colour; every class colour's pixels are under a mask of that class.

    Masks cut by the image border are checked too (the polygons are clipped as shapes, not their vertices moved
    onto the border, which smeared a cut object's mask along it). Returns (masks checked, of them cut by the
    border)."""
    checked = cut = 0
    for m, c in zip(masks.astype(bool), cls.astype(int)):
        if m.sum() < 12:
            continue
        colour = np.abs(img[m].astype(int) - np.array(COLOURS[c])).max(1) < 40
        assert colour.mean() > min_frac, (c, colour.mean())
        checked += 1
        cut += bool(m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any())
    for c in np.unique(cls.astype(int)):
        exact = np.abs(img.astype(int) - np.array(COLOURS[c])).max(2) < 10
        union = masks[cls.astype(int) == c].astype(bool).any(0)
        if exact.sum() > 20:
            assert (exact & union).sum() / exact.sum() > min_frac, c
    return checked, cut


@pytest.mark.parametrize("overlap", [False, True])
def test_augmented_masks_cover_their_objects(tmp_path, overlap):
    """Mosaic, random affine (rotation, scale, shear), flips and copy-paste: each transformed sample's masks still
    sit on exactly their objects' pixels (BGR->RGB undone for the colour check)."""
    yaml_path = _poly_dataset(tmp_path / "ds")
    aug = AugmentConfig(mosaic=1.0, mixup=0.0, copy_paste=1.0, degrees=20.0, translate=0.1, scale=0.3, shear=5.0,
                        fliplr=0.5, flipud=0.5, hsv_h=0.0, hsv_s=0.0, hsv_v=0.0)
    ds = build_dataset(yaml_path, "train", imgsz=128, augment=aug, label_format=SEG, mask_ratio=1,
                       overlap_mask=overlap, label_cache=False, workers=0)
    checked = cut = 0
    for seed in range(6):
        ds.reseed(seed)
        for i in range(len(ds)):
            it = ds[i]
            img = it["img"].numpy().transpose(1, 2, 0)[..., ::-1]  # RGB CHW -> BGR HWC (COLOURS are BGR)
            cls = it["cls"].numpy()
            m = it["masks"].numpy()
            for seg in it["segments"].numpy():  # no object kept whose polygon has nothing left in the image
                x, y = seg[:, 0].astype(np.float64), seg[:, 1].astype(np.float64)
                assert abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 1e-6
            if overlap:
                assert m.shape == img.shape[:2]
                m = np.stack([m == j + 1 for j in range(len(cls))]) if len(cls) else np.zeros((0, *m.shape))
            else:
                assert m.shape == (len(cls), *img.shape[:2])
            n_checked, n_cut = _check_cover(img, m, cls)
            checked, cut = checked + n_checked, cut + n_cut
    assert checked > 20 and cut > 5, (checked, cut)


def test_batch_masks_overlap_and_per_object(tmp_path):
    yaml_path = _poly_dataset(tmp_path / "ds")
    for overlap in (True, False):
        ds = build_dataset(yaml_path, "val", imgsz=64, augment=None, rect=True, batch_size=4, label_format=SEG,
                           overlap_mask=overlap, label_cache=False, workers=0)
        batch = next(iter(build_dataloader(ds, 4, 0, shuffle=False)))
        n = len(batch["cls"])
        H, W = batch["img"].shape[2:]
        if overlap:
            assert batch["masks"].shape == (4, H // 4, W // 4)
            for i in range(4):  # index values are 1..n_i for image i
                k = int((batch["batch_idx"] == i).sum())
                assert int(batch["masks"][i].max()) <= k
        else:
            assert batch["masks"].shape == (n, H // 4, W // 4)
            assert (batch["masks"].flatten(1).sum(1) > 0).all()


def test_detect_dataset_has_no_masks(tmp_path):
    yaml_path = _poly_dataset(tmp_path / "ds")
    ds = build_dataset(yaml_path, "val", imgsz=64, label_cache=False, workers=0)
    assert "masks" not in ds[0]
