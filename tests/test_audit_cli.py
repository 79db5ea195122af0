"""``curvescope audit`` through a real subprocess: exit codes, stderr on bad input, golden reports
of the demo runs in every format, and the JSON equal to the API's."""

import json
import subprocess
import sys

import pytest

import curvescope
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"
FORMATS = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md", "html": "html"}


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "curvescope", "audit", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The demo report in every format, written by one process each (relative path: stable output)."""
    out = tmp_path_factory.mktemp("reports")
    done = {}
    for name, suffix in FORMATS.items():
        target = out / f"demo.{suffix}"
        done[name] = (
            run(DEMO.relative_to(FIXTURES.parent), "--format", name, "--output", target, "--quiet", cwd=FIXTURES.parent),
            target,
        )
    return done


@pytest.mark.slow
@pytest.mark.parametrize("name", FORMATS)
def test_every_format_matches_its_golden_report(reports, golden, name):
    done, target = reports[name]
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    golden(f"demo.{FORMATS[name]}", target.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_json_on_stdout_equals_the_api():
    done = run(DEMO, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(curvescope.audit(DEMO).to_json())


@pytest.mark.slow
def test_the_table_names_every_run_and_counts_labels():
    done = run(DEMO)
    assert done.returncode == 0, done.stderr
    report = curvescope.audit(DEMO)
    for run_report in report:
        assert run_report.run in done.stdout
    assert f"{len(report)} runs: " in done.stdout
    assert done.stderr == ""  # no progress bar when stderr is not a terminal


@pytest.mark.slow
@pytest.mark.parametrize("labels, code", [("lr_too_high", 1), ("healthy,bad_init", 1)])
def test_fail_on_a_label_found_exits_one(labels, code):
    assert run(DEMO, "--fail-on", labels, "--quiet").returncode == code


@pytest.mark.slow
def test_fail_on_a_label_not_found_exits_zero(tmp_path):
    healthy = [r.run for r in curvescope.audit(DEMO) if r.labels == ("healthy",)]
    assert healthy
    done = run(DEMO / healthy[0], "--fail-on", "lr_too_high,bad_init,decay_too_early,overfitting,underfitting")
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_min_confidence_above_every_label_keeps_the_gate_open():
    assert run(DEMO, "--fail-on", "lr_too_high", "--min-confidence", "1", "--quiet").returncode == 0


@pytest.mark.slow
def test_label_filter_shows_only_those_runs():
    done = run(DEMO, "--label", "overfitting", "--format", "json")
    shown = json.loads(done.stdout)["runs"]
    assert shown and all("overfitting" in r["labels"] for r in shown)


@pytest.mark.slow
def test_several_paths_name_runs_by_their_path():
    done = run(DEMO / "keras", DEMO / "tensorboard", "--format", "csv", cwd=FIXTURES.parent)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()[1:]
    assert lines and all(str(DEMO / "keras") in line or str(DEMO / "tensorboard") in line for line in lines)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--fail-on", "nope"], "--fail-on takes labels among"),
        (["--label", "sick"], "--label takes labels among"),
        (["--min-confidence", "2"], "Invalid value for '--min-confidence': Input should be less than or equal to 1"),
        (["--classes", "1"], "Invalid value for '--classes': Input should be greater than or equal to 2"),
        (["--jobs", "0"], "'jobs' parameter of audit must be None or an int in the range [1, inf) or -1"),
        (["--select", "CS8"], "matches no rule code"),
        (["--role", "val_loss"], "--role takes ROLE=TAG"),
    ],
)
@pytest.mark.slow
def test_bad_options_are_one_line_on_stderr_and_exit_two(args, message):
    done = run(DEMO, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].lower().startswith("error: ") and message in lines[0], done.stderr


@pytest.mark.slow
def test_a_missing_path_is_one_line_and_exit_two(tmp_path):
    done = run(tmp_path / "nope")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope'}: no such file or directory. Pass a log directory or a log file."
    ]


@pytest.mark.slow
def test_an_unwritable_output_is_one_line_and_exit_two(tmp_path):
    done = run(DEMO, "--output", tmp_path / "missing" / "report.html", "--format", "html")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")


@pytest.mark.slow
def test_help_shows_examples_and_exit_codes():
    done = run("--help")
    assert done.returncode == 0
    assert "curvescope audit fixtures/demo" in done.stdout and "Exit codes" in done.stdout


def test_every_command_has_help_with_an_example():
    from typer.testing import CliRunner

    from curvescope.cli import app

    commands = [command.name for command in app.registered_commands]
    assert {"audit", "read", "rules", "explain", "eval", "train"} <= set(commands)
    for name in commands:
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"{name} --help shows no example"
