"""Keeps the package's layers honest: a lower layer never imports a higher one (see shared style guide)."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "yolov12"

# Rank of each top-level subpackage/module; a module may import only ranks <= its own.
RANK = {
    "utils": 0, "config": 0, "ops": 0,
    "nn": 1,
    "models": 2, "weights": 2,
    "loss": 3, "data": 3,
    "inference": 4,
    "evaluation": 5,
    "tasks": 6,
    "training": 7, "export": 7,
    "api": 8, "cli": 8, "__main__": 8, "__init__": 8, "demo": 8, "app": 8,
}


def _unit(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


FILES = sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(PKG)) for p in FILES])
def test_no_upward_imports(path):
    unit = _unit(path)
    assert unit in RANK, f"new top-level unit {unit!r}: give it a rank in tests/test_layering.py"
    for mod in _imports(path):
        parts = mod.split(".")
        if parts[0] in ("ultralytics", "torchvision"):
            pytest.fail(f"{path} imports {mod}: forbidden dependency")
        if parts[0] != "yolov12" or len(parts) < 2:
            continue
        assert RANK[parts[1]] <= RANK[unit], f"{path.relative_to(PKG)} (layer {unit}) imports higher layer {mod}"
