"""select_device: every device string is checked against what this machine has."""

import pytest
import torch

from yolov12.training.distributed import DistInfo, select_device


def test_cpu_and_auto():
    assert select_device("cpu", DistInfo()).type == "cpu"
    assert select_device("", DistInfo()).type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("device", ["banana", "cuda:x", "0,a", "None"])
def test_malformed_device_is_named(device):
    with pytest.raises(ValueError, match=f"device={device!r} is not a valid device; use '' \\(auto\\), 'cpu'"):
        select_device(device, DistInfo())


@pytest.mark.parametrize("device", ["0", "cuda:7", "0,1", "cuda"])
def test_cuda_without_cuda(device, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=f"device={device!r} requested but CUDA is not available; use device=cpu"):
        select_device(device, DistInfo())


@pytest.mark.parametrize("device", ["cuda:7", "0,7", "1"])
def test_cuda_index_beyond_the_visible_devices(device, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=r"only 1 CUDA device\(s\) are visible \(0..0\)"):
        select_device(device, DistInfo())
    assert select_device("cuda:0", DistInfo()) == torch.device("cuda", 0)


def test_mps_without_mps(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="MPS is not available"):
        select_device("mps", DistInfo())
