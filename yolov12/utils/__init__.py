"""Lowest layer: logging and file helpers shared by every other layer."""

from yolov12.utils.errors import ConfigError, OverwriteError, RunFolderError, YoloError
from yolov12.utils.files import (
    atomic_write_bytes, atomic_write_text, check_output, check_run_name, increment_path, remove_stale_tmp, run_folder,
)
from yolov12.utils.log import LOGGER

__all__ = ["LOGGER", "ConfigError", "OverwriteError", "RunFolderError", "YoloError", "atomic_write_bytes",
           "atomic_write_text", "check_output", "check_run_name", "increment_path", "remove_stale_tmp", "run_folder"]
