"""DOTA conversion (pixels, class name, difficult flag), tiling of large images, tiled prediction merging."""

import math

import cv2
import numpy as np
import pytest
import torch

from yolov12.cli import main
from yolov12.data.formats.dota import (
    DOTA_V1_NAMES, parse_dota_text, read_dota, split_obb_dataset, tile_obb_sample, tile_windows,
)
from yolov12.data.labels import LabelFormat, parse_label_file
from yolov12.inference.obb import merge_tiles
from yolov12.inference.postprocess import NMSConfig
from yolov12.inference.results import Results
from yolov12.inference.obb import OBB
from yolov12.ops.rotated import corners_to_xywhr, rotated_iou, xywhr_to_corners

COLOURS = [(0, 0, 255), (0, 255, 0), (255, 0, 0)]


def test_parse_dota_lines():
    text = ("imagesource:GoogleEarth\ngsd:0.146\n"
            "10 10 50 10 50 30 10 30 plane 0\n"
            "60 60 90 60 90 80 60 80 small-vehicle 1\n"
            "1 2 3 plane 0\n"
            "10 10 20 20 30 30 40 40 ship 0\n"
            "a b c d e f g h ship 0\n"
            "5 5 9 5 9 9 5 9 harbor\n")
    objs, problems = parse_dota_text(text, "P1.txt")
    assert [(o[1], o[2]) for o in objs] == [("plane", False), ("small-vehicle", True), ("harbor", False)]
    assert len(problems) == 3 and any("P1.txt:5" in p for p in problems) and any("collinear" in p for p in problems)


def write_dota(root, h=300, w=400):
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    img = np.full((h, w, 3), 114, np.uint8)
    boxes = [(80, 60, 60, 24, 0.4, "plane", 0), (300, 200, 50, 30, -0.7, "ship", 1), (200, 150, 40, 20, 1.2, "plane", 0)]
    lines = ["imagesource:test", "gsd:0.5"]
    for k, (cx, cy, bw, bh, r, name, diff) in enumerate(boxes):
        q = xywhr_to_corners(torch.tensor([cx, cy, bw, bh, r], dtype=torch.float64)).numpy()
        cv2.fillPoly(img, [np.round(q * 16).astype(np.int32)], COLOURS[k], cv2.LINE_8, shift=4)
        lines.append(" ".join(f"{v:.1f}" for v in q.reshape(-1)) + f" {name} {diff}")
    cv2.imwrite(str(root / "images" / "P0001.png"), img)
    (root / "labelTxt" / "P0001.txt").write_text("\n".join(lines) + "\n")
    (root / "labelTxt" / "P0002.txt").write_text("1 1 5 1 5 5 1 5 plane 0\n")  # no image: counted, skipped
    return boxes


def test_read_and_convert_dota(tmp_path):
    boxes = write_dota(tmp_path)
    samples, names = read_dota(tmp_path / "labelTxt", tmp_path / "images")
    assert names == DOTA_V1_NAMES and len(samples) == 1
    s = samples[0]
    assert s.cls.tolist() == [0, 1, 0] and s.shape == (300, 400)
    got = torch.from_numpy(corners_to_xywhr(np.stack(s.segments) * [400, 300])).double()
    ref = torch.tensor([b[:5] for b in boxes], dtype=torch.float64)
    assert (rotated_iou(got, ref) > 0.99).all()
    assert read_dota(tmp_path / "labelTxt", tmp_path / "images", skip_difficult=True)[0][0].cls.tolist() == [0, 0]
    # through the CLI, then read back by the OBB label parser
    out = tmp_path / "yolo"
    assert main(["data", "convert", "format=dota", f"src={tmp_path / 'labelTxt'}", f"images={tmp_path / 'images'}",
                 f"out={out}"]) == 0
    p = parse_label_file(out / "labels" / "train" / "P0001.txt", len(names), LabelFormat("obb"))
    assert p.cls.tolist() == [0, 1, 0] and not p.problems
    with pytest.raises(FileNotFoundError, match="no DOTA"):
        read_dota(tmp_path / "images", tmp_path / "images")


def test_tiling_windows_and_objects(tmp_path):
    assert tile_windows(300, 400, 160, 40) == [(x, y, x + 160, y + 160) for y in (0, 120, 140)
                                               for x in (0, 120, 240)]
    assert tile_windows(100, 100, 160, 40) == [(0, 0, 100, 100)]
    with pytest.raises(ValueError, match="overlap"):
        tile_windows(100, 100, 64, 64)
    boxes = write_dota(tmp_path)
    samples, names = read_dota(tmp_path / "labelTxt", tmp_path / "images")
    img = cv2.imread(str(tmp_path / "images" / "P0001.png"))
    seen = set()
    for (x0, y0, x1, y1), crop, cls, quads in tile_obb_sample(img, samples[0], 160, 40):
        assert crop.shape[:2] == (y1 - y0, x1 - x0)
        for c, q in zip(cls, quads):
            fit = torch.from_numpy(corners_to_xywhr((q * [x1 - x0, y1 - y0] + [x0, y0])[None])).double()
            best = max(float(rotated_iou(fit, torch.tensor([b[:5]], dtype=torch.float64))) for b in boxes)
            if best > 0.98:
                seen.add(round(float(fit[0, 0])))
    assert len(seen) == 3  # every object appears whole in some tile
    y = split_obb_dataset(samples, tmp_path / "tiles", names, tile=160, overlap=40)
    assert len(list((tmp_path / "tiles" / "images" / "train").glob("*.png"))) == 9 and y.is_file()


def colour_predictor(crops):
    """A stand-in detector that is exact: each solid colour blob -> its minimum-area rectangle."""
    out = []
    for crop in crops:
        rows = []
        for c, col in enumerate(COLOURS):
            mask = (np.abs(crop.astype(int) - col).max(-1) < 40).astype(np.uint8)
            n, lab = cv2.connectedComponents(mask)
            for k in range(1, n):
                ys, xs = np.nonzero(lab == k)
                if len(xs) < 10:
                    continue
                b = corners_to_xywhr(np.stack([xs + 0.5, ys + 0.5], 1)[None].astype(np.float32))[0]
                rows.append([*b, 0.9, c])
        out.append(Results(crop, "t", {0: "a", 1: "b", 2: "c"},
                           obb=OBB(torch.tensor(rows, dtype=torch.float32).reshape(-1, 7), crop.shape[:2])))
    return out


def test_tiled_prediction_matches_one_pass(tmp_path):
    write_dota(tmp_path)
    img = cv2.imread(str(tmp_path / "images" / "P0001.png"))
    whole = colour_predictor([img])[0].obb.data
    windows = tile_windows(*img.shape[:2], 160, 80)
    crops = colour_predictor([img[y0:y1, x0:x1] for x0, y0, x1, y1 in windows])
    tiled = merge_tiles([r.obb.data for r in crops], windows, img.shape[:2], NMSConfig(iou=0.5), overlap=80)
    assert len(whole) == len(tiled) == 3  # cut copies dropped / merged, nothing lost
    for row in whole:
        ious = rotated_iou(tiled[:, :5].double(), row[None, :5].double().expand(len(tiled), 5))
        assert float(ious.max()) > 0.95
    # merge_tiles alone: the same box found by two tiles is kept once
    p = torch.tensor([[50.0, 50, 20, 10, 0.3, 0.9, 0]])
    merged = merge_tiles([p, p - torch.tensor([[40.0, 0, 0, 0, 0, 0.1, 0]])], [(0, 0, 100, 100), (40, 0, 140, 100)],
                         (100, 140), NMSConfig())
    assert len(merged) == 1 and float(merged[0, 5]) == pytest.approx(0.9)
