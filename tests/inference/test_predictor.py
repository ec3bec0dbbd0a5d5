"""End-to-end Predictor with a stand-in model that 'detects' a red rectangle in its (letterboxed) input.

The stand-in returns the rectangle it finds in input pixels, so a box that comes back at the rectangle's place in
the *original* image proves the letterbox -> model -> NMS -> scale_boxes round trip (and the BGR -> RGB swap: the
model looks for red in channel 0).
"""

from __future__ import annotations


import cv2
import numpy as np
import pytest
import torch
from torch import nn

from yolov12.inference import Results
from yolov12.inference.predictor import PredictConfig, Predictor
from yolov12.models import build_model
from yolov12.tasks import get_task

DETECT = get_task("detect")

NAMES = ["person", "stop sign", "dog"]
RED_CLASS = 1


class RedBoxModel(nn.Module):
    """(B, 3, H, W) RGB [0, 1] -> (B, 4 + 3, 4): anchor 0 = box around red pixels (score 0.95, class 1),
    anchor 1 = a low-score box (0.1) that NMS must drop, anchors 2-3 empty."""

    def __init__(self, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros((), dtype=dtype))  # gives the predictor a device and dtype
        self.calls = 0
        self.inputs: list[tuple[tuple[int, ...], torch.dtype]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.inputs.append((tuple(x.shape), x.dtype))
        b, _, h, w = x.shape
        out = torch.zeros(b, 4 + len(NAMES), 4, dtype=x.dtype)
        out[:, :4, 1] = torch.tensor([w / 2, h / 2, w / 4, h / 4], dtype=x.dtype)
        out[:, 4 + 0, 1] = 0.1
        for i in range(b):
            red = (x[i, 0] > 0.7) & (x[i, 1] < 0.3) & (x[i, 2] < 0.3)
            if red.any():
                ys, xs = red.nonzero(as_tuple=True)
                x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
                out[i, :4, 0] = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]).to(x.dtype)
                out[i, 4 + RED_CLASS, 0] = 0.95
        return out


def red_image(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """Grey BGR image with a pure red (BGR 0, 0, 255) rectangle at xyxy ``box`` (pixels)."""
    img = np.full((h, w, 3), 60, np.uint8)
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = (0, 0, 255)
    return img


def test_box_returns_in_original_coordinates_single_image():
    model = RedBoxModel()
    img = red_image(40, 64, (10, 8, 30, 28))  # non-square: h 40, w 64
    (res,) = Predictor(model, NAMES, PredictConfig(imgsz=128), DETECT)(img)
    # gain 2 -> 80 x 128, minimal rectangle (auto): pad 16 -> 8 top, 8 bottom -> input 96 x 128.
    assert model.inputs == [((1, 3, 96, 128), torch.float32)]
    assert isinstance(res, Results) and res.orig_shape == (40, 64) and res.path == "image0"
    assert len(res) == 1  # the 0.1 box is below conf
    np.testing.assert_allclose(res.boxes.xyxy[0].numpy(), [10, 8, 30, 28], atol=1.0)
    assert int(res.boxes.cls[0]) == RED_CLASS and float(res.boxes.conf[0]) == pytest.approx(0.95)
    assert res.verbose() == "1 stop sign"
    assert set(res.speed) == {"preprocess", "inference", "postprocess"} and all(v >= 0 for v in res.speed.values())


def test_mixed_shapes_batch_uses_full_square():
    model = RedBoxModel()
    wide = red_image(40, 64, (40, 5, 60, 35))
    tall = red_image(64, 40, (4, 30, 24, 60))
    results = Predictor(model, NAMES, PredictConfig(imgsz=128, batch=2), DETECT)([wide, tall])
    assert model.calls == 1 and model.inputs[0][0] == (2, 3, 128, 128)  # pads 24 top (wide) / 24 left (tall)
    np.testing.assert_allclose(results[0].boxes.xyxy[0].numpy(), [40, 5, 60, 35], atol=1.0)
    np.testing.assert_allclose(results[1].boxes.xyxy[0].numpy(), [4, 30, 24, 60], atol=1.0)


def test_no_red_means_no_detections():
    res = Predictor(RedBoxModel(), NAMES, PredictConfig(imgsz=64), DETECT)(np.full((30, 50, 3), 60, np.uint8))[0]
    assert len(res) == 0 and res.boxes.data.shape == (0, 6)


def test_conf_and_classes_filters():
    img = red_image(40, 64, (10, 8, 30, 28))
    assert len(Predictor(RedBoxModel(), NAMES, PredictConfig(imgsz=64, conf=0.96), DETECT)(img)[0]) == 0
    assert len(Predictor(RedBoxModel(), NAMES, PredictConfig(imgsz=64, classes=[0]), DETECT)(img)[0]) == 0
    assert len(Predictor(RedBoxModel(), NAMES, PredictConfig(imgsz=64, conf=0.05), DETECT)(img)[0]) == 2


def test_inputs_follow_model_dtype():
    model = RedBoxModel(dtype=torch.float64)
    res = Predictor(model, NAMES, PredictConfig(imgsz=64), DETECT)(red_image(32, 32, (8, 8, 24, 24)))[0]
    assert model.inputs[0][1] == torch.float64 and len(res) == 1


def test_stream_is_lazy():
    model = RedBoxModel()
    pulled = []

    def frames():
        for i in range(3):
            pulled.append(i)
            yield red_image(32, 48, (4 + i, 4, 20 + i, 20))

    it = Predictor(model, NAMES, PredictConfig(imgsz=64, stream=True), DETECT)(frames())
    assert not isinstance(it, list) and model.calls == 0 and pulled == []
    first = next(it)
    assert model.calls == 1 and pulled == [0]
    np.testing.assert_allclose(first.boxes.xyxy[0].numpy(), [4, 4, 20, 20], atol=1.0)
    rest = list(it)
    assert model.calls == 3 and len(rest) == 2


def test_call_returns_list_and_checks_paths_eagerly(tmp_path):
    p = Predictor(RedBoxModel(), NAMES, PredictConfig(imgsz=64), DETECT)
    out = p([red_image(32, 32, (0, 0, 8, 8)), red_image(32, 32, (8, 8, 16, 16))])
    assert isinstance(out, list) and len(out) == 2
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        p.stream(tmp_path / "missing.jpg")  # raised on the call, before any next()


def test_save_images_labels_and_crops(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    cv2.imwrite(str(src / "pic.png"), red_image(40, 64, (10, 8, 30, 28)))
    cfg = PredictConfig(imgsz=128, save=True, save_txt=True, save_conf=True, save_crop=True, project=str(tmp_path))
    pred = Predictor(RedBoxModel(), NAMES, cfg, DETECT)
    (res,) = pred(src)
    run = tmp_path / "exp"
    assert pred.save_dir == run
    np.testing.assert_array_equal(cv2.imread(str(run / "pic.png")), res.plot())
    cls, cx, cy, w, h, conf = (float(v) for v in (run / "labels" / "pic.txt").read_text().split())
    assert cls == RED_CLASS and conf == pytest.approx(0.95, abs=1e-5)
    np.testing.assert_allclose([cx, cy, w, h], [20 / 64, 18 / 40, 20 / 64, 20 / 40], atol=1.0 / 40)
    assert (run / "crops" / "stop sign" / "pic.jpg").is_file()
    # A second predictor gets the next run folder; the first keeps its own.
    pred2 = Predictor(RedBoxModel(), NAMES, cfg, DETECT)
    pred2(src)
    assert pred2.save_dir == tmp_path / "exp2"


def test_nothing_saved_by_default(tmp_path):
    pred = Predictor(RedBoxModel(), NAMES, PredictConfig(imgsz=64, project=str(tmp_path)), DETECT)
    pred(red_image(32, 32, (0, 0, 8, 8)))
    assert pred.save_dir is None and list(tmp_path.iterdir()) == []


def test_video_prediction_writes_annotated_video(tmp_path):
    src = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"mp4v"), 8.0, (64, 48))
    for i in range(8):
        writer.write(red_image(48, 64, (2 + 4 * i, 10, 22 + 4 * i, 30)))  # the box moves right 4 px per frame
    writer.release()
    cfg = PredictConfig(imgsz=64, save=True, save_txt=True, project=str(tmp_path), name="vid", stream=True)
    results = list(Predictor(RedBoxModel(), NAMES, cfg, DETECT)(src))
    assert [r.frame for r in results] == list(range(8))
    x1 = [float(r.boxes.xyxy[0, 0]) for r in results]
    np.testing.assert_allclose(x1, [2 + 4 * i for i in range(8)], atol=2.0)  # mp4 compression blurs edges
    out = tmp_path / "vid" / "clip.mp4"
    cap = cv2.VideoCapture(str(out))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (64, 48)
    cap.release()
    labels = sorted(p.name for p in (tmp_path / "vid" / "labels").iterdir())
    assert labels == sorted(f"clip_{i}.txt" for i in range(8))


def test_bad_config_is_an_error():
    with pytest.raises(ValueError, match="batch"):
        Predictor(RedBoxModel(), NAMES, PredictConfig(batch=0), DETECT)


def test_with_the_real_model_untrained():
    """Interface check against the project's network: shapes, clipping to the original image, max_det."""
    model = build_model("n", nc=3)
    img = np.random.default_rng(0).integers(0, 256, (50, 90, 3), dtype=np.uint8)
    (res,) = Predictor(model, NAMES, PredictConfig(imgsz=96, conf=0.0, max_det=7), DETECT)(img)
    assert res.boxes.data.shape == (7, 6) and res.boxes.data.dtype == torch.float32
    xyxy = res.boxes.xyxy
    assert (xyxy[:, [0, 2]] >= 0).all() and (xyxy[:, [0, 2]] <= 90).all()
    assert (xyxy[:, [1, 3]] >= 0).all() and (xyxy[:, [1, 3]] <= 50).all()
    assert set(res.boxes.cls.tolist()) <= {0.0, 1.0, 2.0}
    assert not model.training


@pytest.mark.parametrize("kwargs, match", [
    ({"imgsz": 0}, "imgsz must be a positive integer or a \\[height, width\\] pair"),
    ({"imgsz": -64}, "imgsz must be a positive integer"),
    ({"imgsz": "64"}, "imgsz must be a positive integer"),
    ({"imgsz": [64]}, "imgsz must be a positive integer"),
    ({"conf": 1.5}, "conf must be a number between 0 and 1, got 1.5"),
    ({"conf": None}, "conf must be a number"),
    ({"iou": -1}, "iou must be a number between 0 and 1"),
    ({"max_det": 0}, "max_det must be an integer >= 1"),
    ({"batch": 2.5}, "batch must be an integer"),
    ({"classes": "a"}, "classes must be None or a list of class indices"),
    ({"classes": [-1]}, "classes must be None or a list of class indices"),
    ({"line_width": -3}, "line_width must be an integer >= 1"),
])
def test_bad_settings_name_the_setting(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PredictConfig(**kwargs)


def test_settings_that_need_the_model():
    with pytest.raises(ValueError, match="classes=\\[5\\] names a class the model does not have; .* 0..2"):
        Predictor(RedBoxModel(), NAMES, PredictConfig(classes=[5]), DETECT)
    assert PredictConfig(name=123).name == "123"  # the command line reads name=123 as an int
    assert PredictConfig(imgsz=[64, 96], classes=1).imgsz == [64, 96]


def test_device_may_be_none_or_a_torch_device():
    assert PredictConfig(device=None).device == "" and PredictConfig(device=torch.device("cpu")).device == "cpu"


def test_saving_into_the_source_folder_is_refused(tmp_path):
    """project/name reused (exist_ok) as the folder of the images themselves: nothing is overwritten."""
    src = tmp_path / "pics"
    src.mkdir()
    cv2.imwrite(str(src / "pic.png"), red_image(40, 64, (10, 8, 30, 28)))
    before = (src / "pic.png").read_bytes()
    from yolov12.utils import OverwriteError

    cfg = PredictConfig(imgsz=64, save=True, save_txt=True, project=str(tmp_path), name="pics", exist_ok=True)
    with pytest.raises(OverwriteError, match="pics"):
        Predictor(RedBoxModel(), NAMES, cfg, DETECT)(src)
    assert (src / "pic.png").read_bytes() == before and not (src / "labels").exists()
    with pytest.raises(ValueError, match="name must be a single folder name"):
        PredictConfig(name="../../elsewhere")
