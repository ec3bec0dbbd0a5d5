"""The YOLO facade: build, load, save, info, predict, val."""

import numpy as np
import pytest
import torch

from yolov12 import YOLO
from yolov12.data.embedded import embedded_dataset


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return embedded_dataset("digits", root=tmp_path_factory.mktemp("d"), n_train=4, n_val=4, seed=2)


def test_build_variants_and_info():
    m = YOLO("yolov12n.yaml")
    assert m.cfg.scale == "n" and m.cfg.nc == 80 and m.cfg.variant == "v1"
    assert YOLO("yolov12s-turbo.yaml").cfg.variant == "turbo"
    assert YOLO("yolov12n.yaml", nc=3).cfg.nc == 3
    info = m.info(verbose=False)
    assert info.parameters == 2_602_288 and info.gflops == pytest.approx(6.49, abs=0.02)
    with pytest.raises(ValueError, match="expected yolov12"):
        YOLO("resnet50.yaml")


def test_load_published_and_predict_numpy(reference_dir):
    m = YOLO(reference_dir / "yolo12n-reference-checkpoint.pt")
    assert m.cfg.nc == 80 and len(m.names) == 80
    was_training = m.model.training
    img = np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    res = m.predict(img, conf=0.0, imgsz=320, max_det=50)  # conf 0: max_det boxes, so the clipping is checked
    assert len(res) == 1 and res[0].orig_shape == (200, 300)
    b = res[0].boxes.xyxy
    assert len(b) == 50
    assert (b[:, [0, 2]] <= 300).all() and (b[:, [1, 3]] <= 200).all() and (b >= 0).all()
    assert m.model.training == was_training, "predict must not switch the user's model to eval mode"
    assert not m.model.is_fused, "predict must not fuse the user's model in place"


def test_save_load_round_trip(tmp_path):
    m = YOLO("yolov12n.yaml", nc=2)
    p = m.save(tmp_path / "m.safetensors")
    m2 = YOLO(p)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(m.model.eval()(x), m2.model.eval()(x))


def test_val_on_real_digits(digits, tmp_path):
    m = YOLO("yolov12n.yaml", nc=10)
    res = m.val(data=str(digits), imgsz=128, batch=4, workers=0, project=str(tmp_path), verbose=False)
    assert 0.0 <= res.metrics.map50_95 <= 1.0 and res.metrics.num_images == 4
    assert (res.save_dir / "metrics.json").exists() and (res.save_dir / "confusion_matrix.png").exists()


def test_predict_rejects_unknown_argument():
    with pytest.raises(ValueError, match="did you mean 'conf'"):
        YOLO("yolov12n.yaml").predict(np.zeros((64, 64, 3), np.uint8), cnf=0.5)


def test_export_and_run_onnx(tmp_path, digits):
    pytest.importorskip("onnxruntime")
    m = YOLO("yolov12n.yaml", nc=10)
    path = m.export(format="onnx", imgsz=128, output=tmp_path / "m.onnx")
    onnx_model = YOLO(path)
    assert onnx_model.backend == "onnxruntime" and len(onnx_model.names) == 10
    img = np.random.default_rng(0).integers(0, 255, (128, 128, 3), dtype=np.uint8)  # same letterbox both ways
    a = m.predict(img, conf=0.0001, imgsz=128, max_det=20)[0].boxes.data
    b = onnx_model.predict(img, conf=0.0001, max_det=20)[0].boxes.data
    assert a.shape == b.shape and torch.allclose(a, b, atol=1e-3)
    res = onnx_model.val(data=str(digits), batch=2, workers=0, project=str(tmp_path), verbose=False, plots=False)
    assert res.metrics.num_images == 4
    with pytest.raises(TypeError, match="needs a PyTorch model"):
        onnx_model.train(data=str(digits))
    with pytest.raises(ValueError, match="supported formats"):
        m.export(format="tflite")


def test_val_checks_arguments_before_reading_data(digits, tmp_path):
    m = YOLO("yolov12n.yaml", nc=3)
    with pytest.raises(ValueError, match="the model has 3 classes but .*data.yaml has 10"):
        m.val(data=str(digits), imgsz=64, workers=0, project=str(tmp_path))
    for kwargs, match in [({"imgsz": "64"}, "imgsz must be a positive integer"), ({"batch": 0}, "batch must be"),
                          ({"workers": -1}, "workers must be"), ({"conf": 1.5}, "conf must be a number between"),
                          ({"device": "banana"}, "device='banana' is not a valid device")]:
        with pytest.raises(ValueError, match=match):
            m.val(data="/nonexistent.yaml", **kwargs)


def test_device_strings_are_checked():
    m = YOLO("yolov12n.yaml", nc=2)
    with pytest.raises(ValueError, match="device='banana' is not a valid device"):
        m.to("banana")
    with pytest.raises(ValueError, match="device='0,x' is not a valid device"):
        m.predict(np.zeros((32, 32, 3), np.uint8), device="0,x")
    assert m.to("cpu").device.type == "cpu"


def test_predict_device_defaults_to_auto_like_val():
    from yolov12.inference.predictor import PredictConfig

    assert PredictConfig().device == ""  # CUDA when available (as val), else CPU
    m = YOLO("yolov12n.yaml")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(m._predictor_model(PredictConfig().device).parameters()).device.type == expected


def test_predict_follows_weight_changes():
    """The cached inference copy is rebuilt whenever the user's weights change, however they change."""
    import copy

    from yolov12.demo import SHIPPED

    m = YOLO("yolov12n.yaml", nc=10)
    img = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)

    def boxes(y):
        return y.predict(img, conf=0.0, imgsz=64, max_det=5)[0].boxes.data

    def fresh():  # what a new facade over the same weights predicts
        return boxes(YOLO(copy.deepcopy(m.model)))

    first = boxes(m)
    m.model.load_state_dict(YOLO(SHIPPED).model.state_dict())  # the trained digits weights
    loaded = boxes(m)
    assert not torch.equal(loaded, first) and torch.equal(loaded, fresh())
    with torch.no_grad():  # in place, as an optimizer step does
        for seq in m.model.layers[-1].cv3:
            seq[-1].bias.add_(2.0)
    edited = boxes(m)
    assert not torch.equal(edited, loaded) and torch.equal(edited, fresh())
    m.model = YOLO("yolov12n.yaml", nc=10).model  # replaced outright
    replaced = boxes(m)
    assert not torch.equal(replaced, edited) and torch.equal(replaced, fresh())
    cached = m._inference_model
    assert torch.equal(boxes(m), replaced) and m._inference_model is cached  # unchanged weights: the copy is kept


def test_predict_val_and_train_leave_torch_flags_alone(digits, tmp_path, monkeypatch):
    """An application embedding the library keeps its process-wide torch settings."""
    import yolov12.training
    from yolov12.utils.torch_flags import denormals_flushed

    def flags():
        return (denormals_flushed(), torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
                torch.backends.cudnn.benchmark)

    before = flags()
    m = YOLO("yolov12n.yaml", nc=10)
    m.predict(np.zeros((64, 64, 3), np.uint8), imgsz=64)
    m.val(data=str(digits), imgsz=64, batch=4, workers=0, project=str(tmp_path), verbose=False, plots=False)
    assert flags() == before

    weights = m.save(tmp_path / "w.safetensors")

    def fake_train(cfg):  # sets what Trainer._seed sets, then returns like train()
        torch.set_flush_denormal(True)
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = not before[3]
        return type("R", (), {"best": weights, "last": weights})()

    monkeypatch.setattr(yolov12.training, "train", fake_train)
    m.train(data=str(digits), epochs=1)
    assert flags() == before
