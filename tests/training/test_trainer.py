"""Trainer set-up: arguments that only make sense against the data or the model are checked there."""

import pytest

from yolov12.training import TrainConfig, Trainer
from yolov12.data import resolve_data


def test_freezing_every_layer_is_an_error():
    trainer = Trainer(TrainConfig(model="yolov12n.yaml", freeze=22, device="cpu"))
    with pytest.raises(ValueError, match="freeze=22 would freeze every layer; the model has 22 layers"):
        trainer._build_model(["a", "b"])
    model = Trainer(TrainConfig(model="yolov12n.yaml", freeze=21, device="cpu"))._build_model(["a"])
    assert not any(p.requires_grad for p in model.layers[20].parameters())
    assert any(p.requires_grad for p in model.layers[21].parameters())  # the head still trains


def test_data_must_be_a_path_or_an_embedded_name():
    with pytest.raises(ValueError, match="data= must be a data.yaml path.*got 5"):
        resolve_data(5)


def test_onnx_model_and_missing_resume_checkpoint_are_named(tmp_path):
    with pytest.raises(ValueError, match="an exported ONNX model predicts and validates only"):
        Trainer(TrainConfig(model=str(tmp_path / "m.onnx"), device="cpu"))._build_model(["a"])
    with pytest.raises(FileNotFoundError, match="resume: checkpoint yolov12n.yaml not found; pass resume="):
        Trainer(TrainConfig(model="yolov12n.yaml", resume=True, device="cpu"))


def test_cpu_loader_workers_leave_torch_threads_their_cores(monkeypatch):
    import os

    import torch

    from yolov12.training.trainer import loader_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)
    assert loader_workers(2, torch.device("cpu")) == 0  # torch's threads take every core (its default)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 6)
    assert loader_workers(4, torch.device("cpu")) == 2 and loader_workers(1, torch.device("cpu")) == 1
    assert loader_workers(4, torch.device("cuda", 0)) == 4  # accelerators keep the asked number
