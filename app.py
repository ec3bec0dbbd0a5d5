"""The YOLOv12 web demo: ``python app.py [--host 127.0.0.1] [--port 7860] [--model yolov12n-digits]``.

Needs the app extra (``pip install -e .[app]``); the page and its API are served by :mod:`yolov12.app`.
"""

import sys

from yolov12.app import main

if __name__ == "__main__":
    sys.exit(main())
