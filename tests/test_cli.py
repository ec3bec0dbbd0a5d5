"""The command line: key=value parsing, errors with suggestions, each mode."""


import cv2
import numpy as np
import pytest

from yolov12.cli import CLIError, main, parse_args
from yolov12.weights import load_weights


def test_parse_values():
    a = parse_args(["epochs=3", "lr0=0.01", "amp=False", "name=exp", "classes=[0,2]", "pretrained=None", "resume"],
                   flags=("resume",))
    assert a == {"epochs": 3, "lr0": 0.01, "amp": False, "name": "exp", "classes": [0, 2], "pretrained": None,
                 "resume": True}
    with pytest.raises(CLIError, match="unexpected argument"):
        parse_args(["bogus"])


def test_unknown_key_suggests(capsys):
    assert main(["train", "epoch=3", "data=x"]) == 2
    assert "did you mean 'epochs'" in capsys.readouterr().err
    assert main(["trian"]) == 2
    assert "did you mean 'train'" in capsys.readouterr().err


def test_help_and_info(capsys):
    assert main(["--help"]) == 0 and "usage: yolov12 MODE" in capsys.readouterr().out
    assert main(["train", "--help"]) == 0 and "close_mosaic" in capsys.readouterr().out
    assert main(["info", "model=yolov12n.yaml"]) == 0
    assert "2,602,288 parameters" in capsys.readouterr().out


def test_convert_published_checkpoint(tmp_path, reference_dir, capsys):
    out = tmp_path / "n.safetensors"
    assert main(["convert", f"model={reference_dir / 'yolo12n-reference-checkpoint.pt'}", f"out={out}"]) == 0
    w = load_weights(out)
    assert w.cfg.scale == "n" and w.meta["converted_from"] == "yolo12n-reference-checkpoint.pt"


def test_predict_folder(tmp_path, reference_dir, capsys):
    src = tmp_path / "imgs"
    src.mkdir()
    for i in range(2):
        cv2.imwrite(str(src / f"{i}.jpg"), np.random.default_rng(i).integers(0, 255, (96, 128, 3), dtype=np.uint8))
    (src / "broken.jpg").write_bytes(b"not an image")
    rc = main(["predict", f"model={reference_dir / 'yolo12n-reference-checkpoint.pt'}", f"source={src}", "imgsz=128",
               f"project={tmp_path / 'out'}", "conf=0.5"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "2 image(s) processed" in out
    assert len(list((tmp_path / "out").rglob("*.jpg"))) == 2


def test_predict_tiled(tmp_path, capsys):
    """``tile=`` / ``tile_overlap=`` on the command line: the same labels as the API's tiled prediction."""
    from pathlib import Path

    from yolov12.api import YOLO
    from yolov12.data.compose import compose_digit_image
    from yolov12.data.embedded import load_digit_crops

    weights = Path(__file__).resolve().parents[1] / "yolov12" / "assets" / "weights" / "yolov12n-digits.safetensors"
    content, _, _ = compose_digit_image(*load_digit_crops(), np.random.default_rng(0), (256, 256), (4, 5), (32, 64))
    big = np.full((320, 640, 3), 114, np.uint8)
    big[32:288, 300:556] = content
    cv2.imwrite(str(tmp_path / "big.png"), big)
    args = ["imgsz=192", "tile=256", "tile_overlap=0.3", "conf=0.25"]
    assert main(["predict", f"model={weights}", f"source={tmp_path / 'big.png'}", *args, "save_txt=True",
                 f"project={tmp_path}", "name=out"]) == 0
    assert "1 image(s) processed" in capsys.readouterr().out
    lines = (tmp_path / "out" / "labels" / "big.txt").read_text().splitlines()
    api = YOLO(weights).predict(big, imgsz=192, tile=256, tile_overlap=0.3, conf=0.25)
    assert len(lines) == len(api[0].boxes) >= 3
    assert main(["predict", f"model={weights}", f"source={tmp_path / 'big.png'}", "tile=16"]) == 2
    assert "tile must be an integer >= 32" in capsys.readouterr().err


def test_missing_model_is_clear(capsys):
    assert main(["val", "model=/nonexistent/x.safetensors", "data=digits"]) == 2
    assert "not found" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["info", "model=yolov12n.yaml", "imgsz=abc"], "imgsz must be a positive integer"),
    (["val", "model=yolov12n.yaml", "data=digits", "tile=8"], "tile must be an integer >= 32"),
    (["info", "model=yolov12n.yaml", "imgsz=-5"], "imgsz must be a positive integer"),
    (["convert", "model=yolov12n.yaml", "out=."], "is a folder"),
    (["data", "fetch", "name=digits", "seed=abc"], "seed must be an integer, got 'abc'"),
    (["train", "data=digits", "epochs=abc", "device=0,1"], "epochs must be an integer, got 'abc'"),
    (["train", "data=digits", "device=0,1"], "device='0,1' requested but CUDA is not available"),
])
def test_bad_arguments_are_one_line_errors(argv, message, capsys, monkeypatch):
    import torch

    import yolov12.training.distributed as distributed

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(distributed, "launch_torchrun", lambda *a: pytest.fail("torchrun must not be started"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_refusals_are_one_line_without_traceback(tmp_path, capsys):
    """A malicious checkpoint, an export over its own weights, a run name leaving its project: one line, exit 2,
    nothing overwritten."""
    import zipfile

    from yolov12.models import build_model
    from yolov12.weights import save_model

    evil = tmp_path / "evil.pt"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.")
        z.writestr("archive/version", "3\n")
    weights = save_model(tmp_path / "w.safetensors", build_model("n", nc=2))
    before = weights.read_bytes()
    cases = [
        (["convert", f"model={evil}", f"out={tmp_path / 'x.safetensors'}"], "posix.system"),
        (["export", f"model={weights}", f"output={weights}"], "refusing to write"),
        (["convert", f"model={weights}", f"out={tmp_path / '.' / 'w.safetensors'}"], "refusing to write"),
        (["predict", f"model={weights}", f"source={tmp_path}", "name=../../x"], "name must be a single folder"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert weights.read_bytes() == before
