"""Process-wide torch settings: the flush-denormal probe, and their restoration after a run that changes them."""

import os

import torch

from yolov12.utils.torch_flags import denormals_flushed, preserved_torch_flags


def _flags():
    return (denormals_flushed(), torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
            torch.is_deterministic_algorithms_warn_only_enabled(), torch.backends.cudnn.benchmark,
            torch.backends.cudnn.deterministic, os.environ.get("CUBLAS_WORKSPACE_CONFIG"))


def test_denormal_probe_follows_the_setting():
    was = denormals_flushed()  # earlier tests may have run the trainer directly, which sets it process-wide
    try:
        torch.set_flush_denormal(False)
        assert not denormals_flushed()
        if torch.set_flush_denormal(True):  # False: the CPU cannot flush (no SSE3)
            assert denormals_flushed()
    finally:
        torch.set_flush_denormal(was)


def test_preserved_torch_flags_restores_what_training_sets(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = _flags()
    with preserved_torch_flags():
        torch.set_flush_denormal(True)  # what Trainer._seed sets
        torch.set_num_threads(max(1, before[1] - 1) if before[1] > 1 else 2)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = not before[4]
        torch.backends.cudnn.deterministic = not before[5]
        assert _flags() != before
    assert _flags() == before
