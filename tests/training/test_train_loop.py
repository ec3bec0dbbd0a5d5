"""End-to-end training on tiny real data: run folder, non-finite handling, resume after SIGKILL, DDP."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from yolov12.loss import DetectionLoss, LossOutput
from yolov12.training import TrainConfig, train
from yolov12.training.state import load_train_state
from yolov12.training.trainer import NonFiniteLossError
from yolov12.weights import read_safetensors

TINY = dict(model="yolov12n.yaml", imgsz=64, batch=4, workers=0, plots=False, verbose=False, nbs=4,
            warmup_epochs=0.0, close_mosaic=0)


def test_run_folder(tiny_digits, tmp_path):
    r = train(TrainConfig(data=str(tiny_digits), epochs=2, project=str(tmp_path), name="run", **{**TINY, "plots": True}))
    d = r.save_dir
    for f in ("args.yaml", "results.csv", "labels.png", "train_batch0.jpg", "results.png", "weights/last.safetensors",
              "weights/best.safetensors", "confusion_matrix.png", "metrics.json"):
        assert (d / f).exists(), f
    rows = (d / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 3 and rows[0].startswith("epoch,train/box")
    st = load_train_state(r.last)
    assert st.epoch == 1 and st.optimizer["param_groups"]
    tensors, _ = read_safetensors(r.best)
    assert not any(k.startswith("train.") for k in tensors), "best holds weights only"


def test_without_validation_best_is_lowest_loss(tiny_digits, tmp_path):
    r = train(TrainConfig(data=str(tiny_digits), epochs=2, project=str(tmp_path), val=False, **TINY))
    assert r.best is not None and r.best.exists() and r.best_fitness < 0


def test_accumulation_steps_and_flushes_each_epoch(tiny_digits, tmp_path):
    """8 images, batch 2 -> 4 iterations; nbs 6 -> accumulate 3: a step after iterations 3 and 4 (the flush)."""
    r = train(TrainConfig(data=str(tiny_digits), epochs=2, project=str(tmp_path), val=False,
                          **{**TINY, "batch": 2, "nbs": 6}))
    assert load_train_state(r.last).ema_updates == 4


def test_unwritable_project_is_clear(tiny_digits, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="run folder"):
        train(TrainConfig(data=str(tiny_digits), epochs=1, project=str(blocker), **TINY))


def test_nonfinite_losses_skip_then_stop(tiny_digits, tmp_path, monkeypatch):
    def nan_loss(self, raw, targets):
        t = sum(r.sum() for r in raw) * float("nan")
        return LossOutput(total=t, items=torch.full((3,), float("nan")))

    monkeypatch.setattr(DetectionLoss, "__call__", nan_loss)
    with pytest.raises(NonFiniteLossError, match="consecutive non-finite"):
        train(TrainConfig(data=str(tiny_digits), epochs=3, project=str(tmp_path), max_nonfinite=2, **TINY))


def _run_train(args: list[str], env_extra: dict, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **env_extra}
    return subprocess.run([sys.executable, "-m", "yolov12", "train", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_resume_after_sigkill_matches_straight_run(tiny_digits, tmp_path):
    common = [f"data={tiny_digits}", "model=yolov12n.yaml", "epochs=2", "imgsz=64", "batch=4", "workers=0",
              "nbs=8", "plots=False", "verbose=False", "deterministic=True", "seed=3", "close_mosaic=1",
              f"project={tmp_path}", "warmup_epochs=0.5"]
    straight = _run_train([*common, "name=straight"], {}, tmp_path)
    assert straight.returncode == 0, straight.stderr[-2000:]
    killed = _run_train([*common, "name=killed"], {"YOLOV12_TEST_KILL_AFTER_EPOCH": "1"}, tmp_path)
    assert killed.returncode == -9, "the run should have been SIGKILLed after epoch 1"
    last = tmp_path / "killed" / "weights" / "last.safetensors"
    assert load_train_state(last).epoch == 0
    resumed = _run_train(["resume", f"model={last}"], {}, tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a = load_train_state(tmp_path / "straight" / "weights" / "last.safetensors")
    b = load_train_state(last)
    assert a.epoch == b.epoch == 1
    for k, v in a.model_state.items():
        if v.is_floating_point():
            assert torch.allclose(v, b.model_state[k], atol=1e-5), k
    for k, v in a.ema_state.items():
        if v.is_floating_point():
            assert torch.allclose(v, b.ema_state[k], atol=1e-5), k


@pytest.mark.slow
def test_ddp_two_process_cpu(tiny_digits, tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "yolov12",
           "train", f"data={tiny_digits}", "model=yolov12n.yaml", "epochs=1", "imgsz=64", "batch=4", "workers=0",
           "plots=False", "verbose=False", f"project={tmp_path}", "name=ddp", "device=cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    d = tmp_path / "ddp"
    assert (d / "weights" / "last.safetensors").exists() and (d / "results.csv").exists()
    assert not (tmp_path / "ddp2").exists(), "only rank 0 writes"
    assert "rank 1/2" in p.stderr + p.stdout
