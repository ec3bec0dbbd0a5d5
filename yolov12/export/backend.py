"""Predict through onnxruntime: :class:`OnnxBackend` is a parameter-less ``nn.Module`` the Predictor accepts.

>>> model = load_onnx("yolov12n.onnx")
>>> results = Predictor(model, model.names, PredictConfig(imgsz=model.imgsz))("bus.jpg")
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from yolov12.export.onnx import META_KEYS
from yolov12.utils import LOGGER, YoloError


class OnnxModelError(YoloError, ValueError):
    """An ONNX file whose yolov12 metadata is malformed or contradicts its graph."""


def parse_metadata(meta: dict[str, str], path: Path | str) -> tuple[list[str], tuple[int, int], int]:
    """(names, imgsz (h, w), stride) from our metadata strings; :class:`OnnxModelError` naming the bad key."""
    def load(key: str):
        try:
            return json.loads(meta[key])
        except (ValueError, TypeError) as e:
            raise OnnxModelError(f"{path}: metadata '{key}' is not valid JSON ({meta[key][:60]!r})") from e

    names, imgsz, stride = load("names"), load("imgsz"), load("stride")
    if isinstance(names, dict):  # {"0": "person", ...}
        try:
            names = [names[k] for k in sorted(names, key=int)]
        except (ValueError, TypeError):
            names = None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise OnnxModelError(f"{path}: metadata 'names' must be a non-empty list of class names")
    if (not isinstance(imgsz, list) or len(imgsz) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 65536 for v in imgsz)):
        raise OnnxModelError(f"{path}: metadata 'imgsz' must be [height, width] in pixels, got {meta['imgsz'][:60]!r}")
    if not isinstance(stride, int) or isinstance(stride, bool) or stride not in (8, 16, 32, 64):
        raise OnnxModelError(f"{path}: metadata 'stride' must be 8, 16, 32 or 64, got {meta['stride'][:60]!r}")
    return names, (imgsz[0], imgsz[1]), stride


class OnnxBackend(nn.Module):
    """An exported ONNX detector. ``forward`` (B, 3, H, W) float in [0, 1] -> (B, 4 + nc, A) float32 CPU tensor.

    Graphs with in-graph NMS return their (B, max_det, 6) detections re-expressed as a (B, 4 + nc, max_det)
    prediction (cxcywh boxes, the score at the detection's class, 0 elsewhere), so the Predictor's NMS keeps
    them unchanged; segment graphs' (B, max_det, 6 + 32) detections keep their mask coefficients after the
    scores and come back with the prototypes, ``(pred, protos)``; ``forward_raw`` gives the graph's own outputs.

    Attributes: ``names`` (list[str]), ``nc``, ``task`` (from the metadata; a foreign file is read as a
    detector), ``stride`` (32), ``imgsz`` ((h, w) exported size),
    ``dynamic`` (accepts other sizes), ``metadata`` (dict[str, str]), ``session`` (onnxruntime session).
    """

    def __init__(self, path: str | Path, threads: int = 2, providers: list[str] | None = None, spin: bool = False
                 ) -> None:
        super().__init__()
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"ONNX file not found: {path}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not spin:  # idle pool threads sleep instead of spinning: they would take the cores from the letterbox,
            # NMS and drawing done between runs (benchmarks/onnx_pipeline.py, 2 cores: val 0.66x, predict 0.61x
            # the time with spinning); spin=True suits back-to-back runs on otherwise idle cores
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=providers or ["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own classes (InvalidProtobuf, Fail, ...)
            raise OnnxModelError(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})") from e
        self.path = path
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_dtype = np.float16 if inp.type == "tensor(float16)" else np.float32
        self.dynamic = not all(isinstance(d, int) for d in inp.shape)
        outputs = self.session.get_outputs()
        self.has_nms = len(outputs) >= 2 and outputs[0].name == "detections" and outputs[1].name == "num_dets"
        if all(k in self.metadata for k in META_KEYS):
            self.names, self.imgsz, self.stride = parse_metadata(self.metadata, path)
            self.task = self.metadata["task"]
            out = self.session.get_outputs()[0].shape
            if (self.task == "detect" and not self.has_nms and len(out) == 3 and isinstance(out[1], int)
                    and out[1] - 4 != len(self.names)):
                raise OnnxModelError(f"{path}: metadata names {len(self.names)} classes but the graph outputs "
                                     f"{out[1] - 4} (output {out}); the file was altered after export")
        else:
            self._foreign(inp.shape)
            self.task = "detect"
        self.nc = len(self.names)
        self.kpt_shape = None  # pose graphs: (K, D), the keypoint layout of the output's last K * D channels
        if self.task == "pose":
            try:
                k, d = json.loads(self.metadata.get("model_config", "{}")).get("kpt_shape") or (17, 3)
                self.kpt_shape = (int(k), int(d))
            except (ValueError, TypeError) as e:
                raise OnnxModelError(f"{path}: unreadable kpt_shape in the metadata ({e})") from e

    def _foreign(self, in_shape: list) -> None:
        """A file without our metadata: accepted when its output is (B, 4 + nc, A); names become "0".."nc-1"."""
        missing = [k for k in META_KEYS if k not in self.metadata]
        h, w = (d if isinstance(d, int) else 640 for d in in_shape[2:4]) if len(in_shape) == 4 else (640, 640)
        out_shape = None
        if len(in_shape) == 4:
            b = in_shape[0] if isinstance(in_shape[0], int) else 1
            x = np.zeros((b, 3, h, w), self.input_dtype)
            try:
                out_shape = self.session.run(None, {self.input_name: x})[0].shape
            except Exception as e:  # noqa: BLE001 - any runtime failure means: not a detector we can drive
                LOGGER.debug(f"probe run failed: {e}")
        if out_shape is None or len(out_shape) != 3 or out_shape[1] <= 4 or self.has_nms:
            raise OnnxModelError(
                f"{self.path} is not a YOLOv12 ONNX export: metadata {missing} missing, and its output "
                f"{out_shape} is not (B, 4 + nc, A) for an input (B, 3, H, W); export with yolov12 to get both"
            )
        self.names = [str(i) for i in range(out_shape[1] - 4)]
        self.imgsz, self.stride = (h, w), 32
        LOGGER.warning(
            f"WARNING: {self.path.name} has no yolov12 metadata ({', '.join(missing)}); assuming a (B, 4 + nc, A) "
            f"detector with nc={len(self.names)}, class names '0'..'{len(self.names) - 1}', stride 32, imgsz {h}x{w}"
        )

    def forward_raw(self, x: torch.Tensor) -> list[np.ndarray]:
        """The graph's outputs for input ``x`` (B, 3, H, W).

        A static graph takes smaller inputs padded at the bottom/right with letterbox grey (box coordinates are
        unchanged) and other batch sizes one image at a time.
        """
        shape = self.session.get_inputs()[0].shape
        if not self.dynamic:
            (b0, _, h0, w0), (b, _, h, w) = shape, x.shape
            if h > h0 or w > w0:
                raise ValueError(f"input {h}x{w} is larger than this static graph's {h0}x{w0}; export with dynamic=True")
            if (h, w) != (h0, w0):
                x = torch.nn.functional.pad(x, (0, w0 - w, 0, h0 - h), value=114 / 255)
            if b != b0 and b0 == 1:
                outs = [self.forward_raw(x[i : i + 1]) for i in range(b)]
                return [np.concatenate(parts) for parts in zip(*outs)]
        arr = x.detach().cpu().numpy().astype(self.input_dtype, copy=False)
        return self.session.run(None, {self.input_name: np.ascontiguousarray(arr)})

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        outs = self.forward_raw(x)
        if self.kpt_shape is not None:  # pose: (pred, keypoints (B, K, D, A)) as the torch model's eval output
            pred = torch.from_numpy(outs[0]).float()
            k, d = self.kpt_shape
            return pred, pred[:, pred.shape[1] - k * d:].reshape(pred.shape[0], k, d, -1)
        if not self.has_nms and len(outs) > 1:  # e.g. segment: (predictions, prototypes), as the torch model
            return tuple(torch.from_numpy(o).float() for o in outs)
        if not self.has_nms:
            return torch.from_numpy(outs[0]).float()
        det = torch.from_numpy(outs[0]).float()  # (B, max_det, 6 + extra): extra = segment mask coefficients
        xy, wh = (det[..., :2] + det[..., 2:4]) / 2, det[..., 2:4] - det[..., :2]
        scores = torch.zeros(*det.shape[:2], self.nc)
        scores.scatter_(2, det[..., 5:6].long().clamp(0, self.nc - 1), det[..., 4:5])
        pred = torch.cat((xy, wh, scores, det[..., 6:]), -1).transpose(1, 2).contiguous()
        if len(outs) > 2:  # segment: (predictions with coefficients, prototypes), as the torch model
            return (pred, *(torch.from_numpy(o).float() for o in outs[2:]))
        return pred


def load_onnx(path: str | Path, threads: int = 2, providers: list[str] | None = None, spin: bool = False
              ) -> OnnxBackend:
    """An :class:`OnnxBackend` for ``path`` (onnxruntime, ``threads`` intra-op threads, CPU by default; ``spin``:
    let idle pool threads spin, see :class:`OnnxBackend`)."""
    return OnnxBackend(path, threads=threads, providers=providers, spin=spin)
