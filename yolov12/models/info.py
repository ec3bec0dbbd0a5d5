"""Model size and cost: parameters (unfused / fused), GFLOPs at 640 in the paper's convention and with the
attention matmuls, and the attention kernel the device will use. FLOPs come from torch.utils.flop_counter."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from yolov12.nn.attention import attention_backend
from yolov12.utils.checks import check_imgsz

_CONV_OPS = ("convolution",)


@dataclass
class ModelInfo:
    name: str
    layers: int
    parameters: int
    fused_parameters: int
    gflops: float  # fused, convolutions only, 2 x multiply-adds (paper convention)
    gflops_with_attention: float  # plus attention matmuls
    imgsz: int
    attention_kernel: str
    device: str

    def summary(self) -> str:
        return (
            f"{self.name}: {self.layers} layers, {self.parameters:,} parameters ({self.fused_parameters:,} fused), "
            f"{self.gflops:.2f} GFLOPs at {self.imgsz} (paper convention; {self.gflops_with_attention:.2f} with "
            f"attention matmuls), attention kernel on {self.device}: {self.attention_kernel}"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_flops(model: nn.Module, imgsz: int | tuple[int, int] = 640) -> tuple[float, float]:
    """(conv GFLOPs, total GFLOPs incl. attention matmuls) of one forward at ``imgsz`` (eval mode, CPU copy)."""
    h, w = (imgsz, imgsz) if isinstance(imgsz, int) else imgsz
    m = copy.deepcopy(model).cpu().float().eval().requires_grad_(False)
    x = torch.zeros(1, 3, h, w)
    counter = FlopCounterMode(display=False)
    # Standard aten ops only: the math SDPA backend exposes the attention matmuls, and grad mode (no graph is
    # built: nothing requires grad) keeps inference-only fused conv kernels out of the way.
    with counter, sdpa_kernel(SDPBackend.MATH), torch.enable_grad():
        m(x)
    per_op = counter.get_flop_counts().get("Global", {})
    conv = sum(v for k, v in per_op.items() if any(c in str(k) for c in _CONV_OPS))
    return conv / 1e9, counter.get_total_flops() / 1e9


def model_info(model: nn.Module, imgsz: int = 640, device: torch.device | str | None = None) -> ModelInfo:
    """Sizes and costs of a DetectionModel (fused FLOPs computed on a fused copy; ``model`` is untouched)."""
    check_imgsz("imgsz", imgsz, 32)  # the largest stride
    fused = copy.deepcopy(model).cpu().float().eval()
    if hasattr(fused, "fuse"):
        fused.fuse()
    gflops, gflops_all = count_flops(fused, imgsz)
    if device is None:
        device = next(model.parameters()).device
    device = torch.device(device)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    cfg = getattr(model, "cfg", None)
    name = (f"yolov12{cfg.scale}" + ("" if cfg.variant == "v1" else f"-{cfg.variant}")
            + ("" if cfg.task == "detect" else f" ({cfg.task})")) if cfg else type(model).__name__
    return ModelInfo(
        name=name,
        layers=sum(1 for _ in model.modules()),
        parameters=count_parameters(model),
        fused_parameters=count_parameters(fused),
        gflops=round(gflops, 4),
        gflops_with_attention=round(gflops_all, 4),
        imgsz=imgsz,
        attention_kernel=f"{attention_backend(device, dtype)} ({str(dtype).removeprefix('torch.')})",
        device=str(device),
    )
