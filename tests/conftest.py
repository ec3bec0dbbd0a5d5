import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

# The oracle tensors (published checkpoints and their outputs), the one definition every test uses through the
# ``reference_dir`` fixture: $YOLOV12_REFERENCE_DIR, else ../shared/reference beside the checkout.
REFERENCE = Path(os.environ.get("YOLOV12_REFERENCE_DIR") or Path(__file__).resolve().parents[1].parent / "shared"
                 / "reference")
# CI sets YOLOV12_REFERENCE_REQUIRED=1: there a missing reference directory fails the tests instead of skipping them.
REFERENCE_REQUIRED = os.environ.get("YOLOV12_REFERENCE_REQUIRED", "").strip().lower() not in ("", "0", "false", "no")


def locate_reference(path: Path, required: bool) -> Path:
    """``path`` if it is a directory; otherwise fail the test when ``required``, else skip it."""
    if path.is_dir():
        return path
    msg = f"reference tensors not found at {path} (set YOLOV12_REFERENCE_DIR)"
    if required:
        pytest.fail(f"{msg}; YOLOV12_REFERENCE_REQUIRED is set, so the reference-parity tests must run", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return locate_reference(REFERENCE, REFERENCE_REQUIRED)
