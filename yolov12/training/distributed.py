"""Distributed set-up for torchrun (PyTorch DDP): NCCL on GPUs, gloo on CPU."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta

import torch
import torch.distributed as dist

from yolov12.utils import LOGGER
from yolov12.utils.device import DistInfo, dist_info_from_env, select_device

__all__ = ["DistInfo", "cleanup_distributed", "dist_info_from_env", "init_distributed", "launch_torchrun",
           "select_device"]


def init_distributed(info: DistInfo, device: torch.device) -> None:
    if not info.enabled or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend, timeout=timedelta(minutes=30))
    LOGGER.info(f"DDP: rank {info.rank}/{info.world_size} on {device} ({backend})")


def cleanup_distributed() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def launch_torchrun(argv: list[str], nproc: int) -> int:
    """Re-run this command under torchrun with ``nproc`` processes on this machine (device=0,1,...)."""
    torchrun = shutil.which("torchrun")
    cmd = [torchrun] if torchrun else [sys.executable, "-m", "torch.distributed.run"]
    cmd += ["--standalone", f"--nproc_per_node={nproc}", "-m", "yolov12", *argv]
    LOGGER.info("launching: " + " ".join(cmd))
    return subprocess.call(cmd)
