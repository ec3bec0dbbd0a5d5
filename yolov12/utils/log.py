"""The package logger. The library logs; only the CLI prints."""

import logging

LOGGER = logging.getLogger("yolov12")
if not LOGGER.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(_handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
