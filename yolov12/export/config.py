"""Typed export settings (one dataclass; the CLI and ``YOLO.export()`` build it from key=value overrides)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yolov12.utils.checks import check_field_types, check_range, image_size
from yolov12.utils.errors import ConfigError

FORMATS = ("onnx", "torchscript")  # supported export formats
SUFFIX = {"onnx": ".onnx", "torchscript": ".torchscript"}
DEFAULT_OPSET = 17  # ONNX opset: every onnxruntime >= 1.11 runs it; Softmax/Resize/NonMaxSuppression as we use them
# bounds of the example input the graph is traced with (the tracing memory grows with it; dynamic=True graphs
# take any size at run time) and of the in-graph NMS output rows
MAX_SIDE, MAX_BATCH, MAX_EXAMPLE_PIXELS, MAX_DET = 8192, 256, 4096 * 4096, 100_000
MIN_OPSET, MIN_OPSET_NMS = 9, 12  # the oldest opsets our graphs export to and load at (in-graph NMS: int64 Clip)


@dataclass
class ExportConfig:
    """What to export and how. The graph is the fused eval network (BN folded into convs).

    Without ``nms`` the graph maps ``images`` (B, 3, H, W) float in [0, 1] to ``output0`` (B, 4 + nc, A):
    cx, cy, w, h in input pixels, then sigmoid class scores (the same as ``DetectionModel`` in eval mode).
    With ``nms`` (ONNX only) it maps ``images`` to ``detections`` (B, max_det, 6) float: x1, y1, x2, y2 (input
    pixels), score, class, best first, rows past ``num_dets`` zero; and ``num_dets`` (B,) int64.
    """

    format: str = "onnx"  # one of FORMATS
    imgsz: int | tuple[int, int] = 640  # example input size, square side or (h, w); multiples of 32
    batch: int = 1  # example batch size
    dynamic: bool = False  # ONNX: batch, height and width are free axes (TorchScript traces always generalise)
    half: bool = False  # float16 weights and input/output (meant for GPUs; in-graph NMS still runs in float32)
    simplify: bool = False  # run onnxslim / onnxsim when importable (ORT folds constants itself at load anyway)
    opset: int | None = None  # ONNX opset; None: DEFAULT_OPSET
    nms: bool = False  # ONNX: append class-aware NMS (ONNX NonMaxSuppression op), see class docstring
    conf: float = 0.25  # in-graph NMS: keep scores strictly above this
    iou: float = 0.7  # in-graph NMS: suppress same-class boxes with IoU strictly above this
    max_det: int = 300  # in-graph NMS: detections per image (output rows)
    output: str | Path | None = None  # output file; None: ./yolov12<scale><suffix>
    int8: bool = False  # ONNX: static INT8 (QDQ) quantisation calibrated on real images (digits model: -0.27 mAP)
    data: str | Path | None = None  # int8 calibration images (a folder); None: the shipped real images

    def __post_init__(self) -> None:
        self.format = str(self.format).lower()
        if self.format not in FORMATS:
            raise ConfigError(f"unsupported export format {self.format!r}; supported formats: {', '.join(FORMATS)}")
        check_field_types(self)
        hw = image_size("imgsz", self.imgsz)  # rounded up to multiples of the largest stride
        self.imgsz = hw[0] if isinstance(self.imgsz, int) else hw
        check_range("conf", self.conf, 0, 1)
        check_range("iou", self.iou, 0, 1)
        min_opset = MIN_OPSET_NMS if self.nms else MIN_OPSET
        if self.opset is not None and self.opset < min_opset:
            raise ConfigError(f"opset must be >= {min_opset}" + (" with nms=True" if self.nms else "")
                             + f" (None: {DEFAULT_OPSET}), got {self.opset}")
        if self.batch < 1:
            raise ConfigError(f"batch must be >= 1, got {self.batch}")
        if self.max_det < 1:
            raise ConfigError(f"max_det must be >= 1, got {self.max_det}")
        h, w = self.hw
        if max(h, w) > MAX_SIDE or self.batch > MAX_BATCH or self.batch * h * w > MAX_EXAMPLE_PIXELS:
            raise ConfigError(f"example input batch={self.batch} x {h}x{w} is too large to trace (each side <= "
                              f"{MAX_SIDE}, batch <= {MAX_BATCH}, batch x height x width <= {MAX_EXAMPLE_PIXELS:,}); "
                              "use dynamic=True for larger inputs at run time")
        if self.max_det > MAX_DET:
            raise ConfigError(f"max_det must be <= {MAX_DET}, got {self.max_det}")
        if self.nms and self.format != "onnx":
            raise ConfigError("nms=True is supported for format='onnx' only")
        if self.int8 and (self.format != "onnx" or self.dynamic or self.nms or self.half):
            raise ConfigError("int8=True needs format='onnx' with static shapes (dynamic=False), nms=False, half=False")

    @property
    def hw(self) -> tuple[int, int]:
        """(height, width) of the example input, pixels."""
        return image_size("imgsz", self.imgsz)

    @property
    def opset_version(self) -> int:
        return self.opset if self.opset is not None else DEFAULT_OPSET
