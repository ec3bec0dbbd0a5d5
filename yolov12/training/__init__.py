"""Training: config, optimiser groups and schedule, EMA, checkpoints, the loop, distributed set-up."""

from yolov12.training.config import TrainConfig
from yolov12.training.trainer import TrainResult, Trainer, train

__all__ = ["TrainConfig", "TrainResult", "Trainer", "train"]
