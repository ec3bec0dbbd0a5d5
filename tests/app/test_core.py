"""The web demo's logic without Gradio: inputs refused with one line, outputs from the generic Results methods."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from yolov12.api import YOLO
from yolov12.app import AppConfig, GradioMissing, require_gradio
from yolov12.app.core import (
    DEFAULT_MODEL,
    AppInputError,
    ModelCache,
    predict_image,
    read_image,
    resolve_model,
    result_table,
    shipped_models,
)
from yolov12.utils.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_package_does_not_import_gradio():
    code = ("import sys, yolov12, yolov12.cli, yolov12.app, yolov12.app.core; "
            "assert 'gradio' not in sys.modules, 'gradio imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def test_app_py_help_needs_no_gradio():
    out = subprocess.run([sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert "--host" in out and "--port" in out and "--model" in out


def test_missing_gradio_is_one_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gradio" else real(name, *a))
    with pytest.raises(GradioMissing, match=r"pip install -e '\.\[app\]'"):
        require_gradio()


def test_config_checks():
    with pytest.raises(ConfigError, match="port"):
        AppConfig(port=70000)
    with pytest.raises(ConfigError, match="max_pixels"):
        AppConfig(max_pixels=0)


def test_shipped_and_resolved_models(tmp_path):
    assert shipped_models()["yolov12n-digits"] == str(DEFAULT_MODEL)
    # the page's default ('' = the digits detector) is the first entry, whatever else ships beside it
    assert list(shipped_models())[:2] == ["yolov12n-digits", "yolov12n-digits-seg"]
    assert resolve_model("yolov12n-digits") == str(DEFAULT_MODEL)
    assert resolve_model("yolov12n.yaml") == "yolov12n.yaml"
    with pytest.raises(AppInputError, match="does not exist"):
        resolve_model(str(tmp_path / "missing.safetensors"))
    with pytest.raises(AppInputError, match="expected a shipped model"):
        resolve_model("weights.bin")
    with pytest.raises(AppInputError, match="no model"):
        resolve_model("  ")


def test_model_cache_loads_once_and_refuses_bad_files(tmp_path):
    cache = ModelCache(size=2)
    a = cache.get("yolov12n-digits")
    assert cache.get(str(DEFAULT_MODEL)) is a and cache.loads == 1
    assert a.task == "detect" and a.kernel  # e.g. FLASH_ATTENTION (torch 2.x, cpu)
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(AppInputError, match="cannot load model broken.safetensors"):
        cache.get(str(bad))
    assert cache.loads == 1


def _png(tmp_path, name, img):
    path = tmp_path / name
    cv2.imwrite(str(path), img)
    return path


def test_read_image_refusals(tmp_path):
    img = np.full((40, 60, 3), 127, np.uint8)
    good = _png(tmp_path, "ok.png", img)
    assert read_image(str(good), 10_000).shape == (40, 60, 3)
    assert read_image({"path": str(good)}, 10_000).shape == (40, 60, 3)  # a FileData from the API
    with pytest.raises(AppInputError, match=r"60x40 pixels is over this demo's limit of 1,000 pixels"):
        read_image(str(good), 1000)
    huge = tmp_path / "huge.png"  # a header declaring 100000 x 100000: refused before any decoding
    data = bytearray(good.read_bytes())
    data[16:24] = (100000).to_bytes(4, "big") * 2
    huge.write_bytes(bytes(data))
    with pytest.raises(AppInputError, match="100000x100000 pixels is over"):
        read_image(str(huge), 40_000_000)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(AppInputError, match=r"notes.txt: not an image \(\.txt\)"):
        read_image(str(text), 10_000)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(AppInputError, match="cut.png: not a readable image"):
        read_image(str(cut), 10_000)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(AppInputError, match="empty file"):
        read_image(str(empty), 10_000)
    with pytest.raises(AppInputError, match="no input"):
        read_image(None, 10_000)


def test_result_table_flattens_generic_records():
    records = [{"name": "cat", "class": 3, "confidence": 0.87654, "box": {"x1": 1.26, "y1": 2.0, "x2": 3.0, "y2": 4.0}},
               {"name": "dog", "class": 1, "confidence": 0.5, "box": {"x1": 0.0, "y1": 0.0, "x2": 1.0, "y2": 1.0},
                "keypoints": [[1.0, 2.0, 0.9]]}]
    headers, rows = result_table(records)
    assert headers == ["name", "class", "confidence", "x1", "y1", "x2", "y2", "keypoints"]
    assert rows[0] == ["cat", 3, 0.877, 1.3, 2.0, 3.0, 4.0, ""]
    assert rows[1][-1] == "[[1.0, 2.0, 0.9]]"
    assert result_table([]) == (["name", "class", "confidence"], [])


def test_predict_image_matches_the_api(tmp_path):
    from yolov12.app.core import example_images

    example = example_images(1)[0]
    loaded = ModelCache().get("yolov12n-digits")
    out = predict_image(loaded, example, 224, 0.25, 0.7, 40_000_000)
    expected = YOLO(DEFAULT_MODEL).predict(example, imgsz=224, conf=0.25, iou=0.7)[0]
    want = expected.summary()
    assert want and out.payload["detections"] == want  # the same JSON as YOLO.predict, to the last digit
    assert out.annotated.shape == (*expected.orig_shape, 3)
    assert set(out.payload["speed_ms"]) == {"preprocess", "inference", "postprocess"}
    assert out.headers[:3] == ["name", "class", "confidence"] and [r[0] for r in out.rows] == [d["name"] for d in want]


def test_onnx_and_published_pt_models_through_the_app(tmp_path, reference_dir):
    """The model picker's other kinds: an exported .onnx (onnxruntime backend) and a published .pt (safe loader)."""
    pytest.importorskip("onnxruntime", reason="the .onnx case needs the onnx extra")
    from yolov12.app.core import example_images

    example = example_images(1)[0]
    onnx = YOLO(DEFAULT_MODEL).export(format="onnx", imgsz=224, output=str(tmp_path / "digits.onnx"))
    cache = ModelCache()
    for path, imgsz in ((str(onnx), 224), (str(reference_dir / "yolo12n-reference-checkpoint.pt"), 320)):
        loaded = cache.get(path)
        out = predict_image(loaded, example, imgsz, 0.01, 0.7, 40_000_000)
        want = YOLO(path).predict(example, imgsz=imgsz, conf=0.01, iou=0.7)[0].summary()
        assert out.payload["detections"] == want and want, path
        assert out.payload["task"] == "detect"
    assert cache.get(str(onnx)).kernel.startswith("onnxruntime (CPUExecutionProvider")


def test_cli_app_mode_checks_its_keys(capsys):
    from yolov12.cli import main

    assert main(["app", "--help"]) == 0 and "max_pixels" in capsys.readouterr().out
    assert main(["app", "prot=7860"]) == 2 and "did you mean 'port'" in capsys.readouterr().err
    assert main(["app", "port=99999"]) == 2 and "port must be in 0..65535" in capsys.readouterr().err
