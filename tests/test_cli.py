"""The command line through a real subprocess: exit codes, stderr on bad input, exports."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import curvescope
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # every test starts a Python process

DEMO = FIXTURES / "demo"


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "curvescope", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_read_prints_every_run_and_exits_zero():
    done = run("read", DEMO)
    assert done.returncode == 0, done.stderr
    runs = curvescope.read(DEMO).runs
    for name in runs:
        assert name in done.stdout
    assert f"{len(runs)} runs" in done.stdout and "0 findings" in done.stdout


def test_missing_path_is_one_line_on_stderr_and_exit_two(tmp_path):
    done = run("read", tmp_path / "nope")
    assert done.returncode == 2
    assert done.stdout == ""
    expected = f"error: {tmp_path / 'nope'}: no such file or directory. Pass a log directory or a log file."
    assert done.stderr.strip().splitlines() == [expected]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "val_loss"], "--role takes ROLE=TAG"),
        (["--role", "nope=loss"], "unknown role 'nope'"),
        (["--to", "frame.xlsx"], "--to writes .parquet or .csv files"),
    ],
)
def test_bad_options_are_one_line_and_exit_two(tmp_path, args, message):
    done = run("read", DEMO, *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_json_summary_matches_the_api():
    done = run("read", DEMO, "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    result = curvescope.read(DEMO)
    assert [r["run"] for r in summary["runs"]] == list(result.runs)
    assert summary["points"] == len(result.scalars)
    assert {r["run"]: r["roles"] for r in summary["runs"]} == result.roles


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_round_trips_the_tidy_frame(tmp_path, suffix):
    out = tmp_path / f"scalars{suffix}"
    done = run("read", DEMO, "--to", out)
    assert done.returncode == 0, done.stderr
    expected = curvescope.read(DEMO).scalars
    written = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert len(written) == len(expected)
    assert written["value"].tolist() == expected["value"].tolist()
    assert written["tag"].astype(str).tolist() == expected["tag"].astype(str).tolist()
    assert written["step"].tolist() == expected["step"].tolist()


def test_every_command_has_help():
    for args in (["--help"], ["read", "--help"]):
        done = run(*args)
        assert done.returncode == 0 and "Usage" in done.stdout
