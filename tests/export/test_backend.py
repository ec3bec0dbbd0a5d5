"""OnnxBackend: a file that is not an ONNX model is a clear error; session settings."""

import pytest

pytest.importorskip("onnxruntime")

from yolov12.export.backend import OnnxBackend, load_onnx  # noqa: E402


@pytest.mark.parametrize("content", [b"", b"not a protobuf at all"])
def test_unreadable_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "m.onnx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="m.onnx: not a readable ONNX model"):
        OnnxBackend(path)


def test_pool_threads_do_not_spin_unless_asked(exported):
    def spinning(backend) -> str:
        try:
            return backend.session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
        except RuntimeError:  # not set: onnxruntime's default, spinning
            return "default"

    path = exported("n", imgsz=(96, 96))
    assert spinning(load_onnx(path)) == "0"
    assert spinning(load_onnx(path, spin=True)) == "default"
