"""``yolov12 MODE key=value ...``: train, val, predict, export, info, convert, data, demo, app.

Values are parsed as YAML scalars (``epochs=10`` -> 10, ``amp=False`` -> False, ``classes=[0,2]`` -> list).
Unknown keys are errors that suggest the closest valid one. ``yolov12 MODE --help`` lists a mode's keys.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import sys
from pathlib import Path
from typing import Any, Callable

import yaml

from yolov12 import __version__
from yolov12.utils import check_output
from yolov12.utils.errors import YoloError
from yolov12.utils.log import console_logging

USAGE = f"""yolov12 {__version__}: YOLOv12 object detection

usage: yolov12 MODE [key=value ...]

modes:
  train    train a model          yolov12 train data=digits model=yolov12n.yaml epochs=10 imgsz=256
  val      validate (COCO mAP)    yolov12 val model=runs/train/exp/weights/best.safetensors data=digits
  predict  detect objects         yolov12 predict model=best.safetensors source=images/ save=True
  export   ONNX / TorchScript     yolov12 export model=best.safetensors format=onnx
  info     sizes and FLOPs        yolov12 info model=yolov12s.yaml
  convert  published .pt -> ours  yolov12 convert model=yolov12n.pt out=yolov12n.safetensors
  data     datasets               yolov12 data fetch name=digits | yolov12 data convert format=coco src=... images=... out=...
  demo     the main job           yolov12 demo [task=detect]  (embedded data, no download, minutes on 2 CPU cores)
  app      the web demo           yolov12 app [host=127.0.0.1] [port=7860] [model=...]  (needs pip install -e .[app])

The model name decides the task: yolov12n.yaml detects, yolov12n-cls.yaml classifies (data=folder root, or
digits-cls; recipe=cls for the seed's ImageNet recipe).
`yolov12 MODE --help` lists every key of a mode; `torchrun --nproc_per_node=N -m yolov12 train ...` trains with DDP.
"""


class CLIError(YoloError, ValueError):
    pass


def parse_value(v: str) -> Any:
    if v.strip().lower() in ("none", "null", "~"):
        return None
    try:
        out = yaml.safe_load(v)
    except yaml.YAMLError:
        return v
    return v if out is None else out


def parse_args(argv: list[str], flags: tuple[str, ...] = ()) -> dict[str, Any]:
    """['epochs=3', 'resume'] -> {'epochs': 3, 'resume': True} (bare words must be in ``flags``)."""
    out: dict[str, Any] = {}
    for a in argv:
        if "=" in a:
            k, v = a.split("=", 1)
            k = k.strip().lstrip("-").replace("-", "_")
            if not k:
                raise CLIError(f"malformed argument {a!r}: expected key=value")
            out[k] = parse_value(v)
        elif a in flags:
            out[a] = True
        else:
            raise CLIError(f"unexpected argument {a!r}: expected key=value" + (f" or one of {flags}" if flags else ""))
    return out


def check_known(args: dict, valid: list[str], mode: str) -> None:
    for k in args:
        if k not in valid:
            close = difflib.get_close_matches(k, valid, n=1)
            raise CLIError(f"'{k}' is not a valid key for `yolov12 {mode}`"
                           + (f"; did you mean '{close[0]}'?" if close else f". Valid keys: {', '.join(valid)}"))


def _keys_help(mode: str, cls: type | None, extra: dict[str, str]) -> str:
    lines = [f"usage: yolov12 {mode} key=value ...", "", "keys:"]
    for k, d in extra.items():
        lines.append(f"  {k:<16} {d}")
    if cls is not None:
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else "..."
            lines.append(f"  {f.name:<16} default {default!r}")
    return "\n".join(lines)


def _str_device(args: dict) -> None:
    if "device" in args and args["device"] is not None:
        args["device"] = str(args["device"]).replace(" ", "").strip("[]")


# ------------------------------------------------------------------ modes
def cmd_train(args: dict) -> int:
    from yolov12.training import TrainConfig, train
    from yolov12.training.distributed import DistInfo, dist_info_from_env, launch_torchrun, select_device

    check_known(args, [f.name for f in dataclasses.fields(TrainConfig)], "train")
    _str_device(args)
    if "resume" in args and isinstance(args["resume"], str) and "model" not in args:
        args["model"] = args["resume"]
    cfg = TrainConfig(**args)  # bad arguments are an error here, before any process is started
    devices = [d for d in str(args.get("device", "")).split(",") if d.strip().isdigit()]
    if len(devices) > 1 and dist_info_from_env().world_size == 1:
        select_device(cfg.device, DistInfo())  # every index must exist
        argv = [f"{k}={v}" for k, v in args.items() if k != "device"]
        return launch_torchrun(["train", *argv], len(devices))
    result = train(cfg)
    print(f"results: {result.save_dir}  best: {result.best}  last: {result.last}")
    if result.metrics:
        print(json.dumps({k: round(v, 4) for k, v in result.metrics.items()}, indent=None))
    return 0


VAL_KEYS = ["model", "data", "imgsz", "batch", "conf", "iou", "max_det", "half", "save_json", "split", "workers",
            "device", "plots", "project", "name", "exist_ok", "verbose", "tile", "tile_overlap"]


def cmd_val(args: dict) -> int:
    from yolov12.api import YOLO

    check_known(args, VAL_KEYS, "val")
    _str_device(args)
    model = YOLO(_require(args, "model", "val"))
    res = model.val(**args)
    m = res.metrics
    if hasattr(m, "map50_95"):
        print(f"mAP50-95 {m.map50_95:.4f}  mAP50 {m.map50:.4f}  results in {res.save_dir}")
    else:  # another task: its metric columns (classify: top1, top5)
        from yolov12.tasks import get_task

        d = m.to_dict()
        cols = "  ".join(f"{c} {d[k]:.4f}" for c, k in get_task(model.task).metric_columns.items() if k in d)
        print(f"{cols}  results in {res.save_dir}")
    return 0


def cmd_predict(args: dict) -> int:
    from yolov12.api import YOLO
    from yolov12.inference.predictor import PredictConfig

    check_known(args, ["model", "source", *(f.name for f in dataclasses.fields(PredictConfig))], "predict")
    _str_device(args)
    model = YOLO(_require(args, "model", "predict"))
    source = _require(args, "source", "predict")
    del args["source"]
    args.setdefault("save", True)
    args["stream"] = True
    n = 0
    save_dir = None
    for r in model.predict(source, **args):
        n += 1
        print(f"{r.path}: {r.verbose()} ({sum(r.speed.values()):.1f} ms)")
    if args.get("save") or args.get("save_txt") or args.get("save_crop"):
        save_dir = Path(str(args.get("project", "runs/predict")))
    print(f"{n} image(s) processed" + (f"; results under {save_dir}" if save_dir else ""))
    return 0


def cmd_export(args: dict) -> int:
    from yolov12.api import YOLO
    from yolov12.export import ExportConfig

    check_known(args, ["model", *(f.name for f in dataclasses.fields(ExportConfig))], "export")
    model = YOLO(_require(args, "model", "export"))
    print(f"exported: {model.export(**args)}")
    return 0


def cmd_info(args: dict) -> int:
    from yolov12.api import YOLO

    check_known(args, ["model", "imgsz", "variant"], "info")
    specs = [args["model"]] if "model" in args else [f"yolov12{s}.yaml" for s in "nsmlx"]
    for spec in specs:
        m = YOLO(str(spec), variant=args.get("variant"))
        m.info(imgsz=args.get("imgsz", 640))
    return 0


def cmd_convert(args: dict) -> int:
    from yolov12.api import YOLO

    check_known(args, ["model", "out"], "convert")
    src = Path(_require(args, "model", "convert"))
    out = Path(args.get("out") or src.with_suffix(".safetensors"))
    if out.is_dir():
        raise CLIError(f"out= must be a file path such as {out / src.with_suffix('.safetensors').name}; "
                       f"{out} is a folder")
    check_output(out, [src])
    model = YOLO(src)
    model.save(out, meta={**model.meta, "converted_from": src.name})
    c = model.cfg
    print(f"{src} -> {out}: yolov12{c.scale} {c.variant}, nc={c.nc}")
    return 0


def cmd_data(args: dict, sub: str | None) -> int:
    if sub == "fetch":
        from yolov12.data.fetch import fetch
        from yolov12.utils.checks import check_int

        check_known(args, ["name", "dest", "seed"], "data fetch")
        seed = check_int("seed", args.get("seed", 0))
        dest = None if args.get("dest") is None else str(args["dest"])
        path = fetch(str(_require(args, "name", "data fetch")), dest, seed=seed)
        print(f"dataset ready: {path}")
        return 0
    if sub == "convert":
        from yolov12.data.convert import coco_pose_to_yolo, coco_to_yolo, dota_to_yolo, voc_to_yolo

        check_known(args, ["format", "src", "images", "out", "split", "tile", "overlap", "task"], "data convert")
        fmt = str(_require(args, "format", "data convert")).lower()
        src, images, out = (str(_require(args, k, "data convert")) for k in ("src", "images", "out"))
        split = args.get("split", "train")
        task = str(args.get("task", "detect")).lower()
        if task != "detect" and fmt != "coco":
            raise CLIError(f"task={task} is only for format=coco (format={fmt} sets its own task)")
        if fmt == "coco":
            if task not in ("detect", "segment"):
                raise CLIError(f"task must be detect or segment for format=coco, got {task!r}")
            path = coco_to_yolo(src, images, out, split=split, task=task)
        elif fmt == "voc":
            path = voc_to_yolo(src, images, out, split=split)
        elif fmt == "coco-pose":
            path = coco_pose_to_yolo(src, images, out, split=split)
        elif fmt == "dota":
            tile = args.get("tile")
            path = dota_to_yolo(src, images, out, split=split, tile=None if tile is None else int(tile),
                                overlap=int(args.get("overlap", 200)))
        else:
            raise CLIError(f"format must be coco, coco-pose, voc or dota, got {fmt!r}")
        print(f"written: {path}")
        return 0
    raise CLIError("usage: yolov12 data fetch name=digits|trees [dest=DIR] | "
                   "yolov12 data convert format=coco|coco-pose|voc|dota src=JSON_XML_OR_TXT_DIR images=DIR out=DIR "
                   "[split=train] [task=detect|segment (coco)] [tile=N overlap=M (dota)]")


def cmd_demo(args: dict) -> int:
    from yolov12.demo import DemoConfig, run_demo

    check_known(args, [f.name for f in dataclasses.fields(DemoConfig)], "demo")
    run_demo(DemoConfig(**args))
    return 0


def cmd_app(args: dict) -> int:
    from yolov12.app import AppConfig, launch, require_gradio

    check_known(args, [f.name for f in dataclasses.fields(AppConfig)], "app")
    cfg = AppConfig(**args)
    require_gradio()
    print(f"YOLOv12 demo on http://{cfg.host}:{cfg.port} (Ctrl+C to stop)")
    launch(cfg)
    return 0


def _require(args: dict, key: str, mode: str) -> Any:
    if key not in args or args[key] in (None, ""):
        raise CLIError(f"`yolov12 {mode}` needs {key}=...")
    return args.pop(key) if key in ("model",) else args[key]


def _help(mode: str) -> str:
    from yolov12.inference.predictor import PredictConfig
    from yolov12.training import TrainConfig

    if mode == "train":
        return _keys_help(mode, TrainConfig, {})
    if mode == "predict":
        return _keys_help(mode, PredictConfig, {"model": "weights (.safetensors/.pt/.onnx)", "source": "input"})
    if mode == "val":
        return "usage: yolov12 val model=WEIGHTS data=DATA.yaml [key=value]\nkeys: " + ", ".join(VAL_KEYS)
    if mode == "export":
        from yolov12.export import ExportConfig

        return _keys_help(mode, ExportConfig, {"model": "weights to export"})
    if mode == "demo":
        from yolov12.demo import DemoConfig

        return _keys_help(mode, DemoConfig, {})
    if mode == "app":
        from yolov12.app import AppConfig

        return _keys_help(mode, AppConfig, {})
    return USAGE


MODES: dict[str, Callable[[dict], int]] = {
    "train": cmd_train, "val": cmd_val, "predict": cmd_predict, "export": cmd_export, "info": cmd_info,
    "convert": cmd_convert, "demo": cmd_demo, "app": cmd_app,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if argv[0] in ("-V", "--version"):
        print(__version__)
        return 0
    mode, rest = argv[0], argv[1:]
    if mode not in MODES and mode != "data":
        close = difflib.get_close_matches(mode, [*MODES, "data"], n=1)
        print(f"unknown mode {mode!r}" + (f"; did you mean '{close[0]}'?" if close else ""), file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 2
    if any(a in ("-h", "--help") for a in rest):
        print(_help(mode))
        return 0
    try:
        with console_logging():  # the library only logs; the CLI shows its INFO messages as plain lines
            if mode == "data":
                sub = rest[0] if rest and "=" not in rest[0] else None
                return cmd_data(parse_args(rest[1:] if sub else rest), sub)
            return MODES[mode](parse_args(rest, flags=("resume",) if mode == "train" else ()))
    except (YoloError, ValueError, FileNotFoundError, TypeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
