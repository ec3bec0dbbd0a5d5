"""Lowest layer: logging and file helpers shared by every other layer."""

from yolov12.utils.files import atomic_write_bytes, atomic_write_text, increment_path
from yolov12.utils.log import LOGGER

__all__ = ["LOGGER", "atomic_write_bytes", "atomic_write_text", "increment_path"]
