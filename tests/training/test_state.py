"""reconcile_run: a run folder made to agree with the checkpoint training continues from."""

import math

import torch


from yolov12.models import build_model
from yolov12.training.ema import ModelEMA
from yolov12.training.optim import build_optimizer
from yolov12.training.state import load_train_state, reconcile_run, save_train_state
from yolov12.weights import read_safetensors
from yolov12.weights.checkpoint import parse_header

HEADER = "epoch,train/box,fitness\n"


def _run(tmp_path, epoch: int, epochs_no_improve: int):
    """A run folder whose last.safetensors is at (0-based) ``epoch``; returns (run, kwargs to save more)."""
    m = build_model("n", nc=1)
    ema = ModelEMA(m)
    kw = dict(model=m, ema_model=ema.ema, optimizer=build_optimizer(m, "SGD", 0.01, 0.9, 0.0), scaler=None,
              epoch=epoch, best_fitness=0.5, ema_updates=3, args={"epochs": 5}, epochs_no_improve=epochs_no_improve)
    run = tmp_path / "run"
    save_train_state(run / "weights" / "last.safetensors", **kw)
    return run, kw


def test_interrupted_best_write_is_restored_bit_for_bit_and_rows_trimmed(tmp_path):
    run, kw = _run(tmp_path, epoch=1, epochs_no_improve=0)  # epoch 2 (1-based) was the best
    expected = tmp_path / "expected.safetensors"
    save_train_state(expected, **{**kw, "full": False})  # what the uninterrupted run wrote as best
    (run / "weights" / ".best.safetensors.abc123.tmp").write_bytes(b"torn")
    (run / "results.csv").write_text(HEADER + "1,0.1,0.4\n2,0.1,0.5\n3,0.1,0.6\n4,0.1")  # 3: re-run; 4: torn
    state = load_train_state(run / "weights" / "last.safetensors")
    assert reconcile_run(run, state) == 0.5
    (got, got_header), (want, want_header) = (read_safetensors(p) for p in (run / "weights/best.safetensors", expected))
    assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)
    assert parse_header(got_header, "got") == parse_header(want_header, "want")  # same config and metadata
    assert (run / "results.csv").read_text() == HEADER + "1,0.1,0.4\n2,0.1,0.5\n"
    assert not list(run.rglob("*.tmp"))


def test_lost_older_best_is_written_again(tmp_path):
    run, _ = _run(tmp_path, epoch=2, epochs_no_improve=1)  # the best was epoch 2; its file is gone
    state = load_train_state(run / "weights" / "last.safetensors")
    assert reconcile_run(run, state) == -math.inf
    run2, kw = _run(tmp_path / "b", epoch=2, epochs_no_improve=1)
    save_train_state(run2 / "weights" / "best.safetensors", **{**kw, "epoch": 1, "full": False})
    state = load_train_state(run2 / "weights" / "last.safetensors")
    assert reconcile_run(run2, state) == 0.5  # the right best is present: nothing changes


def test_fresh_start_in_a_reused_folder_drops_old_rows(tmp_path):
    (tmp_path / "results.csv").write_text(HEADER + "1,0.1,0.4\n")
    assert reconcile_run(tmp_path, None) is None
    assert (tmp_path / "results.csv").read_text() == HEADER
