"""The task seam: names decide the task, a new task plugs in by one module, modes a task lacks stop early."""

import csv
import json

import pytest
import torch
from safetensors.torch import save as st_save

import yolov12.tasks as tasks
from tests.tasks.toy_task import ToyTask
from yolov12 import YOLO
from yolov12.config import ModelConfig
from yolov12.models import ClassificationModel, DetectionModel
from yolov12.tasks import Task, TaskNotAvailable, get_task, load_model, model_name, parse_model_name
from yolov12.weights import load_weights, save_model


@pytest.mark.parametrize("name, scale, variant, task", [
    ("yolov12n.yaml", "n", "v1", "detect"),
    ("yolo12s-turbo", "s", "turbo", "detect"),
    ("yolov12m-v1-release.yaml", "m", "v1-release", "detect"),
    ("yolov12l-cls.yaml", "l", "v1", "classify"),
    ("yolov12x-turbo-cls.yml", "x", "turbo", "classify"),
])
def test_the_model_name_decides_the_task(name, scale, variant, task):
    cfg = parse_model_name(name)
    assert (cfg.scale, cfg.variant, cfg.task) == (scale, variant, task)
    assert parse_model_name(model_name(cfg)) == cfg
    assert parse_model_name("best.safetensors") is None


@pytest.mark.parametrize("name", ["yolov12n-banana.yaml", "yolov12n-cls-cls.yaml", "resnet50.yaml", "yolov12q.yaml"])
def test_bad_model_names_are_errors(name):
    with pytest.raises(ValueError, match="expected yolov12"):
        parse_model_name(name)


def test_unknown_task_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown task 'banana'; expected one of detect, classify"):
        get_task("banana")


def test_classify_is_reachable_and_a_task_says_what_it_lacks(tmp_path):
    model = YOLO("yolov12n-cls.yaml")
    assert model.task == "classify" and isinstance(model.model, ClassificationModel)
    assert sum(p.numel() for p in model.model.parameters()) == 2_999_496  # nc=1000, the yaml's default
    assert get_task("classify").modes == ("train", "val", "predict", "export")
    with pytest.raises(ValueError, match="detection dataset.*digits-cls"):
        model.val(data="digits", project=str(tmp_path))
    bare = Task()  # a task without modes stops with one line, before any work
    for mode in ("train", "val", "predict", "export"):
        with pytest.raises(TaskNotAvailable, match=f"task '': {mode} is not available"):
            bare.require(mode)


def test_checkpoint_header_carries_the_task_and_old_headers_load_as_detect(tmp_path):
    cls = YOLO("yolov12n-cls.yaml", nc=3).model
    save_model(tmp_path / "c.safetensors", cls)
    model, w = load_model(tmp_path / "c.safetensors")
    assert w.cfg.task == "classify" and isinstance(model, ClassificationModel)

    det = DetectionModel(ModelConfig(nc=2))
    old = det.cfg.to_dict()
    del old["task"]  # a checkpoint written before tasks existed
    header = {"format": "yolov12", "format_version": "1", "config": json.dumps(old), "meta": "{}"}
    (tmp_path / "old.safetensors").write_bytes(st_save(det.state_dict(), metadata=header))
    model, w = load_model(tmp_path / "old.safetensors")
    assert w.cfg.task == "detect" and isinstance(model, DetectionModel)
    assert YOLO(tmp_path / "old.safetensors").task == "detect"


def test_published_classifier_loads_as_classify(reference_dir):
    model, w = load_model(reference_dir / "yolo12n-cls-reference-checkpoint.pt")
    assert w.cfg.task == "classify" and w.cfg.nc == 1000 and isinstance(model, ClassificationModel)


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(tasks._TASKS, "toy", ToyTask())
    return tasks._TASKS["toy"]


def test_a_new_task_plugs_in_by_one_module(toy, tmp_path):
    model = YOLO("yolov12n-toy.yaml")
    assert model.task == "toy"
    res = model.train(data="digits", epochs=1, imgsz=64, batch=16, workers=0, project=str(tmp_path), name="toy",
                      plots=True, verbose=False)
    with open(res.save_dir / "results.csv") as f:
        header = next(csv.reader(f))
    assert header[:3] == ["epoch", "train/toy_box", "train/toy_rest"] and "toyAP50" in header
    assert "mAP50-95" not in header  # the metric columns are the task's too
    assert (res.save_dir / "results.png").is_file()
    assert load_weights(res.last).cfg.task == "toy"
    again = YOLO(res.last)
    assert again.task == "toy" and again.model.cfg.task == "toy"
    (r,) = again.predict(torch.zeros(1, 3, 64, 64).numpy()[0].transpose(1, 2, 0).astype("uint8"), imgsz=64)
    assert r.boxes is not None
