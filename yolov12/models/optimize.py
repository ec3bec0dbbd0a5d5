"""The default fast inference path: :func:`prepare_for_inference` (fused BN, eval, channels-last on CPU).

Measured on a 2-core AVX2 CPU (see ``benchmarks/latency.py``): oneDNN convolutions run faster on channels-last
(NHWC) maps than on NCHW ones, and area attention takes its token-major q, k, v from a channels-last map
without copies. The maths is unchanged: outputs match the plain model to float32 rounding.
"""

from __future__ import annotations

import torch
from torch import nn


def prepare_for_inference(
    model: nn.Module, channels_last: bool | None = None, fuse: bool = True, trace_size: tuple[int, int] | None = None,
) -> nn.Module:
    """Put ``model`` (a :class:`~yolov12.models.DetectionModel`) on its fast inference path, in place.

    - ``fuse``: fold every BatchNorm into its conv (``model.fuse()``);
    - eval mode, no gradients;
    - ``channels_last``: store the weights channels-last so every feature map follows (the input may stay
      NCHW; the first conv's output is channels-last). ``None`` means: on when the model is on the CPU.
    - ``trace_size`` (H, W): additionally trace and freeze a TorchScript graph for batch 1 at that size and
      return it (fixed input size; see the benchmark for whether it pays).

    Returns the model (or the frozen graph). Call it under no autograd; run the model under
    ``torch.inference_mode()``.
    """
    if fuse and hasattr(model, "fuse"):
        model.fuse()
    model.eval().requires_grad_(False)
    if channels_last is None:
        p = next(model.parameters(), None)
        channels_last = p is not None and p.device.type == "cpu"
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if trace_size is not None:
        p = next(model.parameters())
        x = torch.zeros(1, 3, *trace_size, device=p.device, dtype=p.dtype)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            graph = torch.jit.trace(model, x, check_trace=False)
            return torch.jit.freeze(graph.eval())
    return model
