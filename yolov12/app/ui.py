"""The Gradio page and HTTP API of the web demo (imported only when the app starts: Gradio is optional).

Offline by construction: analytics off, system fonts only (no Google Fonts), no share link; one job at a time
through Gradio's queue (the model runs on all cores; parallel requests would only slow each other down).
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry, no
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # version check, no hub look-ups

import gradio as gr  # noqa: E402
from gradio import FileData  # noqa: E402

from yolov12.app import AppConfig  # noqa: E402
from yolov12.app.core import (  # noqa: E402
    AppInputError,
    ModelCache,
    _one_line,
    default_imgsz,
    example_images,
    predict_image,
    predict_video,
    resolve_model,
    shipped_models,
)
from yolov12.utils import LOGGER  # noqa: E402

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
SYSTEM_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def theme() -> gr.themes.Base:
    """Gradio's default look with system fonts: the stock theme would fetch its fonts from Google Fonts."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=SYSTEM_MONO)


def _guard(fn):
    """Every refusal becomes a one-line ``gr.Error`` (in the page and in the API's answer); the server keeps
    serving whatever the request did."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except AppInputError as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception as e:  # a bug or an unexpected input: still one line, logged with its traceback
            LOGGER.exception(f"app: {fn.__name__} failed")
            raise gr.Error(f"{type(e).__name__}: {_one_line(e)}", print_exception=False) from None

    return wrapped


def build_demo(cfg: AppConfig) -> gr.Blocks:
    """The page: inputs on the left, the annotated image, table, JSON and timings on the right."""
    cache = ModelCache(size=cfg.cache_size)
    out_dir = Path(tempfile.mkdtemp(prefix="yolov12-app-"))
    shipped = shipped_models()
    default = cfg.model or next(iter(shipped), "")
    default_name = next((n for n, p in shipped.items() if Path(p) == Path(default)), default)
    first = cache.get(default_name)  # loaded before the first request (and a bad --model fails at start)
    imgsz0 = default_imgsz(first.model)

    def run_image(image, model, imgsz, conf, iou):
        out = predict_image(cache.get(model), image, imgsz, conf, iou, cfg.max_pixels)
        return out.annotated, {"headers": out.headers, "data": out.rows}, out.payload, out.info

    def run_video(video, model, imgsz, conf, iou, progress=gr.Progress()):
        loaded = cache.get(model)
        progress(0, desc="annotating frames")
        out = predict_video(loaded, video, imgsz, conf, iou, cfg.max_pixels, cfg.max_frames, out_dir,
                            progress=lambda done, total: progress((done, total), desc="annotating frames",
                                                                  unit="frames"))
        return out.path, out.payload, out.info

    def pick_model(model):
        loaded = cache.get(model)
        return gr.update(value=default_imgsz(loaded.model)), (
            f"model **{Path(loaded.path).name}** · task **{loaded.task}** · {len(loaded.model.names)} classes · "
            f"attention kernel `{loaded.kernel}`")

    def detect(image: FileData, model: str = default_name, imgsz: int = imgsz0, conf: float = 0.25,
               iou: float = 0.7) -> dict:
        """Predict one image; returns the JSON answer (``detections`` is ``Results.summary()``)."""
        return predict_image(cache.get(model), image, imgsz, conf, iou, cfg.max_pixels).payload

    with gr.Blocks(title="YOLOv12 demo", analytics_enabled=False) as demo:
        gr.Markdown("# YOLOv12\nDrop an image (or a video), pick a model, see what it finds. Runs locally; "
                    "nothing leaves this machine.")
        with gr.Row():
            with gr.Column(scale=1):
                model = gr.Dropdown(
                    choices=list(shipped), value=default_name, allow_custom_value=True, label="Model",
                    info="a shipped model, or the path of a .safetensors / published .pt / .onnx file",
                    elem_id="model")
                with gr.Row():
                    imgsz = gr.Slider(32, 1280, value=imgsz0, step=32, label="Image size", elem_id="imgsz")
                    conf = gr.Slider(0.0, 1.0, value=0.25, step=0.01, label="Confidence", elem_id="conf")
                    iou = gr.Slider(0.0, 1.0, value=0.7, step=0.01, label="IoU (NMS)", elem_id="iou")
                model_info = gr.Markdown(
                    f"model **{Path(first.path).name}** · task **{first.task}** · {len(first.model.names)} classes"
                    f" · attention kernel `{first.kernel}`", elem_id="model-info")
                with gr.Tab("Image"):
                    image = gr.Image(type="filepath", sources=["upload", "webcam", "clipboard"], label="Image",
                                     elem_id="input-image")
                    run_img = gr.Button("Run", variant="primary", elem_id="run-image")
                    examples = example_images()
                    if examples:
                        gr.Examples(examples=[[p] for p in examples], inputs=[image], label="Examples (digits)",
                                    elem_id="examples")
                with gr.Tab("Video"):
                    video = gr.Video(sources=["upload"], label="Video", elem_id="input-video")
                    run_vid = gr.Button("Run on video", variant="primary", elem_id="run-video")
                    annotated_video = gr.Video(label="Result video", interactive=False, elem_id="annotated-video")
            with gr.Column(scale=1):
                annotated = gr.Image(label="Result", type="numpy", interactive=False, format="png",
                                     elem_id="annotated")
                info = gr.Markdown(elem_id="info")
                table = gr.Dataframe(headers=["name", "class", "confidence"], label="Detections",
                                     interactive=False, elem_id="table")
                answer = gr.JSON(label="JSON", elem_id="json")

        model.change(_guard(pick_model), [model], [imgsz, model_info], api_visibility="private")
        run_img.click(_guard(run_image), [image, model, imgsz, conf, iou], [annotated, table, answer, info],
                      api_name="predict_image")
        image.upload(_guard(run_image), [image, model, imgsz, conf, iou], [annotated, table, answer, info],
                     api_visibility="private")
        run_vid.click(_guard(run_video), [video, model, imgsz, conf, iou], [annotated_video, answer, info],
                      api_name="predict_video")
        gr.api(_guard(detect), api_name="detect")
    demo.queue(default_concurrency_limit=1, max_size=cfg.queue_size)
    demo.yolov12_cache = cache  # for tests and tools: how often a model was really loaded
    return demo


def launch(cfg: AppConfig, block: bool = True) -> Any:
    """Start the server (``block=False``: return at once, for tests)."""
    demo = build_demo(cfg)
    demo.launch(server_name=cfg.host, server_port=cfg.port, share=False, show_error=True, theme=theme(),
                prevent_thread_lock=not block, max_file_size=cfg.max_file_size, quiet=not block)
    return demo


__all__ = ["build_demo", "launch", "resolve_model", "theme"]
