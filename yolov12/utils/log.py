"""The package logger. The library logs; only the CLI prints.

Importing the package configures nothing: the ``yolov12`` logger has a ``NullHandler`` and propagates, so an
application's own logging setup decides what is shown (``logging.basicConfig(level=logging.INFO)`` shows the
progress messages). The CLI wraps each command in :func:`console_logging`, which prints them as plain lines.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

LOGGER = logging.getLogger("yolov12")
LOGGER.addHandler(logging.NullHandler())


class _StderrHandler(logging.StreamHandler):
    """A StreamHandler on whatever ``sys.stderr`` is when a record is written (as ``print(file=sys.stderr)``)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; the property always reads sys.stderr
        pass


@contextlib.contextmanager
def console_logging(level: int = logging.INFO) -> Iterator[None]:
    """Print the package's records at ``level`` and above as bare lines on stderr for the duration (the CLI's
    output); the logger's handlers, level and propagation are restored afterwards."""
    saved = LOGGER.level, LOGGER.propagate
    handler = _StderrHandler()
    LOGGER.addHandler(handler)
    LOGGER.setLevel(level)
    LOGGER.propagate = False  # the console shows each record once, whatever the root logger has
    try:
        yield
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(saved[0])
        LOGGER.propagate = saved[1]
