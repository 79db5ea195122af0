"""The whole project is as ruff wants it: lint-clean and formatted (the settings are in pyproject.toml)."""

from __future__ import annotations

import subprocess

import pytest
from ruff.__main__ import find_ruff_bin

from tests.conftest import ROOT


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff_finds_nothing_to_change(command):
    done = subprocess.run([find_ruff_bin(), *command, "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    fix = "ruff check --fix ." if command == ["check"] else "ruff format ."
    if done.returncode != 0:
        pytest.fail(f"ruff {' '.join(command)} . is not clean (try `{fix}`):\n{done.stdout}{done.stderr}", pytrace=False)
