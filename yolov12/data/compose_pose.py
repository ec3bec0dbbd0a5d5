"""A keypoint dataset from real images with exact keypoints by construction: real handwritten MNIST digits on
cards warped by random perspective transforms; the keypoints are each card's four corners.

Each image (224-320 px) holds 1-4 cards on a random background. A card is a light rectangle with one digit (its
class) in dark ink, mapped onto the canvas by a random perspective transform (rotation, scale, corner jitter);
its keypoints are the images of the card's corners in card order top-left, top-right, bottom-right, bottom-left
(``kpt_shape [4, 3]``, ``flip_idx [1, 0, 3, 2]``: a left-right mirror swaps left and right corners). Visibility:
2 visible, 1 covered by a card pasted later (occluded), 0 outside the image (unlabelled, written as ``0 0 0``).
The box is the card's quadrilateral's bounding box clipped to the image.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from yolov12.data.compose import DIGIT_NAMES, _background, digit_splits, write_data_yaml
from yolov12.utils import LOGGER, atomic_write_text

POSE_KPT_SHAPE = [4, 3]
POSE_FLIP_IDX = [1, 0, 3, 2]


def _card(digit: np.ndarray, rng: np.random.Generator, side: int) -> np.ndarray:
    """A (h, w, 3) uint8 card: light paper, a thin darker border, the digit in dark ink, filling ~70%."""
    h, w = side, int(side * rng.uniform(0.7, 1.0))
    paper = rng.integers(190, 256, 3).astype(np.float32)
    card = np.broadcast_to(paper, (h, w, 3)).copy()
    cv2.rectangle(card, (0, 0), (w - 1, h - 1), (paper * 0.6).tolist(), max(1, side // 40))
    ys, xs = np.nonzero(digit > 64)
    crop = digit[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1] if len(xs) else digit
    s = 0.7 * min(h / crop.shape[0], w / crop.shape[1])
    ch, cw = max(3, round(crop.shape[0] * s)), max(3, round(crop.shape[1] * s))
    alpha = cv2.resize(crop, (cw, ch), interpolation=cv2.INTER_LINEAR).astype(np.float32)[..., None] / 255
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    ink = rng.integers(0, 90, 3).astype(np.float32)
    region = card[y0:y0 + ch, x0:x0 + cw]
    region[:] = region * (1 - alpha) + ink * alpha
    return card.astype(np.uint8)


def _quad(rng: np.random.Generator, w: int, h: int, cw: int, ch: int, size: tuple[int, int]) -> np.ndarray:
    """Destination corners (4, 2) of a card: rotation +/- 35 deg, corner jitter up to 12 % of the side, centre
    anywhere (corners may leave the image)."""
    H, W = size
    a = np.deg2rad(rng.uniform(-35, 35))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    src = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]])
    jitter = rng.uniform(-0.12, 0.12, (4, 2)) * np.array([cw, ch])
    centre = np.array([rng.uniform(0.05, 0.95) * W, rng.uniform(0.05, 0.95) * H])
    return (src + jitter) @ rot.T + centre


def compose_pose_image(digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator, size: tuple[int, int],
                       n_range: tuple[int, int] = (1, 4), px_range: tuple[int, int] = (48, 120)
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """-> ((h, w, 3) uint8 BGR image, (n,) classes, (n, 4) normalised cxcywh boxes, (n, 4, 3) normalised
    keypoints x, y, v)."""
    H, W = size
    img = _background(rng, H, W)
    owner = np.full((H, W), -1, np.int32)  # which card is on top of each pixel
    quads, cls = [], []
    for _ in range(int(rng.integers(n_range[0], n_range[1] + 1))):
        j = int(rng.integers(len(digits)))
        side = int(rng.integers(px_range[0], min(px_range[1], H - 8, W - 8) + 1))
        card = _card(digits[j], rng, side)
        ch, cw = card.shape[:2]
        for _try in range(20):
            q = _quad(rng, W, H, cw, ch, size)
            x1, y1 = np.clip(q.min(0), 0, [W, H])
            x2, y2 = np.clip(q.max(0), 0, [W, H])
            inside = (x2 - x1) * (y2 - y1) / max(np.ptp(q[:, 0]) * np.ptp(q[:, 1]), 1)
            if inside < 0.5 or min(x2 - x1, y2 - y1) < 12:
                continue  # mostly outside the image
            covers = [np.mean(owner[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))] == k) for k in range(len(quads))]
            if all(c < 0.35 for c in covers):
                break  # may cover others partly (occluded corners), never bury them
        else:
            continue
        src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
        M = cv2.getPerspectiveTransform(src, q.astype(np.float32))
        warped = cv2.warpPerspective(card, M, (W, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), M, (W, H), flags=cv2.INTER_LINEAR) > 127
        img[mask] = warped[mask]
        owner[mask] = len(quads)
        quads.append(q)
        cls.append(int(labels[j]))
    boxes, kpts = [], []
    for k, q in enumerate(quads):
        v = np.full(4, 2.0)
        for c, (x, y) in enumerate(q):
            if not (0 <= x < W and 0 <= y < H):
                v[c] = 0.0
            else:  # occluded when a later card covers the corner's neighbourhood
                ys, xs = slice(max(int(y) - 1, 0), int(y) + 2), slice(max(int(x) - 1, 0), int(x) + 2)
                if (owner[ys, xs] > k).any():
                    v[c] = 1.0
        x1, y1 = np.clip(q.min(0), 0.5, [W - 0.5, H - 0.5])  # half a pixel in: 6-decimal labels stay in [0, 1]
        x2, y2 = np.clip(q.max(0), 0.5, [W - 0.5, H - 0.5])
        boxes.append([(x1 + x2) / 2 / W, (y1 + y2) / 2 / H, (x2 - x1) / W, (y2 - y1) / H])
        kp = np.concatenate([q / np.array([W, H]), v[:, None]], 1)
        kp[v == 0] = 0.0
        kpts.append(kp)
    return (img, np.array(cls, np.int64), np.array(boxes, np.float32).reshape(-1, 4),
            np.array(kpts, np.float32).reshape(-1, 4, 3))


def pose_label_lines(cls: np.ndarray, boxes: np.ndarray, kpts: np.ndarray) -> str:
    lines = []
    for c, b, k in zip(cls, boxes, kpts, strict=True):
        kv = " ".join(f"{x:.6f} {y:.6f} {int(v)}" for x, y, v in k)
        lines.append(f"{int(c)} " + " ".join(f"{v:.6f}" for v in b) + " " + kv)
    return "".join(line + "\n" for line in lines)


def build_digits_pose_dataset(digits: np.ndarray, labels: np.ndarray, out_dir: str | Path, n_train: int = 160,
                              n_val: int = 40, size_range: tuple[int, int] = (224, 320), seed: int = 0,
                              val_fraction_digits: float = 0.2) -> Path:
    """Compose the digit-card keypoint dataset in YOLO pose format (train and val from disjoint digit samples)
    -> its data.yaml (kpt_shape [4, 3], flip_idx [1, 0, 3, 2], classes '0'..'9')."""
    out_dir = Path(out_dir)
    splits = digit_splits(len(digits), out_dir, n_train, n_val, seed, val_fraction_digits, streams=(11, 12),
                          order_seed=[seed, 7])
    for split, n, idir, ldir, srng, pool in splits:
        for k in range(n):
            size = tuple(int(v) for v in srng.integers(size_range[0], size_range[1] + 1, 2))
            img, cls, boxes, kpts = compose_pose_image(digits[pool], labels[pool], srng, size)
            cv2.imwrite(str(idir / f"{split}_{k:05d}.png"), img)
            atomic_write_text(ldir / f"{split}_{k:05d}.txt", pose_label_lines(cls, boxes, kpts))
    LOGGER.info(f"digits-pose dataset: {n_train} train + {n_val} val images in {out_dir}")
    return write_data_yaml(out_dir, DIGIT_NAMES, ["train", "val"],
                           {"kpt_shape": POSE_KPT_SHAPE, "flip_idx": POSE_FLIP_IDX})
