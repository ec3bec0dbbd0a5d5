import math

import pytest
import torch

from yolov12.models import build_model
from yolov12.training.config import TrainConfig
from yolov12.training.ema import ModelEMA
from yolov12.training.optim import build_optimizer, lr_factor, warmup_step
from yolov12.training.state import load_train_state, save_train_state


def test_parameter_groups():
    m = build_model("l", nc=3)  # l has the R-ELAN gamma
    opt = build_optimizer(m, "SGD", 0.01, 0.937, 5e-4)
    decay, norm, bias = opt.param_groups
    assert decay["weight_decay"] == 5e-4 and norm["weight_decay"] == 0 and bias["weight_decay"] == 0
    ids = {id(p) for p in decay["params"]}
    assert id(m.layers[6].gamma) in ids, "gamma decays like a weight"
    assert all(p.ndim == 1 for p in norm["params"]) and all(p.ndim == 1 for p in bias["params"])
    n_trainable = sum(1 for p in m.parameters() if p.requires_grad)
    assert len(decay["params"]) + len(norm["params"]) + len(bias["params"]) == n_trainable
    assert opt.defaults["nesterov"] is True


def test_lr_schedule_and_warmup():
    assert lr_factor(0, 100, 0.01) == 1.0
    assert lr_factor(100, 100, 0.01) == pytest.approx(0.01)
    assert lr_factor(50, 100, 0.01) == pytest.approx(0.505)
    assert lr_factor(50, 100, 0.01, cos=True) == pytest.approx(0.505)
    m = build_model("n", nc=2)
    opt = build_optimizer(m, "SGD", 0.01, 0.937, 5e-4)
    acc = warmup_step(opt, 0, 100, 1.0, 0.1, 0.937, 0.8, 64, 16)
    assert acc == 1 and opt.param_groups[0]["lr"] == 0.0 and opt.param_groups[2]["lr"] == pytest.approx(0.1)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.8)
    acc = warmup_step(opt, 100, 100, 0.5, 0.1, 0.937, 0.8, 64, 16)
    assert acc == 4 and opt.param_groups[0]["lr"] == pytest.approx(0.005)
    assert opt.param_groups[1]["momentum"] == pytest.approx(0.937)


def test_ema_follows_model():
    m = build_model("n", nc=2)
    ema = ModelEMA(m)
    assert ema.decay() == 0.0
    with torch.no_grad():
        for p in m.parameters():
            p.add_(1.0)
    ema.update(m)
    d = 0.9999 * (1 - math.exp(-1 / 2000))
    w0 = m.layers[0].conv.weight - 1
    assert torch.allclose(ema.ema.layers[0].conv.weight, w0 * d + (w0 + 1) * (1 - d), atol=1e-6)


def test_ema_covers_buffers_and_follows_in_place_reloads():
    """Every float tensor of the state (BN running stats too) is averaged; the tensor pairing is built once and stays
    valid when the model's weights are reloaded in place, and is rebuilt for another model object."""
    torch.manual_seed(0)
    m = build_model("n", nc=2)
    ema = ModelEMA(m, updates=10_000)
    d = ema.decay_max * (1 - math.exp(-10_001 / ema.tau))
    bn = m.layers[0].bn
    bn.running_mean.fill_(1.0)
    m.load_state_dict({k: v + 1 if v.is_floating_point() else v for k, v in m.state_dict().items()})  # in place
    want = {k: v.clone() for k, v in ema.ema.state_dict().items()}
    msd = m.state_dict()
    ema.update(m)
    for k, v in ema.ema.state_dict().items():
        if v.is_floating_point():
            torch.testing.assert_close(v, want[k] * d + msd[k] * (1 - d), rtol=1e-6, atol=1e-6)
        else:
            assert torch.equal(v, want[k])  # num_batches_tracked is left alone
    other = build_model("n", nc=2)
    ema.update(other)
    assert ema._pairs[0] == id(other)


def test_train_state_round_trip(tmp_path):
    m = build_model("n", nc=2)
    opt = build_optimizer(m, "AdamW", 0.001, 0.9, 5e-4)
    m(torch.rand(1, 3, 64, 64))[0].sum().backward()
    opt.step()
    ema = ModelEMA(m, updates=7)
    path = save_train_state(tmp_path / "last.safetensors", model=m, ema_model=ema.ema, optimizer=opt, scaler=None,
                            epoch=4, best_fitness=0.25, ema_updates=7, args=TrainConfig(data="x").to_dict(),
                            epochs_no_improve=3)
    st = load_train_state(path)
    assert st.epoch == 4 and st.best_fitness == 0.25 and st.ema_updates == 7 and st.args["data"] == "x"
    assert st.epochs_no_improve == 3  # early stopping resumes its count
    opt2 = build_optimizer(build_model("n", nc=2), "AdamW", 0.001, 0.9, 5e-4)
    opt2.load_state_dict(st.optimizer)
    s1, s2 = opt.state_dict(), opt2.state_dict()
    for k in s1["state"]:
        for name, v in s1["state"][k].items():
            assert torch.equal(torch.as_tensor(v), torch.as_tensor(s2["state"][k][name]))
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in st.model_state.items())


def test_train_config_validation():
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="imgsz must be a positive integer"):
        TrainConfig(imgsz=0)
    assert TrainConfig(imgsz=100).imgsz == 128  # the one image-size rule: rounded up to the stride
    with pytest.raises(ValueError, match="did you mean 'epochs'"):
        TrainConfig.from_dict({"epoch": 3})
    assert TrainConfig().augment("s").scale == 0.9 and TrainConfig(scale=0.3).augment("s").scale == 0.3
