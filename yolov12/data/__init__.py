"""Datasets: format readers -> one :class:`Sample` type -> augmentation -> loader of batch dicts.

Public entry points: :func:`load_data_config`, :func:`build_dataset`, :func:`build_dataloader`,
:func:`letterbox`, :class:`AugmentConfig` / :func:`augment_defaults`, :func:`imread`.
Converters live in :mod:`yolov12.data.convert`, downloads in :mod:`yolov12.data.fetch` and the shipped
datasets in :mod:`yolov12.data.embedded`.
"""

from yolov12.data.augment import AugmentConfig, augment_defaults, letterbox, no_augment
from yolov12.data.config import DataConfig, DataConfigError, load_data_config
from yolov12.data.dataset import YOLODataset
from yolov12.data.embedded import resolve_data
from yolov12.data.images import IMG_FORMATS, ImageReadError, imread
from yolov12.data.labels import LabelFormat, img2label_path
from yolov12.data.loader import build_dataloader, build_dataset, collate_fn, seed_worker
from yolov12.data.sample import Sample, ScanStats
from yolov12.data.scan import LabelError, scan_split

__all__ = [
    "IMG_FORMATS", "AugmentConfig", "DataConfig", "DataConfigError", "ImageReadError", "LabelError", "LabelFormat",
    "Sample", "ScanStats", "YOLODataset", "augment_defaults", "build_dataloader", "build_dataset", "collate_fn",
    "img2label_path", "imread", "letterbox", "load_data_config", "no_augment", "resolve_data", "scan_split",
    "seed_worker",
]
