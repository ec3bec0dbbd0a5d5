"""Map published YOLOv12 / YOLO12 state dicts onto our modules, in one place (cf. timm's checkpoint filters).

Published keys read ``model.<row>.<block path>``; ours read ``layers.<row>.<block path>`` with the same block
paths. The variant, scale, class count and the shape-visible ablation knobs are read off the tensors.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from yolov12.config import SCALES, ModelConfig
from yolov12.utils.errors import ConfigError
from yolov12.weights.safe_pickle import (
    CheckpointFormatError, Placeholder, UnsafeCheckpointError, module_state_dict, safe_load_pt,
)

_STEM_WIDTH = {s: int(64 * sc.width) for s, sc in SCALES.items()}  # layer 0 output channels
# Which task a state dict is, read off its head: (task, the tensor whose first dimension is the class count), tried in
# order; a head that shares another's keys (segment/pose/obb carry Detect's cv3 too) goes before it, keyed on a
# tensor of its own. An optional third entry names the class-count tensor when the marker tensor is not it.
HEAD_SIGNATURES: tuple[tuple[str, ...], ...] = (
    ("classify", "layers.9.linear.weight"),
    ("segment", "layers.21.proto.cv3.conv.weight", "layers.21.cv3.0.2.weight"),
    ("pose", "layers.21.cv4.0.2.weight", "layers.21.cv3.0.2.weight"),  # see _is_pose
    ("obb", "layers.21.cv4.0.2.weight", "layers.21.cv3.0.2.weight"),  # see _is_obb
    ("detect", "layers.21.cv3.0.2.weight"),
)


def remap_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``model.N.x`` / ``state.model.N.x`` -> ``layers.N.x``; our own keys pass through."""
    out = {}
    for k, v in state.items():
        k = k.removeprefix("state.")
        if k.startswith("model."):
            k = "layers." + k[len("model."):]
        if k.startswith("layers."):
            out[k] = v
    return out


def detect_variant(state: dict[str, torch.Tensor]) -> str:
    if any(".attn.qk." in k for k in state):
        return "turbo"
    if any(re.search(r"\.attn\.pe\.conv\.bias$", k) for k in state):
        return "v1-release"
    return "v1"


def _is_pose(state: dict[str, torch.Tensor]) -> bool:
    """A pose head: a Detect head with a ``cv4`` branch of 2+ outputs per level and no mask prototypes (an
    oriented-box head's ``cv4`` has 1 output, a segmentation head has ``proto``)."""
    w = state.get("layers.21.cv4.0.2.weight")
    return (w is not None and w.shape[0] >= 2 and "layers.21.cv3.0.2.weight" in state
            and not any(k.startswith("layers.21.proto.") for k in state))


def pose_kpt_shape(nk: int) -> tuple[int, int]:
    """(K, D) for K * D keypoint values when nothing else says: D = 3 when it divides (COCO 17 x 3), else 2."""
    return (nk // 3, 3) if nk % 3 == 0 else (nk // 2, 2)


def _is_obb(state: dict[str, torch.Tensor]) -> bool:
    """An oriented-box head: a Detect head whose ``cv4`` branch has exactly 1 output (the angle), no prototypes."""
    w = state.get("layers.21.cv4.0.2.weight")
    return (w is not None and w.shape[0] == 1 and "layers.21.cv3.0.2.weight" in state
            and not any(k.startswith("layers.21.proto.") for k in state))


def _signature_matches(row: tuple[str, ...], state: dict[str, torch.Tensor]) -> bool:
    return (row[1] in state and row[-1] in state and (row[0] != "pose" or _is_pose(state))
            and (row[0] != "obb" or _is_obb(state)))


def infer_config(state: dict[str, torch.Tensor], kpt_shape: tuple[int, int] | None = None) -> ModelConfig:
    """Build the :class:`ModelConfig` that fits a (remapped) state dict. ``kpt_shape``: a pose model's (K, D) when
    the source says (a published checkpoint's yaml); otherwise read off ``cv4`` (:func:`pose_kpt_shape`)."""
    row = next((row for row in HEAD_SIGNATURES if _signature_matches(row, state)), None)
    head = None if row is None else (row[0], row[-1], row[1])  # task, class-count tensor, marker
    if "layers.0.conv.weight" not in state or head is None:
        missing = "layers.0.conv.weight" if head else " / ".join(row[1] for row in HEAD_SIGNATURES)
        raise CheckpointFormatError(f"not a YOLOv12 state dict of a known task: missing {missing}")
    stem = state["layers.0.conv.weight"].shape[0]
    task, nc = head[0], state[head[1]].shape[0]
    pose: dict[str, Any] = {}
    if task == "pose":
        nk = int(state[head[2]].shape[0])
        kpt = tuple(kpt_shape) if kpt_shape is not None else pose_kpt_shape(nk)
        if kpt[0] * kpt[1] != nk:
            raise CheckpointFormatError(f"the checkpoint says kpt_shape {list(kpt)} but its head has {nk} keypoint "
                                        "values per anchor")
        pose["kpt_shape"] = kpt
    blocks6 = {int(m.group(1)) for k in state if (m := re.match(r"layers\.6\.m\.(\d+)\.", k))}
    deep = len(blocks6) > 2
    candidates = [s for s, w in _STEM_WIDTH.items() if w == stem and (s in ("l", "x")) == deep]
    if not candidates:
        raise CheckpointFormatError(f"no YOLOv12 scale has a {stem}-channel stem with {len(blocks6)} blocks in layer 6")
    variant = detect_variant(state)
    cfg = ModelConfig(scale=candidates[0], nc=int(nc), variant=variant, task=task, **pose)
    knobs: dict[str, Any] = {}
    pe = next((v for k, v in state.items() if k.endswith(".attn.pe.conv.weight")), None)
    if pe is not None and pe.shape[-1] != cfg.resolved_pe_kernel:
        knobs["pe_kernel"] = int(pe.shape[-1])
    mlp = state.get("layers.6.m.0.0.mlp.0.conv.weight")
    if mlp is not None:
        ratio = mlp.shape[0] / mlp.shape[1]
        if abs(ratio - cfg.resolved_mlp_ratio) > 1e-6 and int(mlp.shape[1] * cfg.resolved_mlp_ratio) != mlp.shape[0]:
            knobs["mlp_ratio"] = ratio
    has_gamma = "layers.6.gamma" in state or "layers.8.gamma" in state
    if has_gamma != cfg.resolved_residual:
        knobs["residual"] = has_gamma
    attention = tuple(any(k.startswith(f"layers.{row}.m.0.0.attn.") for k in state) for row in (6, 8))
    if attention != cfg.attention:
        knobs["attention"] = attention
    if knobs:
        cfg = ModelConfig(**{**cfg.to_dict(), **knobs})
    return cfg


def _names(obj: Any, nc: int) -> list[str]:
    names = getattr(obj, "names", None) if isinstance(obj, Placeholder) else None
    if isinstance(names, dict):
        names = [str(names[i]) for i in sorted(names)]
    if isinstance(names, (list, tuple)) and len(names) == nc:
        return [str(n) for n in names]
    return []


def _kpt_shape(obj: Any) -> tuple[int, int] | None:
    """A published pose checkpoint's ``kpt_shape`` (its yaml's), when it is a valid [K, 2|3]."""
    y = getattr(obj, "yaml", None) if isinstance(obj, Placeholder) else None
    k = y.get("kpt_shape") if isinstance(y, dict) else None
    if isinstance(k, list | tuple) and len(k) == 2 and all(isinstance(v, int) for v in k) and k[1] in (2, 3):
        return int(k[0]), int(k[1])
    return None


def load_published_pt(path) -> tuple[ModelConfig, dict[str, torch.Tensor], dict]:
    """Read a released YOLOv12/YOLO12 ``.pt`` safely. Returns (config, our-key state dict in float32, metadata)."""
    ckpt = safe_load_pt(path)
    try:
        return _interpret(ckpt, path)
    except (UnsafeCheckpointError, CheckpointFormatError, ConfigError):
        raise
    except (RecursionError, AttributeError, TypeError, KeyError, IndexError, RuntimeError, ValueError) as e:
        # the object tree is untrusted: any structure our reading does not expect is a format error, not a crash
        raise CheckpointFormatError(f"{path}: unexpected checkpoint structure ({type(e).__name__}: {e})") from e


def _interpret(ckpt: Any, path) -> tuple[ModelConfig, dict[str, torch.Tensor], dict]:
    if isinstance(ckpt, dict):
        net = ckpt.get("ema") if ckpt.get("ema") is not None else ckpt.get("model")
        meta = {k: v for k, v in ckpt.items() if k in ("date", "version", "license", "epoch", "best_fitness")}
        train_args = ckpt.get("train_args")
    else:
        net, meta, train_args = ckpt, {}, None
    if not isinstance(net, Placeholder):
        raise CheckpointFormatError(f"{path}: no model found in the checkpoint (expected a 'model' or 'ema' entry)")
    state = remap_keys(module_state_dict(net))
    if not state:
        raise CheckpointFormatError(f"{path}: the checkpoint's model holds no YOLOv12 layers")
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    cfg = infer_config(state, _kpt_shape(net))
    names = _names(net, cfg.nc)
    if names:
        cfg = ModelConfig(**{**cfg.to_dict(), "names": names})
    if isinstance(train_args, dict):
        meta["train_args"] = {k: v for k, v in train_args.items() if isinstance(v, (str, int, float, bool, type(None)))}
    meta["source"] = f"published checkpoint ({ckpt.get('version', '?') if isinstance(ckpt, dict) else '?'})"
    return cfg, state, meta
