"""Helpers to write tiny YOLO-format datasets for the data tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

# corner colours that stay distinguishable after linear interpolation with the grey 114 background
COLOURS = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0), (0, 0, 0)]


def rect_image(rng: np.random.Generator, h: int, w: int, n: int) -> tuple[np.ndarray, list[str]]:
    """Grey image with n non-overlapping solid rectangles; class = colour index. -> (img, label lines)."""
    img = np.full((h, w, 3), 114, np.uint8)
    lines, taken = [], []
    for c in range(n):
        for _ in range(50):
            bw, bh = int(rng.integers(w // 8, w // 3)), int(rng.integers(h // 8, h // 3))
            x1, y1 = int(rng.integers(2, w - bw - 2)), int(rng.integers(2, h - bh - 2))
            if all(x1 + bw + 4 < a or b + 4 < x1 or y1 + bh + 4 < c2 or d + 4 < y1 for a, c2, b, d in taken):
                break
        else:
            continue
        taken.append((x1, y1, x1 + bw, y1 + bh))
        img[y1 : y1 + bh, x1 : x1 + bw] = COLOURS[c]
        lines.append(f"{c} {(x1 + bw / 2) / w:.6f} {(y1 + bh / 2) / h:.6f} {bw / w:.6f} {bh / h:.6f}")
    return img, lines


def make_dataset(root: Path, n: int = 6, seed: int = 0, nc: int = 7, polygons: bool = False) -> Path:
    """Write n rectangle images (alternating landscape/portrait) + labels + data.yaml; returns the yaml."""
    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for k in range(n):
            h, w = (60, 90) if k % 2 else (96, 64)
            img, lines = rect_image(rng, h, w, int(rng.integers(1, 5)))
            if polygons:
                poly = []
                for line in lines:
                    c, cx, cy, bw, bh = (float(v) for v in line.split())
                    x1, y1, x2, y2 = cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2
                    poly.append(f"{int(c)} {x1:.6f} {y1:.6f} {x2:.6f} {y1:.6f} {x2:.6f} {y2:.6f} {x1:.6f} {y2:.6f}")
                lines = poly
            cv2.imwrite(str(root / "images" / split / f"im{k}.png"), img)
            (root / "labels" / split / f"im{k}.txt").write_text("\n".join(lines) + "\n")
    names = "[" + ", ".join(f"c{i}" for i in range(nc)) + "]"
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    return root / "data.yaml"


@pytest.fixture
def rect_dataset(tmp_path: Path) -> Path:
    return make_dataset(tmp_path / "ds")
