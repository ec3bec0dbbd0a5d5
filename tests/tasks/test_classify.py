"""Classification through the same API and CLI as detection: train / val / predict / export / ONNX backend, the
recipe preset, resume, bad input; the overfit acceptance test; the trainer's DDP (CPU, gloo) and AMP paths."""

import json
import shutil

import numpy as np
import pytest
import torch

from yolov12 import YOLO
from yolov12.cli import main
from yolov12.data.compose_classify import build_digits_cls_dataset
from yolov12.training import TrainConfig, train
from yolov12.utils.errors import ConfigError


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return build_digits_cls_dataset(tmp_path_factory.mktemp("dcls"), per_class_train=3, per_class_val=2)


def test_train_val_predict_export_onnx(digits, tmp_path):
    model = YOLO("yolov12n-cls.yaml")
    r = model.train(data=str(digits), epochs=2, imgsz=32, batch=10, workers=0, project=str(tmp_path), name="t",
                    plots=True, verbose=False)
    assert model.task == "classify" and model.names == [str(i) for i in range(10)] and model.model.nc == 10
    rows = (r.save_dir / "results.csv").read_text().splitlines()
    assert rows[0].split(",")[:2] == ["epoch", "train/loss"] and "top1" in rows[0] and "top5" in rows[0]
    assert len(rows) == 3 and set(r.metrics) >= {"top1", "top5"}
    assert (r.save_dir / "confusion_matrix.png").exists() and (r.save_dir / "train_batch0.jpg").exists()

    v = model.val(data=str(digits), imgsz=32, batch=7, workers=0, project=str(tmp_path), name="v")
    m = v.metrics
    assert m.n == 20 and 0 <= m.top1 <= m.top5 <= 1 and m.confusion_matrix.sum() == 20
    assert json.loads((v.save_dir / "metrics.json").read_text())["top1"] == m.top1

    imgs = [str(p) for p in sorted((digits / "val" / "7").iterdir())]
    res = model.predict(imgs, imgsz=32, save=True, save_txt=True, project=str(tmp_path), name="p")
    assert len(res) == 2 and res[0].probs is not None and len(res[0].probs) == 10
    assert torch.allclose(res[0].probs.data.sum(), torch.tensor(1.0), atol=1e-5)
    assert len(json.loads(res[0].to_json())) == 5
    assert len(list((tmp_path / "p").glob("*.png"))) == 2

    # the predicted probabilities are the model's on the centre-cropped image (val's preprocessing)
    ds_top1 = [int(model.model.eval()(b)[0].argmax()) for b in
               [torch.from_numpy(np.ascontiguousarray(_load(p)[..., ::-1].transpose(2, 0, 1)))[None].float() / 255
                for p in imgs]]
    assert [x.probs.top1 for x in res] == ds_top1

    onnx = model.export(format="onnx", imgsz=32, dynamic=True, output=str(tmp_path / "c.onnx"))
    om = YOLO(str(onnx))
    assert om.task == "classify" and om.names == model.names
    ores = om.predict(imgs, imgsz=32)
    for a, b in zip(res, ores):
        assert (a.probs.data - b.probs.data).abs().max() < 1e-4
    ov = om.val(data=str(digits), imgsz=32, batch=4, workers=0, project=str(tmp_path), name="ov")
    assert ov.metrics.top1 == m.top1 and ov.metrics.top5 == m.top5
    with pytest.raises(ValueError, match="task 'classify': nms=True export is not available"):
        model.export(format="onnx", imgsz=32, nms=True, output=str(tmp_path / "n.onnx"))


def _load(path):
    from yolov12.data.classify import center_crop_resize
    from yolov12.data.images import imread

    return center_crop_resize(imread(path), 32)


def test_cli_train_val_predict(digits, tmp_path, capsys):
    assert main(["train", "model=yolov12n-cls.yaml", f"data={digits}", "epochs=1", "imgsz=32", "batch=10",
                 "workers=0", f"project={tmp_path}", "name=t", "plots=False", "label_smoothing=0.1",
                 "auto_augment=randaugment", "erasing=0.4"]) == 0
    best = tmp_path / "t" / "weights" / "best.safetensors"
    assert best.exists()
    assert main(["val", f"model={best}", f"data={digits}", "imgsz=32", "batch=8", "workers=0",
                 f"project={tmp_path}", "name=v"]) == 0
    assert main(["predict", f"model={best}", f"source={digits / 'val' / '1'}", "imgsz=32", "save=True",
                 f"project={tmp_path}", "name=p"]) == 0
    assert len(list((tmp_path / "p").glob("*.png"))) == 2


def test_resume_continues_the_run(digits, tmp_path):
    kw = dict(model="yolov12n-cls.yaml", data=str(digits), imgsz=32, batch=10, workers=0, project=str(tmp_path),
              name="r", plots=False, verbose=False)
    train(TrainConfig(epochs=1, **kw))
    last = tmp_path / "r" / "weights" / "last.safetensors"
    r = train(TrainConfig(resume=str(last), epochs=2, **{k: v for k, v in kw.items() if k not in ("model",)}))
    assert r.epochs_run == 2
    assert len((tmp_path / "r" / "results.csv").read_text().splitlines()) == 3


def test_cls_recipe_preset():
    c = TrainConfig(recipe="cls")
    assert (c.optimizer, c.lr0, c.lrf, c.nbs, c.warmup_epochs, c.weight_decay, c.cos_lr, c.hsv_s, c.imgsz,
            c.warmup_bias_lr) == ("SGD", 0.2, 0.01, 256, 0.0, 1e-4, True, 0.4, 224, 0.1)
    assert TrainConfig(recipe="cls", lr0=0.05, imgsz=64).lr0 == 0.05  # explicit values win
    assert TrainConfig().lr0 == 0.01 and not TrainConfig().cos_lr  # the default recipe is unchanged
    with pytest.raises(ConfigError, match="auto_augment"):
        TrainConfig(auto_augment="autoaugment")
    with pytest.raises(ConfigError, match="erasing"):
        TrainConfig(erasing=2)


def test_bad_data(tmp_path):
    model = YOLO("yolov12n-cls.yaml")
    (tmp_path / "one" / "train" / "cat").mkdir(parents=True)
    with pytest.raises(ValueError, match="at least 2 classes"):
        model.train(data=str(tmp_path / "one"), epochs=1, imgsz=32, project=str(tmp_path / "runs"))
    with pytest.raises(ValueError, match="train/<class>"):
        model.val(data=str(tmp_path / "nothing"), imgsz=32)


@pytest.mark.slow
def test_overfit_twenty_digits(tmp_path):
    """Acceptance: from scratch, 20 real MNIST digits (2 per class) are learnt: top-1 1.0 on them (eval mode).

    32 px, no augmentation, SGD lr0 0.02 decaying linearly, one batch per epoch, 80 epochs (measured: the training
    loss is ~0 by epoch 20; eval-mode top-1 reaches 1.0 at epoch ~63, once BN running statistics catch up with the
    slowed-down weights; 20 s on one core)."""
    root = build_digits_cls_dataset(tmp_path / "d", per_class_train=2, per_class_val=0)
    shutil.rmtree(root / "val")
    shutil.copytree(root / "train", root / "val")
    r = train(TrainConfig(model="yolov12n-cls.yaml", data=str(root), epochs=80, batch=20, nbs=20, imgsz=32,
                          workers=0, optimizer="SGD", lr0=0.02, warmup_epochs=0.0, patience=0, scale=0.0, fliplr=0.0,
                          hsv_h=0.0, hsv_s=0.0, hsv_v=0.0, project=str(tmp_path / "runs"), plots=False,
                          verbose=False))
    assert r.metrics["top1"] == 1.0, r.metrics


# ----- the trainer's AMP and DDP paths with the classification task

_DDP_DRIVER = '''
import sys
import torch
from yolov12.training import TrainConfig
from yolov12.training.ema import unwrap
from yolov12.training.trainer import Trainer



class SnapshotTrainer(Trainer):
    def _setup(self):
        super()._setup()  # the model as DDP starts it (rank 0's initial weights broadcast to every rank)
        self.init = {k: v.detach().clone() for k, v in unwrap(self.model).named_parameters()}


data, project = sys.argv[1], sys.argv[2]
t = SnapshotTrainer(TrainConfig(model="yolov12n-cls.yaml", data=data, epochs=2, imgsz=32, batch=8, nbs=16, workers=0,
                        plots=False, verbose=False, project=project, name="ddp", device="cpu"))
r = t.run()
torch.save({"init": t.init, "params": {k: v.detach().clone() for k, v in unwrap(t.model).named_parameters()},
            "ema": {k: v.detach().clone() for k, v in t.ema.ema.named_parameters()},
            "epochs_run": r.epochs_run, "skipped": r.skipped_steps, "batches": len(t.train_loader),
            "world": t.info.world_size}, f"{project}/rank{t.info.rank}.pt")
'''


@pytest.mark.slow
def test_ddp_two_process_cpu_classify(digits, tmp_path):
    """2 ranks on CPU (gloo), 30 train images, global batch 8 (4 per rank), nbs 16 (2 accumulated batches per
    step): the run finishes, each rank trains on its half of the data, both ranks end with the same weights
    (DDP's gradient average), equal to what rank 0 saved, and only rank 0 writes the run folder."""
    import os
    import subprocess
    import sys

    from yolov12.training.state import load_train_state

    driver = tmp_path / "driver.py"
    driver.write_text(_DDP_DRIVER)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(driver),
           str(digits), str(tmp_path)]
    p = subprocess.run(cmd, cwd=tmp_path, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{i}.pt") for i in (0, 1))
    assert r0["world"] == r1["world"] == 2 and r0["epochs_run"] == r1["epochs_run"] == 2
    assert r0["skipped"] == r1["skipped"] == 0
    assert r0["batches"] == r1["batches"] == 4  # 15 images per rank in batches of 4
    assert r0["params"].keys() == r1["params"].keys() and len(r0["params"]) > 100
    for k in r0["params"]:
        assert torch.equal(r0["params"][k], r1["params"][k]), k
        # each rank's EMA copies its own (seed + rank) initial weights before DDP broadcasts rank 0's, and that start
        # decays away within a few updates: equal up to float rounding (rank 0's EMA is the one saved and validated)
        assert (r0["ema"][k] - r1["ema"][k]).abs().max() < 1e-7, k
    st = load_train_state(tmp_path / "ddp" / "weights" / "last.safetensors")
    assert st.epoch == 1 and st.args["batch"] == 8 and st.args["nbs"] == 16
    for k, v in r0["params"].items():
        assert torch.equal(st.model_state[k], v) and torch.equal(st.ema_state[k], r0["ema"][k]), k
    moved = [k for k in r0["params"] if not torch.equal(r0["init"][k], r0["params"][k])]
    assert len(moved) == len(r0["params"]), "every parameter was trained"
    assert all(torch.equal(r0["init"][k], r1["init"][k]) for k in r0["init"])
    rows = (tmp_path / "ddp" / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 3 and all(np.isfinite(float(x)) for x in rows[-1].split(",")[1:])
    assert not (tmp_path / "ddp2").exists(), "only rank 0 writes"


def _train_amp(digits, tmp_path, amp):
    r = train(TrainConfig(model="yolov12n-cls.yaml", data=str(digits), epochs=1, imgsz=32, batch=10, nbs=20,
                          workers=0, plots=False, verbose=False, project=str(tmp_path), name=f"amp{amp}",
                          device="cpu", amp=amp))
    from yolov12.weights import read_safetensors

    tensors, _ = read_safetensors(r.last)
    rows = [row.split(",")[:-1] for row in (r.save_dir / "results.csv").read_text().splitlines()]  # minus time
    return tensors, rows


def test_amp_on_cpu_trains_exactly_as_fp32(digits, tmp_path):
    """amp applies to CUDA only: on CPU amp=True runs in float32, identical to amp=False (weights, optimiser
    state, losses, metrics). CUDA AMP (autocast float16 + GradScaler) is covered by the CUDA test below."""
    t_amp, rows_amp = _train_amp(digits, tmp_path, True)
    t_fp32, rows_fp32 = _train_amp(digits, tmp_path, False)
    assert rows_amp == rows_fp32 and len(rows_amp) == 2
    assert t_amp.keys() == t_fp32.keys()
    for k in t_amp:
        assert torch.equal(t_amp[k], t_fp32[k]), k


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA AMP needs a GPU")
def test_amp_on_cuda_trains_and_keeps_the_scaler(digits, tmp_path):
    from yolov12.training.state import load_train_state

    r = train(TrainConfig(model="yolov12n-cls.yaml", data=str(digits), epochs=2, imgsz=32, batch=10, workers=0,
                          plots=False, verbose=False, project=str(tmp_path), name="cuda", device="0", amp=True))
    st = load_train_state(r.last)
    assert r.skipped_steps == 0 and st.scaler and st.scaler.get("scale", 0) > 0
    assert all(torch.isfinite(v).all() for v in st.model_state.values() if v.is_floating_point())
    assert 0 <= r.metrics["top1"] <= r.metrics["top5"] <= 1
