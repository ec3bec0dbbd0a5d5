"""Static INT8 quantisation of an exported ONNX graph (onnxruntime.quantization, QDQ format).

``ExportConfig(int8=True)`` / ``yolov12 export ... int8=True [data=IMAGES]``. Convs and attention MatMuls are
quantised (weights per channel int8, activations uint8, MinMax calibration on real images); the head's last
convs and the box/score decoding stay float, so outputs keep their pixel / probability scale. Measured with
``benchmarks/int8_accuracy.py`` on the shipped digits model (40 real validation images, 224 px): mAP50-95
0.5751 -> 0.5748 (-0.02 points), mAP50 -0.38 points; no faster on a CPU without VNNI (ratio 0.99).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from yolov12.data import ImageReadError, imread, letterbox
from yolov12.data.embedded import embedded_dataset
from yolov12.export.onnx import read_metadata
from yolov12.utils import LOGGER

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def calibration_images(source: str | Path | None = None, n: int = 16) -> list[Path]:
    """Up to ``n`` image files under ``source`` (a folder or data.yaml); default: the shipped 'trees' and
    'digits' datasets (real photographs and real handwritten digits)."""
    roots = [Path(source)] if source is not None else [embedded_dataset("trees").parent, embedded_dataset("digits").parent]
    files: list[Path] = []
    for root in roots:
        root = root.parent if root.is_file() else root
        files += sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[: max(1, n // len(roots))]
    files = [p for p in files if _decodes(p)]
    if not files:
        raise FileNotFoundError(f"no (readable) calibration images found under {', '.join(map(str, roots))}")
    return files[:n]


def _decodes(path: Path) -> bool:
    try:
        imread(path)
    except ImageReadError as e:
        LOGGER.warning(f"WARNING: skipping calibration image {e}")
        return False
    return True


class _Reader:
    """onnxruntime CalibrationDataReader: letterboxed (1, 3, H, W) float32 RGB [0, 1] images."""

    def __init__(self, files: list[Path], hw: tuple[int, int], input_name: str) -> None:
        self.files, self.hw, self.name = files, hw, input_name
        self._it: Iterator[Path] = iter(files)

    def get_next(self) -> dict[str, np.ndarray] | None:
        path = next(self._it, None)
        if path is None:
            return None
        im = imread(path)  # (H, W, 3) BGR; calibration_images() kept decodable files only
        im, _, _ = letterbox(im, self.hw, auto=False, scaleup=True, stride=32)
        x = np.ascontiguousarray(im[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255.0
        return {self.name: x}

    def rewind(self) -> None:
        self._it = iter(self.files)


def quantize_int8(src: str | Path, dst: str | Path, images: str | Path | None = None, n_images: int = 16,
                  keep_float: str = "layers.21") -> Path:
    """EXPERIMENTAL: static INT8 (QDQ) copy of our ONNX export ``src`` at ``dst``, calibrated on real images.

    ``keep_float``: the head's module path (its row): its decoding and last convs stay float.
    The graph must have static input shapes (export with ``dynamic=False``); metadata is carried over.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    model = onnx.load(str(src))
    inp = model.graph.input[0]
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    if len(dims) != 4 or 0 in dims:
        raise ValueError(f"INT8 calibration needs a static (B, 3, H, W) input, got {dims}; export with dynamic=False")
    last = {f"cv{b}.{i}.2" for b in (2, 3) for i in range(3)}  # the head's box / class logit convs
    head_tail = [n.name for n in model.graph.node if keep_float in n.name and (
        n.op_type != "Conv" or "/dfl/" in n.name or n.name.split("/")[-2] in last)]
    files = calibration_images(images, n_images)
    LOGGER.info(f"INT8 calibration on {len(files)} images at {dims[2]}x{dims[3]}")
    quantize_static(
        str(src), str(dst), _Reader(files, (dims[2], dims[3]), inp.name),
        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
        op_types_to_quantize=["Conv", "MatMul"], nodes_to_exclude=head_tail,
    )
    out = onnx.load(str(dst))
    del out.metadata_props[:]
    for k, v in {**read_metadata(src), "quantization": "int8-static-qdq"}.items():
        out.metadata_props.add(key=k, value=v)
    onnx.save(out, str(dst))
    return Path(dst)
