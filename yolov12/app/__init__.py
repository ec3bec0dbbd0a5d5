"""The web demo: ``python app.py`` / ``yolov12 app`` serves a Gradio page and API at http://127.0.0.1:7860.

Gradio is an optional extra (``pip install -e .[app]``): importing this package does not import it; only
:func:`launch` does, and says in one line how to install it when it is missing. The logic without Gradio
(model cache, input checks, outputs) is in :mod:`yolov12.app.core`, the page in :mod:`yolov12.app.ui`.
"""

from __future__ import annotations

import argparse
import importlib.util
from dataclasses import dataclass
from typing import Any

from yolov12.utils.checks import check_field_types, check_int
from yolov12.utils.errors import ConfigError, YoloError


class GradioMissing(YoloError, ImportError):
    """The app extra is not installed."""


@dataclass
class AppConfig:
    host: str = "127.0.0.1"  # listen address (0.0.0.0: reachable from other machines)
    port: int = 7860
    model: str = ""  # the model shown first ('' : the shipped digits model); shipped name or weights path
    max_pixels: int = 40_000_000  # larger images are refused with a message (checked from the header first)
    max_frames: int = 300  # a video is annotated up to this many frames
    max_file_size: str = "200mb"  # uploads above this are refused by the server
    cache_size: int = 3  # models kept loaded
    queue_size: int = 32  # requests waiting beyond this are refused (one runs at a time)

    def __post_init__(self) -> None:
        self.model = "" if self.model is None else str(self.model)
        check_field_types(self)
        check_int("port", self.port, 0)
        if self.port > 65535:
            raise ConfigError(f"port must be in 0..65535, got {self.port}")
        for name in ("max_pixels", "max_frames", "cache_size", "queue_size"):
            check_int(name, getattr(self, name), 1)


def require_gradio() -> None:
    if importlib.util.find_spec("gradio") is None:
        raise GradioMissing("the web demo needs Gradio: pip install -e '.[app]' (or pip install 'yolov12[app]')")


def launch(cfg: AppConfig, block: bool = True) -> Any:
    """Serve the demo (blocks until interrupted unless ``block=False``, which returns the running Blocks)."""
    require_gradio()
    from yolov12.app.ui import launch as _launch

    return _launch(cfg, block=block)


def main(argv: list[str] | None = None) -> int:
    """``python app.py [--host H] [--port P] [--model M]``."""
    p = argparse.ArgumentParser(prog="app.py", description="YOLOv12 web demo (Gradio), offline, on one page.")
    p.add_argument("--host", default=AppConfig.host, help="listen address (default %(default)s)")
    p.add_argument("--port", type=int, default=AppConfig.port, help="port (default %(default)s)")
    p.add_argument("--model", default="", help="first model: a shipped name or a .safetensors/.pt/.onnx path "
                                               "(default: the shipped digits model)")
    p.add_argument("--max-pixels", type=int, default=AppConfig.max_pixels, help="refuse larger images")
    p.add_argument("--max-frames", type=int, default=AppConfig.max_frames, help="annotate at most this many frames")
    a = p.parse_args(argv)
    import sys

    from yolov12.utils.log import console_logging

    try:
        cfg = AppConfig(host=a.host, port=a.port, model=a.model, max_pixels=a.max_pixels, max_frames=a.max_frames)
        with console_logging():
            print(f"YOLOv12 demo on http://{cfg.host}:{cfg.port} (Ctrl+C to stop)")  # noqa: T201 - launcher
            launch(cfg)
    except (YoloError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)  # noqa: T201 - launcher
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


__all__ = ["AppConfig", "GradioMissing", "launch", "main", "require_gradio"]
