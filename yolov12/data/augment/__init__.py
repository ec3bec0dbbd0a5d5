"""Training augmentations on numpy/OpenCV images with pixel-space labels (see spec section 4)."""

from yolov12.data.augment.color import augment_hsv, mixup
from yolov12.data.augment.config import AugmentConfig, augment_defaults, no_augment
from yolov12.data.augment.copy_paste import copy_paste_flip
from yolov12.data.augment.geometry import box_candidates, flip_lr, flip_ud, random_affine
from yolov12.data.augment.instances import SEGMENT_POINTS, Labels, resample_polygon
from yolov12.data.augment.letterbox import letterbox
from yolov12.data.augment.mosaic import mosaic4, mosaic9

__all__ = [
    "SEGMENT_POINTS", "AugmentConfig", "Labels", "augment_defaults", "augment_hsv", "box_candidates",
    "copy_paste_flip", "flip_lr", "flip_ud", "letterbox", "mixup", "mosaic4", "mosaic9", "no_augment",
    "random_affine", "resample_polygon",
]
