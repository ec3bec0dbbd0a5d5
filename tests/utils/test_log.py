"""Logging: importing the package configures nothing; the CLI shows the library's INFO messages on stderr."""

import logging
import subprocess
import sys

from yolov12 import cli
from yolov12.utils import LOGGER
from yolov12.utils.log import console_logging


def test_import_adds_no_handler():
    code = (
        "import logging, yolov12, yolov12.api, yolov12.cli, yolov12.demo\n"
        "log = logging.getLogger('yolov12')\n"
        "assert all(type(h) is logging.NullHandler for h in log.handlers), log.handlers\n"
        "assert log.propagate and log.level == logging.NOTSET, (log.propagate, log.level)\n"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers\n"
        "log.warning('swallowed: the application configured no logging')\n"
        "logging.basicConfig(level=logging.INFO, format='%(name)s: %(message)s')\n"
        "logging.getLogger('yolov12.data').info('to the application')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "yolov12.data: to the application\n"  # the application's own handler and format


def test_console_logging_prints_and_restores(capsys):
    before = (list(LOGGER.handlers), LOGGER.level, LOGGER.propagate)
    with console_logging():
        LOGGER.info("shown")
        LOGGER.debug("hidden")
    LOGGER.info("not shown after")
    assert capsys.readouterr().err == "shown\n"
    assert (list(LOGGER.handlers), LOGGER.level, LOGGER.propagate) == before


def test_cli_shows_info_messages(capsys, monkeypatch):
    def mode(args):
        LOGGER.info("working on it")
        return 0

    monkeypatch.setitem(cli.MODES, "info", mode)
    assert cli.main(["info"]) == 0
    assert capsys.readouterr().err == "working on it\n"
    assert not [h for h in LOGGER.handlers if not isinstance(h, logging.NullHandler)]
