"""First-request and warm-request latency of the web demo's HTTP API, as a user sees it.

Starts ``python app.py --port P --model M`` in a subprocess (the model is loaded at start), waits for the page,
then times ``gradio_client`` calls of ``/detect`` on one image: the first request after start, then ``--runs``
warm requests (median). Client-side wall time: upload + queue + pre-process + inference + post-process + JSON.

    python benchmarks/app_latency.py [--model yolov12n-digits] [--imgsz 224] [--runs 10] [--image PATH]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="yolov12n-digits")
    p.add_argument("--imgsz", type=int, default=224)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--image", default="", help="default: the first digits example image")
    a = p.parse_args()
    from gradio_client import Client, handle_file

    from yolov12.app.core import example_images

    image = a.image or example_images(1)[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--model", a.model],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        while True:
            if server.poll() is not None:
                sys.exit(f"the app exited with {server.returncode}")
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        start_s = time.perf_counter() - t0
        client = Client(url, verbose=False)
        times = []
        for _ in range(a.runs + 1):
            t = time.perf_counter()
            answer = client.predict(handle_file(image), a.model, a.imgsz, 0.25, 0.7, api_name="/detect")
            times.append((time.perf_counter() - t) * 1e3)
        warm = times[1:]
        print(f"model {a.model} imgsz {a.imgsz} image {Path(image).name} "
              f"({answer['image']['width']}x{answer['image']['height']}), {len(answer['detections'])} detections")
        print(f"server start (python app.py until the page answers): {start_s:.1f} s")
        print(f"first request: {times[0]:.0f} ms; warm: median {statistics.median(warm):.0f} ms "
              f"(min {min(warm):.0f}, max {max(warm):.0f}, {len(warm)} runs)")
        print(f"server-side speed of the last request (ms): {answer['speed_ms']}; kernel {answer['attention_kernel']}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
