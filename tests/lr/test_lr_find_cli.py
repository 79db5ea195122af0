"""``curvescope lr-find`` through a real process: the table, the JSON (the API's numbers), bad paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import curvescope
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # every test starts a Python process

RANGE = FIXTURES / "lr_range"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "curvescope", "lr-find", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_the_json_holds_the_apis_rates():
    done = run(RANGE / "torch-lr-finder", "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = {test["run"]: test for test in json.loads(done.stdout)["range_tests"]}
    expected = curvescope.lr_find(RANGE / "torch-lr-finder")
    assert sorted(printed) == sorted(t.run for t in expected)
    for test in expected:
        assert printed[test.run]["suggested"] == pytest.approx(test.suggested)
        assert printed[test.run]["max_lr"]["value"] == pytest.approx(test.max_lr.value)


def test_the_table_names_each_test_and_counts_the_other_runs():
    done = run(RANGE / "sweep")
    assert done.returncode == 0, done.stderr
    assert "digits-mlp/lr_find" in done.stdout
    assert "1 LR range test; 5 other runs" in done.stdout


def test_a_folder_without_a_range_test_says_so():
    done = run(FIXTURES / "demo")
    assert done.returncode == 0 and "0 LR range tests; 7 other runs" in done.stdout


def test_a_missing_path_is_one_line_and_exit_two(tmp_path):
    done = run(tmp_path / "nothing")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
