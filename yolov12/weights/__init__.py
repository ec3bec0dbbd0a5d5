"""Weights: our safetensors checkpoints, and safe import of published checkpoints (no code execution).

Building the network a file describes is the task's: ``yolov12.tasks.load_model``."""

from yolov12.weights.checkpoint import read_safetensors, save_model, save_safetensors
from yolov12.weights.loading import LoadedWeights, load_state_strict, load_weights, transfer_weights
from yolov12.weights.safe_pickle import CheckpointFormatError, UnsafeCheckpointError, safe_load_pt

__all__ = [
    "CheckpointFormatError", "LoadedWeights", "UnsafeCheckpointError", "load_state_strict", "load_weights",
    "read_safetensors", "safe_load_pt", "save_model", "save_safetensors", "transfer_weights",
]
