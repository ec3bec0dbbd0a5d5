"""The reference directory of the parity tests: skipped where it is absent, a failure where CI requires it."""

from pathlib import Path

import pytest
from conftest import locate_reference

TESTS = Path(__file__).resolve().parent


def test_present_reference_is_used(tmp_path):
    assert locate_reference(tmp_path, required=True) == tmp_path


def test_missing_reference_skips_unless_required(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(pytest.skip.Exception, match="not found"):
        locate_reference(missing, required=False)
    with pytest.raises(pytest.fail.Exception, match="YOLOV12_REFERENCE_REQUIRED"):
        locate_reference(missing, required=True)


def test_one_definition_of_the_reference_path():
    """No test spells out the reference location itself: all take the ``reference_dir`` fixture (conftest.py)."""
    own = [p for p in TESTS.rglob("*.py") if p.name != "conftest.py" and p != Path(__file__).resolve()]
    assert own, TESTS
    bad = [str(p.relative_to(TESTS)) for p in own if "shared/reference" in p.read_text() or
           '"shared"' in p.read_text()]
    assert not bad, f"use the reference_dir fixture instead of a path of its own in {bad}"
