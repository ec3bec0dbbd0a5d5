"""Process-wide torch settings: read them, and put them back after a run that changes them.

Prediction and validation change none of these. Training owns its process and sets some (flush-denormal on its
thread, the CPU thread count under CPU DDP, deterministic algorithms and cuDNN flags); ``YOLO.train`` runs it under
:func:`preserved_torch_flags` so an application that trains from Python gets its own settings back.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch


def denormals_flushed() -> bool:
    """Whether the calling thread flushes denormal floats to zero (``torch.set_flush_denormal`` has no getter:
    half the smallest normal float32 is computed and compared with zero)."""
    tiny = torch.finfo(torch.float32).tiny
    return (torch.tensor([tiny]) * 0.5).item() == 0.0


@contextlib.contextmanager
def preserved_torch_flags() -> Iterator[None]:
    """Restore on exit the settings a training run may change: flush-denormal (this thread), the intra-op thread
    count, deterministic algorithms (and warn-only), ``cudnn.benchmark`` / ``cudnn.deterministic`` and the
    ``CUBLAS_WORKSPACE_CONFIG`` environment variable."""
    flushed, threads = denormals_flushed(), torch.get_num_threads()
    det, det_warn = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic
    cublas = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    try:
        yield
    finally:
        torch.set_flush_denormal(flushed)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(det, warn_only=det_warn)
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = cudnn
        if cublas is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = cublas
