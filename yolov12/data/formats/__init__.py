"""Readers of other annotation formats into :class:`yolov12.data.sample.Sample` lists."""

from yolov12.data.formats.coco import read_coco
from yolov12.data.formats.voc import read_voc

__all__ = ["read_coco", "read_voc"]
