"""Synthetic COCO person-keypoint data (invisible keypoints, crowd, objects without keypoints, tiny objects) and a
pycocotools iouType='keypoints' runner, shared by the pose evaluator tests and benchmarks/pose_eval.py."""

from __future__ import annotations

import contextlib
import io

import numpy as np

from yolov12.evaluation.pose_eval import KeypointDetections, KeypointGroundTruth


def make_pose_data(num_images: int, num_classes: int = 1, k: int = 17, seed: int = 0, dets_per_gt: float = 1.5,
                   crowd_frac: float = 0.08, tie_scores: bool = False):
    """-> (KeypointGroundTruth, KeypointDetections), image positions 0..num_images-1 (ids = position + 1)."""
    rng = np.random.default_rng(seed)
    g = {"image": [], "cls": [], "kp": [], "xywh": [], "area": [], "crowd": []}
    d = {"image": [], "cls": [], "score": [], "kp": []}
    for i in range(num_images):
        W, H = 640, 480
        m = int(rng.integers(0, 9)) if i % 6 else 0
        for _ in range(m):
            size = float(np.exp(rng.uniform(np.log(6), np.log(300))))  # tiny (< 32 px) to large
            w, h = size * rng.uniform(0.5, 1.2), size * rng.uniform(0.8, 1.6)
            x, y = rng.uniform(0, W - w * 0.5), rng.uniform(0, H - h * 0.5)
            kx, ky = x + rng.uniform(0, 1, k) * w, y + rng.uniform(0, 1, k) * h
            v = rng.choice([0, 1, 2], k, p=[0.3, 0.2, 0.5]).astype(float)
            if rng.random() < 0.1:
                v[:] = 0  # an annotation without labelled keypoints: ignored by COCO
            kx, ky = np.where(v > 0, kx, 0), np.where(v > 0, ky, 0)
            c = int(rng.integers(num_classes))
            crowd = rng.random() < crowd_frac
            area = w * h * rng.uniform(0.4, 0.9)
            g["image"].append(i), g["cls"].append(c), g["kp"].append(np.stack([kx, ky, v], 1))
            g["xywh"].append([x, y, w, h]), g["area"].append(area), g["crowd"].append(crowd)
            for _ in range(int(rng.poisson(dets_per_gt))):  # jittered copies (duplicates, wrong class sometimes)
                s = np.sqrt(area) * rng.uniform(0.0, 0.12)
                px = np.where(v > 0, kx, x + rng.uniform(0, 1, k) * w) + rng.normal(0, s, k)
                py = np.where(v > 0, ky, y + rng.uniform(0, 1, k) * h) + rng.normal(0, s, k)
                d["image"].append(i), d["cls"].append(c if rng.random() > 0.1 else int(rng.integers(num_classes)))
                d["score"].append(round(rng.random(), 1) if tie_scores else rng.random())
                d["kp"].append(np.stack([px, py, rng.random(k)], 1))
        for _ in range(int(rng.integers(0, 4))):  # false positives anywhere
            x, y, s = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(5, 150)
            d["image"].append(i), d["cls"].append(int(rng.integers(num_classes)))
            d["score"].append(round(rng.random(), 1) if tie_scores else rng.random())
            d["kp"].append(np.stack([x + rng.uniform(0, s, k), y + rng.uniform(0, s, k), rng.random(k)], 1))
    gt = KeypointGroundTruth(np.array(g["image"], np.int64), np.array(g["cls"], np.int64),
                             np.array(g["kp"], np.float64).reshape(-1, k, 3), np.array(g["xywh"], np.float64).reshape(-1, 4),
                             np.array(g["area"], np.float64), np.array(g["crowd"], bool))
    dt = KeypointDetections(np.array(d["image"], np.int64), np.array(d["cls"], np.int64),
                            np.array(d["score"], np.float64), np.array(d["kp"], np.float64).reshape(-1, k, 3))
    return gt, dt


def to_coco(gt: KeypointGroundTruth, dt: KeypointDetections, num_images: int, num_classes: int):
    k = gt.keypoints.shape[1]
    images = [{"id": i + 1, "width": 640, "height": 480} for i in range(num_images)]
    anns = []
    for j in range(len(gt.cls)):
        kp = gt.keypoints[j]
        anns.append({"id": j + 1, "image_id": int(gt.image[j]) + 1, "category_id": int(gt.cls[j]) + 1,
                     "keypoints": [float(v) for v in kp.reshape(-1)], "num_keypoints": int((kp[:, 2] > 0).sum()),
                     "bbox": [float(v) for v in gt.xywh[j]], "area": float(gt.area[j]),
                     "iscrowd": int(gt.crowd[j])})
    cats = [{"id": c + 1, "name": f"c{c}", "keypoints": [f"k{i}" for i in range(k)], "skeleton": []}
            for c in range(num_classes)]
    dets = [{"image_id": int(dt.image[j]) + 1, "category_id": int(dt.cls[j]) + 1,
             "keypoints": [float(v) for v in dt.keypoints[j].reshape(-1)], "score": float(dt.score[j])}
            for j in range(len(dt.cls))]
    return {"images": images, "annotations": anns, "categories": cats}, dets


def pycocotools_keypoints(gt_json: dict, dets: list[dict], sigmas) -> np.ndarray:
    """COCOeval(iouType='keypoints') stats (10,) with ``kpt_oks_sigmas`` = sigmas."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt_json
        coco.createIndex()
        res = coco.loadRes(dets)
        e = COCOeval(coco, res, "keypoints")
        e.params.kpt_oks_sigmas = np.asarray(sigmas, np.float64)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return np.asarray(e.stats)
