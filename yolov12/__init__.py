"""yolov12: YOLOv12 attention-centric real-time object detectors in pure PyTorch.

>>> from yolov12 import YOLO
>>> model = YOLO("yolov12n.yaml")          # untrained, any of n/s/m/l/x
>>> model = YOLO("runs/train/exp/weights/best.safetensors")
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["YOLO", "__version__"]


def __getattr__(name: str):
    # Lazy so that `import yolov12.ops` stays light and the layering stays acyclic.
    if name == "YOLO":
        from yolov12.api import YOLO

        return YOLO
    raise AttributeError(f"module 'yolov12' has no attribute {name!r}")
