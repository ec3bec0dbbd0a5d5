"""Our checkpoint format, the restricted unpickler, and clear errors for bad files."""

import os
import pickle
import zipfile

import pytest
import torch

from yolov12.models import build_model
from yolov12.tasks import load_model
from yolov12.weights import (
    CheckpointFormatError, UnsafeCheckpointError, load_weights, safe_load_pt, save_model,
    transfer_weights,
)


def test_round_trip_identical_outputs(tmp_path):
    torch.manual_seed(0)
    m = build_model("n", nc=5, variant="turbo", names=list("abcde"), areas=(2, 1)).eval()
    path = save_model(tmp_path / "m.safetensors", m, meta={"epoch": 3})
    m2, w = load_model(path)
    assert w.cfg == m.cfg and w.meta["epoch"] == 3 and m2.names == list("abcde")
    x = torch.rand(1, 3, 96, 128)
    with torch.no_grad():
        assert torch.equal(m(x), m2.eval()(x))
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), "atomic write left a temp file"


def test_our_format_never_unpickles(tmp_path):
    m = build_model("n", nc=2)
    path = save_model(tmp_path / "m.safetensors", m)
    assert b"\x80\x04" not in path.read_bytes()[:2048]  # header is JSON, not a pickle stream
    real_loads = pickle.loads
    try:
        pickle.loads = lambda *a, **k: pytest.fail("pickle used")  # type: ignore[assignment]
        pickle.Unpickler.load  # noqa: B018
        load_model(path)
    finally:
        pickle.loads = real_loads


def test_truncated_and_corrupt_checkpoints(tmp_path, reference_dir):
    m = build_model("n", nc=2)
    good = save_model(tmp_path / "good.safetensors", m).read_bytes()
    (tmp_path / "trunc.safetensors").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointFormatError, match="corrupt or truncated"):
        load_model(tmp_path / "trunc.safetensors")
    pt = (reference_dir / "yolo12n-reference-checkpoint.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(pt[: len(pt) // 3])
    with pytest.raises(CheckpointFormatError, match="truncated or corrupt|corrupt"):
        load_model(tmp_path / "trunc.pt")
    (tmp_path / "garbage.pt").write_bytes(os.urandom(1000))
    with pytest.raises(CheckpointFormatError):
        load_model(tmp_path / "garbage.pt")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_model(tmp_path / "missing.safetensors")
    (tmp_path / "w.bin").write_bytes(b"x")
    with pytest.raises(ValueError, match="unsupported weights file"):
        load_model(tmp_path / "w.bin")


def test_other_class_count_is_a_clear_error(tmp_path):
    path = save_model(tmp_path / "m.safetensors", build_model("n", nc=3))
    with pytest.raises(ValueError, match="3 classes, not nc=80"):
        load_model(path, nc=80)


def test_transfer_weights_across_class_counts(tmp_path):
    src = build_model("n", nc=3)
    dst = build_model("n", nc=7)
    copied, total = transfer_weights(dst, src.state_dict())
    assert 0 < copied < total
    assert torch.equal(dst.layers[0].conv.weight, src.layers[0].conv.weight)


def _torch_zip_with_pickle(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/yolov12_pwned",))


def test_malicious_pickle_is_refused(tmp_path):
    marker = "/tmp/yolov12_pwned"
    if os.path.exists(marker):
        os.remove(marker)
    payload = pickle.dumps({"model": _Evil()}, protocol=2)
    _torch_zip_with_pickle(tmp_path / "evil.pt", payload)
    with pytest.raises(UnsafeCheckpointError, match="posix.system|os.system|not allowed"):
        safe_load_pt(tmp_path / "evil.pt")
    assert not os.path.exists(marker)
    # builtins.eval via a global is refused too
    payload = b"\x80\x02cbuiltins\neval\nX\x05\x00\x00\x001+1+1\x85R."
    _torch_zip_with_pickle(tmp_path / "evil2.pt", payload)
    with pytest.raises(UnsafeCheckpointError, match="builtins.eval"):
        safe_load_pt(tmp_path / "evil2.pt")


def test_published_checkpoint_loads_into_placeholders(reference_dir):
    ckpt = safe_load_pt(reference_dir / "yolo12n-reference-checkpoint.pt")
    assert type(ckpt["model"]).__name__ == "DetectionModel"
    assert "ultralytics" not in str(type(ckpt["model"]).__module__)
    w = load_weights(reference_dir / "yolo12n-reference-checkpoint.pt")
    assert w.cfg.scale == "n" and w.cfg.nc == 80 and len(w.cfg.names) == 80
    assert all(v.dtype == torch.float32 for v in w.state.values() if v.is_floating_point())


def test_bare_published_state_in_safetensors(tmp_path, reference_dir):
    from safetensors.torch import load_file, save_file

    ref = load_file(reference_dir / "yolo12n-reference.safetensors")
    state = {k.removeprefix("state."): v for k, v in ref.items() if k.startswith("state.")}
    save_file(state, tmp_path / "bare.safetensors")
    w = load_weights(tmp_path / "bare.safetensors")
    assert w.cfg.variant == "v1" and w.cfg.nc == 80


class _Mod:
    """Pickles as a torch.nn module (a placeholder class on loading) with the given attribute state."""

    def __init__(self, **state):
        self.state = state

    def __reduce__(self):
        return torch.nn.modules.container.Sequential, (), self.state


def _crafted(tmp_path, name, model):
    torch.save({"model": model}, tmp_path / name)
    return tmp_path / name


def _chain(depth):
    root = node = _Mod(_parameters={}, _buffers={}, _modules={})
    for _ in range(depth):
        child = _Mod(_parameters={}, _buffers={}, _modules={})
        node.state["_modules"]["0"] = child
        node = child
    return root


def test_crafted_module_trees_are_format_errors(tmp_path):
    """Self-references, deep nesting, wrong container types and tensors where modules belong: our error, never
    a RecursionError / AttributeError from deep inside."""
    selfref = _Mod(_parameters={}, _buffers={}, _modules={})
    selfref.state["_modules"]["again"] = selfref
    cases = {
        "selfref.pt": (selfref, "no YOLOv12 layers"),  # read once, then: nothing of ours inside
        "deep.pt": (_chain(80), "deeper than 64"),
        "list.pt": (_Mod(_parameters={}, _buffers={}, _modules=[1, 2]), "_modules is a list"),
        "tensor.pt": (_Mod(_parameters={}, _buffers={}, _modules={"0": torch.zeros(2)}), "found a Tensor"),
        "params.pt": (_Mod(_parameters="x", _buffers={}, _modules={}), "_parameters is a str"),
        "notmodel.pt": (torch.zeros(3), "no model found"),
    }
    for name, (model, message) in cases.items():
        with pytest.raises(CheckpointFormatError, match=message):
            load_weights(_crafted(tmp_path, name, model))


def test_nonfinite_weights_warn_on_load(tmp_path, caplog):
    from yolov12.utils import LOGGER

    m = build_model("n", nc=2)
    with torch.no_grad():
        m.layers[0].conv.weight[0, 0, 0, 0] = float("nan")
    save_model(tmp_path / "nan.safetensors", m)
    LOGGER.propagate = True
    try:
        load_model(tmp_path / "nan.safetensors")
    finally:
        LOGGER.propagate = False
    assert "1 weight tensor(s) hold NaN or inf values (e.g. layers.0.conv.weight)" in caplog.text
