"""OnnxBackend: a file that is not an ONNX model is a clear error."""

import pytest

pytest.importorskip("onnxruntime")

from yolov12.export.backend import OnnxBackend  # noqa: E402


@pytest.mark.parametrize("content", [b"", b"not a protobuf at all"])
def test_unreadable_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "m.onnx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="m.onnx: not a readable ONNX model"):
        OnnxBackend(path)
