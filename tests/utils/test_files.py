"""File helpers: atomic writes, run folders that stay in their project, outputs that are never an input."""

import os

import pytest

from yolov12.utils import (
    OverwriteError, RunFolderError, atomic_write_bytes, check_output, remove_stale_tmp, run_folder,
)


def test_output_that_is_an_input_is_refused_through_any_link(tmp_path):
    src = tmp_path / "w.safetensors"
    src.write_bytes(b"weights")
    (tmp_path / "sym.onnx").symlink_to(src)
    os.link(src, tmp_path / "hard.onnx")
    for out in (src, tmp_path / "sym.onnx", tmp_path / "hard.onnx", tmp_path / "." / "w.safetensors"):
        with pytest.raises(OverwriteError, match="it is the input"):
            check_output(out, [src])
    with pytest.raises(OverwriteError, match="it holds the input"):
        check_output(tmp_path, [src])  # a folder written into that holds the input
    assert check_output(tmp_path / "other.onnx", [src, None]) == tmp_path / "other.onnx"
    assert src.read_bytes() == b"weights"


@pytest.mark.parametrize("project, name", [("runs", "../x"), ("runs", "a/b"), ("runs", ".."), ("runs", "/etc"),
                                           ("runs/../..", "exp"), ("runs", "")])
def test_run_folder_cannot_leave_its_project(tmp_path, project, name):
    with pytest.raises(RunFolderError):
        run_folder(tmp_path / project if project else project, name)


def test_run_folder_numbering_and_stale_tmp(tmp_path):
    (tmp_path / "exp").mkdir()
    assert run_folder(tmp_path, "exp") == tmp_path / "exp2"
    assert run_folder(tmp_path, "exp", exist_ok=True) == tmp_path / "exp"
    atomic_write_bytes(tmp_path / "a.bin", b"1")
    (tmp_path / ".a.bin.x1y2.tmp").write_bytes(b"partial")
    assert [p.name for p in remove_stale_tmp(tmp_path)] == [".a.bin.x1y2.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "exp"]
