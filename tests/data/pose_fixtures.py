"""A tiny pose dataset made by construction: coloured dots at the keypoints of cards (shared by pose tests)."""

from pathlib import Path

import cv2
import numpy as np
import yaml

from yolov12.data.augment import Labels

# keypoints 0/1 and 2/3 swap under a left-right flip and share a colour, so "keypoint j sits on colour j" holds
# after any flip; the reordering itself is checked explicitly in test_flip_lr_reorders_by_flip_idx
COLOURS = np.array([[0, 0, 255], [0, 0, 255], [0, 255, 0], [0, 255, 0]], np.uint8)  # BGR: red, red, green, green


def scene(rng, h=160, w=160, n=2, radius=5):
    """An image with n objects, each with 4 keypoints drawn as coloured dots; pixel Labels."""
    img = np.full((h, w, 3), 114, np.uint8)
    kpts, boxes = [], []
    for _ in range(n):
        cx, cy = rng.uniform(40, w - 40), rng.uniform(40, h - 40)
        pts = np.array([[cx - 20, cy - 20], [cx + 20, cy - 20], [cx + 20, cy + 20], [cx - 20, cy + 20]])
        pts = pts + rng.uniform(-5, 5, pts.shape)
        kpts.append(np.concatenate([pts, np.full((4, 1), 2.0)], 1))
        boxes.append([*pts.min(0) - 3, *pts.max(0) + 3])
    for obj in kpts:
        for j, (x, y, _) in enumerate(obj):
            cv2.circle(img, (int(x), int(y)), radius, COLOURS[j].tolist(), -1)
    return img, Labels(np.zeros(n, np.int64), np.array(boxes, np.float32), None, np.array(kpts, np.float32))


def assert_on_dots(img, labels, min_checked=1):
    """Every labelled keypoint j lies on a dot of colour j (within a pixel)."""
    k = labels.keypoints
    checked = 0
    for obj in k:
        for j, (x, y, v) in enumerate(obj):
            if v == 0:
                continue
            assert 0 <= x < img.shape[1] and 0 <= y < img.shape[0]
            patch = img[max(int(y) - 1, 0): int(y) + 2, max(int(x) - 1, 0): int(x) + 2].reshape(-1, 3).astype(int)
            d = np.abs(patch - COLOURS[j].astype(int)).sum(1).min()
            assert d < 120, (j, x, y, patch)
            checked += 1
    assert checked >= min_checked


def pose_dataset(root: Path, n=6, flip_idx=True, seed=0):
    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            h, w = (160, 160) if i % 2 else (128, 160)
            img, lab = scene(rng, h, w, n=2)
            cv2.imwrite(str(root / "images" / split / f"{i}.png"), img)
            lines = []
            for b, k in zip(lab.boxes, lab.keypoints):
                cx, cy, bw, bh = (b[0] + b[2]) / 2 / w, (b[1] + b[3]) / 2 / h, (b[2] - b[0]) / w, (b[3] - b[1]) / h
                kv = " ".join(f"{x / w:.6f} {y / h:.6f} {int(v)}" for x, y, v in k)
                lines.append(f"0 {cx:.6f} {cy:.6f} {bw:.6f} {bh:.6f} {kv}")
            (root / "labels" / split / f"{i}.txt").write_text("\n".join(lines) + "\n")
    data = {"path": str(root), "train": "images/train", "val": "images/val", "names": ["card"], "kpt_shape": [4, 3]}
    if flip_idx:
        data["flip_idx"] = [1, 0, 3, 2]
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    return root / "data.yaml"


