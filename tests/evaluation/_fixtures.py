"""Synthetic COCO-like evaluation data and a pycocotools runner shared by the evaluation tests and benchmark."""

from __future__ import annotations

import contextlib
import copy
import io
from dataclasses import dataclass

import numpy as np


@dataclass
class ImageData:
    image_id: int
    gt_boxes: np.ndarray  # (m, 4) xyxy float32
    gt_classes: np.ndarray  # (m,)
    gt_crowd: np.ndarray  # (m,)
    gt_area: np.ndarray  # (m,) 'segmentation' area (<= box area)
    pred_boxes: np.ndarray  # (n, 4) xyxy float32
    pred_scores: np.ndarray  # (n,) float32
    pred_classes: np.ndarray  # (n,)


def make_dataset(num_images: int, num_classes: int, dets_per_image: int, seed: int = 0,
                 crowd_frac: float = 0.1, tie_scores: bool = False, empty_classes: tuple[int, ...] = (),
                 max_gt: int = 15, grid: float = 0.0) -> list[ImageData]:
    """Real-ish boxes (log-uniform sizes over small/medium/large), crowd boxes, detections = jittered ground truth
    (sometimes with a wrong class, sometimes duplicated) plus random boxes; ``empty_classes`` get no ground truth.
    ``grid`` > 0 snaps every coordinate to that pixel grid, which creates exact IoU ties and duplicate boxes."""
    rng = np.random.default_rng(seed)
    classes_gt = np.array([c for c in range(num_classes) if c not in empty_classes])
    out = []
    ids = rng.permutation(num_images * 3)[:num_images] + 1  # non-contiguous, unordered ids
    for i in range(num_images):
        W, H = rng.choice([(640, 480), (480, 640), (640, 427)])
        m = int(rng.integers(0, max_gt + 1)) if i % 7 else 0  # some images without ground truth
        size = np.exp(rng.uniform(np.log(4), np.log(400), m))
        wh = size[:, None] * rng.uniform(0.5, 1.5, (m, 2))
        xy = rng.uniform(0, 1, (m, 2)) * (np.array([W, H]) - wh * 0.5)
        gt = np.concatenate((xy, xy + wh), 1).astype(np.float32)
        if grid:
            gt = np.round(gt / grid) * grid
            gt[:, 2:] = np.maximum(gt[:, 2:], gt[:, :2] + grid)
        gcls = rng.choice(classes_gt, m) if m else np.zeros(0, np.int64)
        crowd = (rng.random(m) < crowd_frac).astype(np.int64)
        box_area = (gt[:, 2] - gt[:, 0]).astype(np.float64) * (gt[:, 3] - gt[:, 1])
        area = np.where(rng.random(m) < 0.5, box_area * rng.uniform(0.4, 1.0, m), box_area)

        n = dets_per_image if i % 11 else int(rng.integers(0, 3))  # a few images with almost no detections
        from_gt = (rng.random(n) < 0.5) & (m > 0)
        src = rng.integers(0, max(m, 1), n)
        jitter = rng.normal(0, 0.08, (n, 4))
        g = gt[src] if m else np.zeros((n, 4), np.float32)
        gw, gh = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
        jittered = g + jitter * np.stack((gw, gh, gw, gh), 1)
        rs = np.exp(rng.uniform(np.log(4), np.log(400), n))
        rxy = rng.uniform(0, 1, (n, 2)) * np.array([W, H])
        rnd = np.concatenate((rxy, rxy + rs[:, None] * rng.uniform(0.5, 1.5, (n, 2))), 1)
        boxes = np.where(from_gt[:, None], jittered, rnd).astype(np.float32)
        if grid:
            boxes = np.round(boxes / grid) * grid
            boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + grid)
        dcls = np.where(from_gt & (rng.random(n) < 0.85), gcls[src] if m else 0, rng.integers(0, num_classes, n))
        scores = rng.random(n).astype(np.float32)
        scores = np.where(from_gt, np.sqrt(scores), scores ** 2).astype(np.float32)
        if tie_scores:
            scores = (np.round(scores * 20) / 20).astype(np.float32)
        out.append(ImageData(int(ids[i]), gt, gcls.astype(np.int64), crowd, area, boxes, scores,
                             dcls.astype(np.int64)))
    return out


def run_pycocotools(dataset: dict, results: list[dict]):
    """COCOeval (bbox) on in-memory ground truth / results; returns the evaluated COCOeval object."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        dt = gt.loadRes(copy.deepcopy(results)) if results else COCO()
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev
