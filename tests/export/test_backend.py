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


def _with_metadata(src, dst, **changes):
    import onnx

    m = onnx.load(str(src))
    props = {p.key: p.value for p in m.metadata_props}
    props.update(changes)
    del m.metadata_props[:]
    for k, v in props.items():
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, str(dst))
    return dst


@pytest.mark.parametrize("changes, message", [
    ({"names": '["a", "b"]'}, "metadata names 2 classes but the graph outputs 80"),
    ({"names": "{not json"}, "metadata 'names' is not valid JSON"),
    ({"names": "[1, 2]"}, "'names' must be a non-empty list of class names"),
    ({"imgsz": '"big"'}, "'imgsz' must be \\[height, width\\]"),
    ({"stride": "-3"}, "'stride' must be 8, 16, 32 or 64"),
])
def test_bad_or_contradicting_metadata_is_refused(exported, tmp_path, changes, message):
    from yolov12.export.backend import OnnxModelError

    path = _with_metadata(exported("n", imgsz=(96, 96)), tmp_path / "m.onnx", **changes)
    with pytest.raises(OnnxModelError, match=message):
        OnnxBackend(path)
