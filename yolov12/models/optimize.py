"""The default fast inference path: :func:`prepare_for_inference` (fused BN, eval, channels-last on CPU).

Measured on a 2-core AVX2 CPU (see ``benchmarks/latency.py``): oneDNN convolutions run faster on channels-last
(NHWC) maps than on NCHW ones, and area attention takes its token-major q, k, v from a channels-last map
without copies. The maths is unchanged: outputs match the plain model to float32 rounding.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

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
        return freeze_trace(model, x)
    return model


def weights_version(model: nn.Module) -> tuple[tuple[int, int], ...]:
    """A cheap fingerprint of the weights ``model`` holds now: (storage address, in-place version counter) of
    every parameter and buffer, module by module. It changes with ``load_state_dict``, optimizer steps, in-place
    edits (also under ``torch.no_grad()``), BatchNorm statistics updated by a training-mode forward, ``.to()``,
    ``.half()``, fusing and replaced modules or parameters; it cannot see in-place edits made through ``.data``
    (autograd does not count those) nor, for a model built under ``torch.inference_mode()``, in-place edits. The module dicts are walked directly: ~0.4 ms for yolov12n, a third of
    ``model.parameters()``'s generator cost."""
    out, stack = [], [model]
    while stack:
        m = stack.pop()
        for t in (*m._parameters.values(), *m._buffers.values()):
            if t is not None:
                out.append((t.data_ptr(), -1 if t.is_inference() else t._version))  # inference tensors: no counter
        stack.extend(m._modules.values())
    return tuple(out)


def freeze_trace(model: nn.Module, example: torch.Tensor) -> torch.jit.ScriptModule:
    """A frozen TorchScript graph of ``model`` for inputs of ``example``'s shape (same maths, standard ops)."""
    p = next(model.parameters(), None)
    if p is not None and p.is_contiguous(memory_format=torch.channels_last) and p.ndim == 4:
        example = example.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), warnings.catch_warnings():
        # here only: a graph per input shape makes the TracerWarnings about shapes read as constants moot, and
        # torch 2.13 marks trace/freeze deprecated (they still pay: see ShapeCachedGraphs)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated", category=DeprecationWarning)
        graph = torch.jit.trace(model, example, check_trace=False)
        return torch.jit.freeze(graph.eval())


class ShapeCachedGraphs(nn.Module):
    """Runs ``model`` eagerly, and switches to a frozen graph for an input shape once that shape has been seen
    ``after`` times (video frames, camera streams, a server's same-size requests). At most ``max_graphs`` shapes
    are kept; the least recently used is dropped and has to be seen ``after`` times again before it is re-traced.
    Gradients, autocast and non-CPU devices always take the eager model.

    Why ``after=100``: measured with ``benchmarks/latency.py --scales n --jit`` on a shared 2-core CPU (3 runs of
    30, interleaved), the graph takes 0.53-0.62x the eager time at 224 px (8-14 ms saved per call) and
    0.74-0.89x at 640 px (12-20 ms saved), but tracing + freezing costs 1.3-6 s. It pays back after ~100 calls
    of one shape. With the former ``after=3``, a one-off ``yolov12 predict`` on the 40 digits val images (3
    shapes) spent longer tracing than it saved; waiting for ~100 calls costs at most about one trace.
    """

    def __init__(self, model: nn.Module, after: int = 100, max_graphs: int = 4) -> None:
        super().__init__()
        self.model = model
        self.after, self.max_graphs = after, max_graphs
        self._seen: dict[tuple, int] = {}
        self._graphs: OrderedDict[tuple, torch.jit.ScriptModule] = OrderedDict()

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["model"], name)  # stride, names, nc, cfg... of the wrapped model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu" or torch.is_grad_enabled() or torch.is_autocast_enabled("cpu"):
            return self.model(x)
        key = (tuple(x.shape), x.dtype)
        graph = self._graphs.get(key)
        if graph is None:
            self._seen[key] = self._seen.get(key, 0) + 1
            if self._seen[key] < self.after:
                return self.model(x)
            graph = self._graphs[key] = freeze_trace(self.model, x)
            while len(self._graphs) > self.max_graphs:
                dropped, _ = self._graphs.popitem(last=False)
                self._seen[dropped] = 0  # earns its graph again: no re-trace per call when shapes alternate
        self._graphs.move_to_end(key)
        return graph(x)
