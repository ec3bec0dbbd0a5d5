"""TrainConfig: every bad argument is a ValueError naming it, before any work starts."""

import pytest

from yolov12.training import TrainConfig


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": "abc"}, "epochs must be an integer, got 'abc'"),
    ({"epochs": 1.5}, "epochs must be an integer"),
    ({"imgsz": "1e9"}, "imgsz must be an integer"),
    ({"imgsz": (64, 64)}, "imgsz must be an integer"),
    ({"batch": "abc"}, "batch must be an integer"),
    ({"workers": "abc"}, "workers must be an integer"),
    ({"lr0": "abc"}, "lr0 must be a number"),
    ({"degrees": "abc"}, "degrees must be a number"),
    ({"amp": "maybe"}, "amp must be True or False"),
    ({"nbs": 0}, "nbs must be >= 1"),
    ({"freeze": -1}, "freeze must be >= 0"),
    ({"conf": 1.5}, "conf must be a number between 0 and 1"),
    ({"iou": -1}, "iou must be a number between 0 and 1"),
    ({"max_det": 0}, "max_det must be >= 1"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


def test_numbers_for_text_fields_become_text():
    cfg = TrainConfig(name=123, project=5, device=0)  # the command line reads name=123 as an int
    assert (cfg.name, cfg.project, cfg.device) == ("123", "5", "0")


def test_device_may_be_none_or_a_torch_device():
    import torch

    assert TrainConfig(device=None).device == "" and TrainConfig(device=torch.device("cpu")).device == "cpu"


def test_resume_keeps_the_run_arguments_and_allows_only_safe_changes():
    from yolov12.training.config import resume_args
    from yolov12.utils import ConfigError

    saved = TrainConfig(data="d.yaml", epochs=10, imgsz=64, batch=4).to_dict()
    args = resume_args(saved, TrainConfig(resume=True, model="last.safetensors"), "last.safetensors")
    assert args == saved  # nothing given: everything kept
    args = resume_args(saved, TrainConfig(epochs=20, workers=0, device="cpu", patience=5), "last.safetensors")
    assert (args["epochs"], args["workers"], args["device"], args["patience"], args["imgsz"]) == (20, 0, "cpu", 5, 64)
    with pytest.raises(ConfigError, match=r"imgsz=320 \(run: 64\), lr0=0.1 \(run: 0.01\) cannot change"):
        resume_args(saved, TrainConfig(imgsz=320, lr0=0.1), "last.safetensors")
    with pytest.raises(ConfigError, match="epochs=5"):
        resume_args(saved, TrainConfig(epochs=5), "last.safetensors")  # fewer epochs: a different schedule


def test_run_name_cannot_leave_the_project():
    with pytest.raises(ValueError, match="name must be a single folder name"):
        TrainConfig(name="../../x")
    with pytest.raises(ValueError, match="project must not contain '..'"):
        TrainConfig(project="runs/../../x")


def test_recipes_resolve_their_fields_and_explicit_values_win():
    from yolov12.training.config import RECIPES

    d = TrainConfig()
    assert (d.recipe, d.warmup_bias_lr, d.expand_tiny_boxes, d.warmup_min_iters) == ("default", 0.1, True, 0)
    p = TrainConfig(recipe="paper")
    assert (p.warmup_bias_lr, p.expand_tiny_boxes, p.warmup_min_iters) == (0.0, False, 100)
    assert TrainConfig(recipe="paper", expand_tiny_boxes=True).expand_tiny_boxes is True
    assert TrainConfig(warmup_bias_lr=0.0).warmup_bias_lr == 0.0
    assert set(RECIPES) == {"default", "paper"}
    # resolved values travel with the arguments (args.yaml, checkpoints): a reload keeps them
    again = TrainConfig.from_dict(p.to_dict())
    assert again.to_dict() == p.to_dict()


@pytest.mark.parametrize("kwargs, match", [
    ({"recipe": "fast"}, "recipe must be one of default, paper"),
    ({"warmup_min_iters": -1}, "warmup_min_iters must be >= 0"),
    ({"expand_tiny_boxes": "yes"}, "expand_tiny_boxes must be True or False"),
])
def test_recipe_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)
