"""Device selection and the torchrun environment, shared by training, validation and inference."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DistInfo:
    rank: int = -1  # global rank; -1 when not distributed
    local_rank: int = -1
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank in (-1, 0)


def dist_info_from_env() -> DistInfo:
    """Read the variables torchrun sets (RANK, LOCAL_RANK, WORLD_SIZE)."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world <= 1:
        return DistInfo()
    return DistInfo(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0)), world)


def select_device(device: str, info: DistInfo) -> torch.device:
    """'' -> cuda:local_rank when available, else cpu; 'cpu' -> cpu; '0' / '0,1' -> that GPU (local rank's)."""
    given = str(device)
    device = given.strip().lower().replace("cuda:", "")
    mps = torch.backends.mps.is_available()
    if device == "cpu" or (device == "mps" and mps):
        return torch.device(device)
    if device == "mps":
        raise ValueError(f"device={given!r} requested but MPS is not available; use device=cpu")
    ids = [d.strip() for d in device.split(",")] if device not in ("", "cuda") else []
    if not all(d.isdigit() for d in ids):
        other = ", 'mps'" if mps else ""
        raise ValueError(f"device={given!r} is not a valid device; use '' (auto), 'cpu'{other}, a CUDA index such as 0 "
                         "or cuda:0, or several indices such as 0,1")
    if not torch.cuda.is_available():
        if device not in ("",):
            raise ValueError(f"device={given!r} requested but CUDA is not available; use device=cpu")
        return torch.device("cpu")
    n = torch.cuda.device_count()
    if any(int(d) >= n for d in ids):
        raise ValueError(f"device={given!r} requested but only {n} CUDA device(s) are visible (0..{n - 1})")
    if info.enabled:
        return torch.device("cuda", info.local_rank)
    return torch.device("cuda", int(ids[0]) if ids else 0)
