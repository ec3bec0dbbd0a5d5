"""TrainConfig: every bad argument is a ValueError naming it, before any work starts."""

import pytest

from yolov12.training import TrainConfig
from yolov12.training.config import resume_args


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
    assert (d.recipe, d.warmup_bias_lr, d.expand_tiny_boxes, d.warmup_min_iters, d.warmup_before_last,
            d.hsv_hue_mode) == ("default", 0.1, True, 0, True, "add")
    p = TrainConfig(recipe="paper")
    assert (p.warmup_bias_lr, p.expand_tiny_boxes, p.warmup_min_iters, p.warmup_before_last,
            p.hsv_hue_mode) == (0.0, False, 100, False, "scale")
    assert d.augment("n").hsv_hue_mode == "add" and p.augment("n").hsv_hue_mode == "scale"
    assert TrainConfig(recipe="paper", expand_tiny_boxes=True).expand_tiny_boxes is True
    assert TrainConfig(warmup_bias_lr=0.0).warmup_bias_lr == 0.0
    assert set(RECIPES) == {"default", "paper", "cls"}  # cls: the classification preset (tests/tasks/test_classify.py)
    # resolved values travel with the arguments (args.yaml, checkpoints): a reload keeps them
    again = TrainConfig.from_dict(p.to_dict())
    assert again.to_dict() == p.to_dict()


@pytest.mark.parametrize("kwargs, match", [
    ({"recipe": "fast"}, "recipe must be one of default, paper"),
    ({"warmup_min_iters": -1}, "warmup_min_iters must be >= 0"),
    ({"expand_tiny_boxes": "yes"}, "expand_tiny_boxes must be True or False"),
    ({"hsv_hue_mode": "rotate"}, "hsv_hue_mode must be 'add' or 'scale'"),
])
def test_recipe_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("recipe, epochs, warmup_epochs, nb, iters", [
    ("default", 10, 3.0, 50, 150),   # 3 epochs of 50 batches
    ("default", 3, 3.0, 50, 100),    # capped at epochs - 1 = 2 epochs: the last epoch runs on the schedule
    ("default", 1, 3.0, 50, -1),     # one epoch: no warmup at all
    ("default", 10, 0.0, 50, -1),    # switched off
    ("paper", 3, 3.0, 50, 150),      # YOLOv12's code: no cap...
    ("paper", 10, 3.0, 10, 100),     # ...and a 100-iteration floor
    ("paper", 1, 3.0, 10, 100),
])
def test_warmup_iterations_per_recipe(recipe, epochs, warmup_epochs, nb, iters):
    assert TrainConfig(recipe=recipe, epochs=epochs, warmup_epochs=warmup_epochs).warmup_iters(nb) == iters


def test_resume_of_a_run_saved_before_a_recipe_field_keeps_its_old_behaviour():
    from yolov12.training.config import LEGACY_RECIPE

    saved = TrainConfig().to_dict()
    for k in ("warmup_before_last", "hsv_hue_mode", "channels_last"):  # what a run of an earlier version lacks
        del saved[k]
    args = resume_args({**LEGACY_RECIPE, **saved}, TrainConfig(), "last.safetensors")
    cfg = TrainConfig.from_dict(args)
    assert (cfg.recipe, cfg.warmup_before_last, cfg.hsv_hue_mode, cfg.channels_last) == ("default", False, "scale",
                                                                                          False)


def test_preset_keeps_explicit_values_equal_to_the_base_ones():
    """recipe=cls decides only the fields not given: an explicit value equal to the general default still wins."""
    c = TrainConfig.from_dict({"recipe": "cls", "warmup_epochs": 3.0, "imgsz": 640, "optimizer": "auto"})
    assert (c.warmup_epochs, c.imgsz, c.optimizer) == (3.0, 640, "auto")
    assert (c.lr0, c.nbs, c.cos_lr) == (0.2, 256, True)  # the rest from the preset
    d = TrainConfig(warmup_epochs=0.0, lr0=0.2)  # the default recipe: explicit values, the rest general
    assert (d.warmup_epochs, d.lr0, d.imgsz, d.nbs) == (0.0, 0.2, 640, 64)
