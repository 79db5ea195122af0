"""Hostile input (issue 15): what a log directory holds never crashes, hangs, fools or hijacks curvescope.

Each test is one failure of the hostile test campaign, reproduced: it failed before its fix.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import curvescope

LATIN1 = os.fsdecode(b"caf\xe9")  # a folder name from an old machine or a Samba share: not UTF-8
raw_names = pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")


def cli(*args, cwd=None, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "curvescope", *map(os.fspath, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def keras_log(steps: int = 60) -> str:
    rows = [f"{i},{2 * 0.95**i:.6f},{2 * 0.96**i + 0.0001 * i * i:.6f}" for i in range(steps)]
    return "epoch,loss,val_loss\n" + "\n".join(rows) + "\n"


def two_runs_one_not_utf8(root: Path) -> Path:
    for name in ("ok-run", LATIN1):
        (root / name).mkdir(parents=True)
        (root / name / "training.log").write_text(keras_log())
    return root


# F1: a folder whose name is not UTF-8 ------------------------------------------------------


@raw_names
def test_a_folder_name_that_is_not_utf8_is_read_and_shown_escaped(tmp_path):
    result = curvescope.read(two_runs_one_not_utf8(tmp_path / "logs"))
    assert result.runs == ("caf\\xe9", "ok-run")
    assert result.run("caf\\xe9")["value"].tolist() == result.run("ok-run")["value"].tolist()
    assert set(result.scalars["source"].astype(str)) == {"caf\\xe9/training.log", "ok-run/training.log"}
    assert not result.findings


@pytest.mark.slow
@raw_names
def test_a_folder_name_that_is_not_utf8_costs_no_run_in_the_cli_cold_or_cached(tmp_path):
    root = two_runs_one_not_utf8(tmp_path / "logs")
    env = {"CURVESCOPE_CACHE_DIR": str(tmp_path / "cache")}
    for _ in range(2):  # cold, then from the cache
        done = cli("audit", root, "--no-model", env=env)
        assert done.returncode == 0, done.stderr
        assert "caf\\xe9" in done.stdout and "ok-run" in done.stdout and "2 runs" in done.stdout
    done = cli("read", root, env=env)
    assert done.returncode == 0, done.stderr
    assert "caf\\xe9" in done.stdout and "2 runs" in done.stdout


@raw_names
def test_a_log_file_name_that_is_not_utf8_is_read(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / os.fsdecode(b"metrics-\xff.csv")).write_text(keras_log(5))
    (tmp_path / "run" / "metrics.csv").write_text(keras_log(5))
    result = curvescope.read(tmp_path)
    assert result.runs == ("run/metrics-\\xff.csv", "run/metrics.csv")


def test_a_cache_key_naming_a_file_that_is_not_utf8_round_trips(tmp_path):
    from curvescope.scale.cache import Cache

    cache = Cache(tmp_path)
    key = f"csv|/logs/{LATIN1}|{LATIN1}"
    cache.put_many("scalars", [(key, (1,), "entry"), ("csv|/logs/caf\\xe9|caf\\xe9", (2,), "other")])
    assert cache.get_many("scalars", [key]) == {key: ((1,), "entry")}
    assert cache.get("scalars", key) == ((1,), "entry")
    cache.close()


# F2, F3: a first data row longer than the header -------------------------------------------


def test_a_first_data_row_with_a_trailing_comma_is_skipped_not_shifted(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training.log").write_text("epoch,loss,val_loss\n0,2.0,2.1,\n1,1.5,1.6\n2,1.0,1.2\n3,0.8,1.1\n")
    result = curvescope.read(tmp_path)
    assert result.curve("run", "train_loss").to_dict() == {1: 1.5, 2: 1.0, 3: 0.8}
    assert result.curve("run", "val_loss").to_dict() == {1: 1.6, 2: 1.2, 3: 1.1}
    assert [(f.code, f.message) for f in result.findings] == [
        ("CS006", "1 rows have more cells than the header (line 2); they were not read.")
    ]


def test_a_first_data_row_too_long_is_skipped_as_a_later_one_is(tmp_path):
    lines = ["step,loss", "0,2.0", "1,1.5", "2,1.0"]
    for row in (1, 2):
        damaged = [*lines[:row], lines[row] + ",9,9", *lines[row + 1 :]]
        (tmp_path / "metrics.csv").write_text("\n".join(damaged) + "\n")
        result = curvescope.read(tmp_path)
        kept = {0: 2.0, 1: 1.5, 2: 1.0}
        kept.pop(row - 1)
        assert result.scalars["value"].tolist() == list(kept.values())
        assert [f.code for f in result.findings] == ["CS006"] and f"(line {row + 1})" in result.findings[0].message


def test_a_first_mlflow_metric_line_with_an_extra_field_is_skipped_not_shifted(tmp_path):
    run = tmp_path / "mlruns" / "0" / "abc"
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text("run_id: abc\nexperiment_id: '0'\nstatus: 3\n")
    (run / "metrics" / "loss").write_text("1700000000000 2.0 0 x\n1700000001000 1.5 1\n1700000002000 1.0 2\n")
    result = curvescope.read(tmp_path)
    assert result.scalars[["step", "value"]].values.tolist() == [[1, 1.5], [2, 1.0]]
    assert [f.code for f in result.findings] == ["CS006"]


@pytest.mark.slow
def test_a_wide_first_data_row_is_read_in_linear_time(tmp_path):
    """A 1 MB first row of "9,": hours before (time quadratic in its cells), now about a second."""
    wide = "9," * 2**19
    (tmp_path / "metrics.csv").write_text(f"step,timestamp,loss,time_elapsed\n{wide}\n10,1.5,0.75,1.5\n20,2.5,0.5,2.5\n")
    code = "import curvescope, sys; r = curvescope.read(sys.argv[1]); print(len(r.scalars), [f.code for f in r.findings])"
    done = subprocess.run([sys.executable, "-c", code, tmp_path], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6", "['CS006']"]


# F4: an event file's length field of 2^63-1 with a valid checksum ---------------------------


def _record(data: bytes, length: int | None = None) -> bytes:
    import struct

    from curvescope.ingest.tensorboard.crc import masked_crc

    header = struct.pack("<Q", len(data) if length is None else length)
    return header + struct.pack("<I", masked_crc(header)) + data + struct.pack("<I", masked_crc(data))


def _event(step: int, value: float) -> bytes:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    summary = Summary(value=[Summary.Value(tag="loss", simple_value=value)])
    return Event(wall_time=1.7e9 + step, step=step, summary=summary).SerializeToString()


@pytest.mark.parametrize("claimed", [2**63 - 1, 2**63, 2**64 - 1, 2**32])
def test_an_absurd_record_length_keeps_every_record_before_it(tmp_path, claimed):
    records = [_record(_event(step, 1.0 / (1 + step))) for step in range(100)]
    records[60] = _record(_event(60, 0.5), length=claimed)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "events.out.tfevents.1.x").write_bytes(b"".join(records))
    result = curvescope.read(tmp_path)
    assert result.run("run")["step"].tolist() == list(range(60))
    problems = [f for f in result.findings if f.code != "CS005"]
    assert [f.code for f in problems] == ["CS006"]
    assert f"claims {claimed} bytes" in problems[0].message and "60 complete record(s) were read" in problems[0].message


# F5: terminal escape sequences in names; F7: rich markup in names ----------------------------

ESCAPES = "run\x1b[2J\x1b[H\x1b]0;owned\x1b\\\x1b[8mHIDDEN"  # clear the screen, set the title, hide text
PAYLOADS = (b"\x1b[2J", b"\x1b[H", b"\x1b]0;owned", b"\x1b[8m")


def on_a_terminal(*args, env=None) -> bytes:
    """What the CLI writes to stdout and stderr when both are a terminal."""
    import pty

    main, child = pty.openpty()
    done = subprocess.Popen(
        [sys.executable, "-m", "curvescope", *map(os.fspath, args)],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env={**os.environ, "COLUMNS": "250", **(env or {})},
    )
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    done.wait(timeout=120)
    os.close(main)
    return out


def run_with_escapes(root: Path) -> Path:
    (root / ESCAPES).mkdir(parents=True)
    lines = keras_log().splitlines()
    lines[7] = lines[7].rsplit(",", 1)[0] + ",x"  # an unparseable cell: a finding naming the file
    (root / ESCAPES / "training.log").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
@pytest.mark.parametrize(
    "args",
    [
        ("audit", "--no-model", "--quiet"),
        ("audit", "--no-model", "--quiet", "--format", "csv"),
        ("audit", "--no-model", "--quiet", "--format", "markdown"),
        ("audit", "--no-model", "--quiet", "--format", "html"),
        ("read",),
    ],
)
def test_escape_sequences_in_a_run_name_never_reach_the_terminal(tmp_path, args):
    root = run_with_escapes(tmp_path / "logs")
    out = on_a_terminal(args[0], root, *args[1:], env={"CURVESCOPE_CACHE_DIR": str(tmp_path / "cache")})
    assert not [payload for payload in PAYLOADS if payload in out], out
    assert rb"run\x1b[2J" in out.replace(b"\\[", b"[")  # shown, escaped (Markdown also escapes '[')
    if args[0] == "read" or "--format" not in args:  # the table and the finding lines
        assert out.count(rb"\x1b[8mHIDDEN") == 2, out


@pytest.mark.slow
def test_escape_sequences_in_a_run_name_are_escaped_in_the_table_into_a_pipe(tmp_path):
    root = run_with_escapes(tmp_path / "logs")
    done = cli("audit", root, "--no-model", "--quiet", env={"CURVESCOPE_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and done.stdout.count("run\\x1b[2J") == 2


@pytest.mark.slow
def test_a_report_written_into_a_pipe_keeps_names_as_they_are(tmp_path):
    root = run_with_escapes(tmp_path / "logs")
    done = cli("audit", root, "--no-model", "--quiet", "--format", "csv", env={"CURVESCOPE_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert ESCAPES in done.stdout  # a file or a program reads the real name; only a terminal gets escapes


@pytest.mark.slow
def test_escape_sequences_in_a_path_given_are_escaped_in_the_error_line():
    done = cli("read", "/nonexistent\x1b[31mX")
    assert done.returncode == 2
    assert "\x1b" not in done.stderr
    assert done.stderr.strip() == "error: /nonexistent\\x1b[31mX: no such file or directory. Pass a log directory or a log file."


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/no/such[/x]", "/no/such[bold]dir", "/no/[red]such[/red]"])
@pytest.mark.parametrize("command", ["audit", "read"])
def test_markup_in_a_path_is_shown_as_given_never_a_traceback(command, path):
    done = cli(command, path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {path}: no such file or directory. Pass a log directory or a log file."


@pytest.mark.slow
def test_markup_in_an_unknown_code_is_shown_as_given():
    done = cli("explain", "[/x]")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: '[/x]' is not a rule, model or finding code. `curvescope rules` lists them."


@pytest.mark.slow
def test_markup_in_a_run_name_is_shown_as_given(tmp_path):
    root = tmp_path / "logs"
    for name in ("[bold]run", "a[/x]"):
        (root / name).mkdir(parents=True)
        (root / name / "training.log").write_text(keras_log())
    (root / "a[/x]" / "training.log").write_text(keras_log().replace("\n7,", "\n7,x,", 1))
    env = {"CURVESCOPE_CACHE_DIR": str(tmp_path / "cache")}
    for args in (("audit", root, "--no-model"), ("read", root)):
        done = cli(*args, env=env)
        assert done.returncode == 0, done.stderr
        assert "[bold]run" in done.stdout and "a[/x]/training.log" in done.stdout


# F6: unreadable logs of the formats sniffed by content --------------------------------------


def _without_root_privileges() -> list[str]:
    """A command prefix under which file permissions apply (root reads anything otherwise)."""
    if os.geteuid() != 0:
        return []
    import shutil

    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: permissions cannot be made to apply")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_an_unreadable_log_of_any_format_is_a_finding_and_costs_no_other_run(tmp_path):
    root = tmp_path / "logs"
    files = {
        "keras/training.log": keras_log(5),
        "lightning_logs/version_0/metrics.csv": "step,epoch,train_loss,val_loss\n0,0,1.0,\n0,0,,1.1\n",
        "jsonl/metrics.jsonl": '{"step": 0, "loss": 1.0}\n{"step": 1, "loss": 0.8}\n',
        "tune/trial_0/progress.csv": "training_iteration,loss\n1,1.0\n2,0.8\n",
        "tune/trial_0/result.json": '{"training_iteration": 1, "loss": 1.0}\n',
        "ok/training.log": keras_log(5),
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
        if not name.startswith("ok/"):
            (root / name).chmod(0)
    code = (
        "import curvescope, sys; r = curvescope.read(sys.argv[1]); print(r.runs); "
        "[print(f.code, f.source, f.message) for f in r.findings]"
    )
    done = subprocess.run([*_without_root_privileges(), sys.executable, "-c", code, root], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    runs, *findings = done.stdout.splitlines()
    assert runs == "('ok',)"
    unreadable = sorted(name for name in files if not name.startswith("ok/"))
    assert findings == [
        f"CS001 {name} cannot be read (permission denied); if it is a log, nothing was read from it" for name in unreadable
    ]


def test_an_unreadable_file_that_is_no_log_is_no_finding(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training.log").write_text(keras_log(5))
    for name in ("model.ckpt", "notes.md", "weights.bin"):
        (tmp_path / "run" / name).write_bytes(b"\0" * 10)
        (tmp_path / "run" / name).chmod(0)
    result = curvescope.read(tmp_path)
    assert result.runs == ("run",) and not result.findings and result.ignored_files == 3


# F8: --jobs is capped at the cores and at the runs to audit ---------------------------------


def test_jobs_is_capped_at_the_cores_and_the_runs(monkeypatch):
    import importlib

    audit_module = importlib.import_module("curvescope.audit")
    monkeypatch.setattr(audit_module.backends, "cores", lambda: 4)
    assert audit_module.worker_count(99999, 24) == 4
    assert audit_module.worker_count(99999, 3) == 3
    assert audit_module.worker_count(-1, 10_000) == 4
    assert audit_module.worker_count(2, 10_000) == 2
    assert audit_module.worker_count(None, 10) == 1
    assert audit_module.worker_count(8, 0) == 1  # every run from the cache: none started


def test_jobs_far_above_the_cores_starts_no_more_workers_and_says_so(tmp_path, monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    from curvescope.scale import backends

    started = []
    real = ProcessPoolExecutor.__init__

    def counted(self, max_workers=None, **kwargs):
        started.append(max_workers)
        real(self, max_workers=max_workers, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "__init__", counted)
    monkeypatch.setattr(backends, "cores", lambda: 2)
    for index in range(6):
        (tmp_path / f"run{index}").mkdir()
        (tmp_path / f"run{index}" / "training.log").write_text(keras_log())
    report = curvescope.audit(tmp_path, jobs=99999, cache=False, model=False)
    assert len(report) == 6 and started == [2]
    assert report.workers == 2


@pytest.mark.slow
def test_the_cli_says_when_jobs_is_capped(tmp_path):
    for index in range(3):
        (tmp_path / f"run{index}").mkdir()
        (tmp_path / f"run{index}" / "training.log").write_text(keras_log())
    done = cli("audit", tmp_path, "--jobs", "99999", "--no-cache", "--no-model", "--format", "json")
    assert done.returncode == 0, done.stderr
    used = min(3, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    assert f"note: --jobs 99999: {used} worker process" in done.stderr


# F12: read --to x.csv neutralises formula-like names, as the audit's CSV does ----------------


@pytest.mark.slow
def test_read_to_csv_quotes_formula_like_names(tmp_path):
    import pandas as pd

    (tmp_path / "logs" / "=cmd").mkdir(parents=True)
    formula = '=HYPERLINK("http://evil.example";"click")'
    (tmp_path / "logs" / "=cmd" / "training.log").write_text(f"epoch,loss,val_loss,{formula},-x\n0,1.0,1.1,1,2\n1,0.8,1.0,2,3\n")
    done = cli("read", tmp_path / "logs", "--to", tmp_path / "scalars.csv", env={"CURVESCOPE_CACHE_DIR": str(tmp_path / "c")})
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(tmp_path / "scalars.csv", keep_default_na=False)
    assert set(frame["tag"]) == {"loss", "val_loss", "'" + formula, "'-x"}
    assert set(frame["run"]) == {"'=cmd"} and set(frame["source"]) == {"'=cmd/training.log"}
    assert frame["value"].tolist() == curvescope.read(tmp_path / "logs").scalars["value"].tolist()  # numbers stay numbers


# F13: a scheduler address that is no address ------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("address", ["bogus", "tcp://host-without-port", "tcp://host:notaport"])
def test_a_scheduler_address_that_is_no_address_is_one_line_at_once(address):
    import time

    started = time.monotonic()
    done = cli("audit", "fixtures/demo", "--no-cache", "--no-model", "--scheduler", address, cwd=Path(__file__).parents[1])
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {address}: not a Dask scheduler address")
    assert len(done.stderr.splitlines()) == 1
    assert time.monotonic() - started < 15  # before: a traceback after 20 s


# --- F11: a first line longer than the sniffed bytes -------------------------------------------------


@pytest.mark.parametrize("notes", [1_000, 100_000, 3_000_000])
def test_a_log_whose_first_line_is_long_before_its_step_is_read(tmp_path, notes):
    """Ray Tune writes the trial's config into every result line, often before the step: however
    long that makes the first line, the trial and a JSON-lines log like it are read whole."""
    config = {"notes": "x" * notes}
    (tmp_path / "exp" / "t_00001").mkdir(parents=True)
    (tmp_path / "jl").mkdir()
    with (tmp_path / "exp" / "t_00001" / "result.json").open("w") as handle:
        for i in range(1, 4):
            handle.write(json.dumps({"config": config, "training_iteration": i, "loss": 1.0 / i}) + "\n")
    with (tmp_path / "jl" / "metrics.jsonl").open("w") as handle:
        for i in range(1, 4):
            handle.write(json.dumps({"config": config, "step": i, "loss": 1.0 / i}) + "\n")
    result = curvescope.read(tmp_path)
    assert result.runs == ("exp/t_00001", "jl")
    for run in result.runs:
        assert result.curve(run, "train_loss").to_dict() == {1: 1.0, 2: 0.5, 3: 1 / 3}


def test_a_first_line_past_the_sniff_limit_is_not_read_whole(tmp_path, monkeypatch):
    from curvescope.ingest import tables

    monkeypatch.setattr(tables, "FIRST_LINE_LIMIT", 2**20)
    line = json.dumps({"config": {"notes": "x" * 2**21}, "step": 1, "loss": 1.0})
    (tmp_path / "metrics.jsonl").write_text(line + "\n")
    assert not tables.first_line_holds(tmp_path / "metrics.jsonl", re.compile('"step"'))


# --- F9: a metric column mostly of unparseable cells ------------------------------------------------


def test_a_metric_column_mostly_unparseable_keeps_its_numbers_and_names_the_rest(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training.log").write_text(
        "epoch,loss,val_loss,note\n0,2.5,2.6,a\n1,2.0,oops,b\n2,1.5,bad,c\n3,1.0,#DIV/0!,d\n4,0.5,1.1,5\n"
    )
    result = curvescope.read(tmp_path)
    assert result.curve("run", "val_loss").to_dict() == {0: 2.6, 4: 1.1}
    (bad,) = [f for f in result.findings if f.code == "CS008"]
    assert "'val_loss'" in bad.message and bad.count == 3
    assert "note" not in set(result.scalars["tag"].astype(str)), "a text column is still no metric"


# --- F10: a header holding more of another separator than of its own ---------------------------


@pytest.mark.parametrize(
    ("name", "header", "rows"),
    [
        ("training.log", "epoch,loss,val_loss,note;a;b;c;d", ["0,1.0,1.1,x", "1,0.8,1.0,y"]),
        ("metrics.csv", "step;loss;val_loss;a,b,c,d,e", ["0;1.0;1.1;x", "1;0.8;1.0;y"]),
        ("log.tsv", "step\tloss\tval_loss\tcomment, a, b, c", ["0\t1.0\t1.1\tx", "1\t0.8\t1.0\ty"]),
    ],
)
def test_the_separator_is_the_one_that_cuts_header_and_rows_alike(tmp_path, name, header, rows):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / name).write_text("\n".join([header, *rows]) + "\n")
    result = curvescope.read(tmp_path)
    assert result.curve("run", "train_loss").to_dict() == {0: 1.0, 1: 0.8}
    assert result.curve("run", "val_loss").to_dict() == {0: 1.1, 1: 1.0}
    assert not result.findings


def test_a_long_csv_with_a_misleading_header_is_read_by_its_rows_separator(tmp_path):
    (tmp_path / "scalars.csv").write_text("step,tag,value,comment;a;b;c;d\n0,loss,2.0,x\n1,loss,1.5,y\n")
    result = curvescope.read(tmp_path)
    assert result.scalars[["step", "value"]].values.tolist() == [[0, 2.0], [1, 1.5]]


def test_a_separator_the_rows_cannot_tell_is_a_finding_naming_the_file(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training.log").write_text("epoch,loss,val_loss;a;b;c\n0,1.0\n1,0.8,1.0,9,9\n")
    result = curvescope.read(tmp_path)
    doubts = [f for f in result.findings if "separator" in f.message]
    assert [(f.code, f.source) for f in doubts] == [("CS008", "run/training.log")]
    assert "3 ';'" in doubts[0].message and "2 ','" in doubts[0].message


# --- the CLI: usage errors in one plain line, numbers out of range refused before any work ----------


def numeric_options() -> list[tuple[str, str]]:
    """Every int or float option of every command: (command, option), read from the commands' signatures."""
    import typing

    from curvescope.cli import app

    found = []
    for command in app.registered_commands:
        for hint in typing.get_type_hints(command.callback, include_extras=True).values():
            if typing.get_origin(hint) is not typing.Annotated:
                continue
            kind, info = typing.get_args(hint)[:2]
            decls = [info.default, *(getattr(info, "param_decls", None) or ())]
            long = [decl for decl in decls if isinstance(decl, str) and decl.startswith("--")]
            if {int, float} & {kind, *typing.get_args(kind)} and long:
                found.append((command.name, long[0]))
    return sorted(found)


def cli_in_process(*args):
    from typer.testing import CliRunner

    from curvescope.cli import app

    return CliRunner().invoke(app, list(map(os.fspath, args)))


def test_every_numeric_option_is_found():
    assert {("audit", "--jobs"), ("audit", "--min-confidence"), ("watch", "--interval"), ("app", "--port")} <= {
        *numeric_options()
    }


@pytest.mark.parametrize(("command", "option"), numeric_options())
@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999", "1e400", "nan"])
def test_a_number_out_of_range_for_any_option_is_a_usage_error_in_one_line(tmp_path, command, option, value):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training.log").write_text(keras_log())
    needs = {"train": ["--output", tmp_path / "model.skops"]}.get(command, [])
    result = cli_in_process(command, tmp_path, *needs, option, value)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and f"Try 'curvescope {command} --help'" in lines[0]
    assert option in lines[0] and "Overflow" not in result.output


@pytest.mark.parametrize("args", [["audit", "--bogus"], ["audit"], ["explain"], ["nosuchcommand"]])
def test_a_usage_error_is_one_plain_line_not_a_box(args):
    result = cli_in_process(*args)
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: ") and len(result.output.strip().splitlines()) == 1
    assert not set("╭╮╰╯│─") & set(result.output)


@pytest.mark.parametrize("labels", [",,,", " , ", ","])
def test_an_empty_fail_on_list_is_refused(tmp_path, labels):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training.log").write_text(keras_log())
    result = cli_in_process("audit", tmp_path, "--no-cache", "--no-model", "--fail-on", labels)
    assert result.exit_code == 2
    assert "--fail-on takes one or more labels" in result.output


# --- a log in another encoding than UTF-8, unrecognised, is named ------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("training.log", "epoch,loss,val_loss\n0,2.0,2.1\n1,1.5,1.6\n".encode("utf-16"), "UTF-16"),
        ("metrics.jsonl", b'{"step": 0, "loss": 2.0}\n'.replace(b"step", b"st\0ep"), "NUL bytes (the first at byte 4)"),
        ("log.txt", b"\xe9poch loss\n" * 3, "not UTF-8 text (byte 0 is e9)"),
    ],
)
def test_a_log_that_is_not_utf8_text_is_named_not_silently_ignored(tmp_path, name, data, said):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "training.log").write_text(keras_log())
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / name).write_bytes(data)
    result = curvescope.read(tmp_path)
    assert result.runs == ("ok",)
    assert [(f.code, f.source) for f in result.findings] == [("CS001", f"odd/{name}")]
    assert said in result.findings[0].message


def test_a_text_file_that_is_no_log_stays_quiet(tmp_path):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "training.log").write_text(keras_log())
    (tmp_path / "ok" / "notes.txt").write_text("lr 0.1 looked too high, trying 0.01 — café\n")
    assert not curvescope.read(tmp_path).findings


# --- found by the fuzzer ------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["val/lloss", "val/box_loSS"])
def test_a_loss_tag_taken_as_a_component_that_is_none_is_read_not_raised(tmp_path, tag):
    """A damaged name like a detector's loss component (``val/lloss``) made reading raise TypeError."""
    rows = [f"{step},train/loss,{2.0 / (step + 1)}\n{step},{tag},{2.5 / (step + 1)}" for step in range(5)]
    (tmp_path / "scalars.csv").write_text("step,tag,value\n" + "\n".join(rows) + "\n")
    result = curvescope.read(tmp_path)
    assert result.roles[result.runs[0]]["val_loss"] == tag
    assert result.curve(result.runs[0], "val_loss").to_dict() == {step: 2.5 / (step + 1) for step in range(5)}


def test_a_csv_whose_columns_are_all_garbled_into_text_is_named(tmp_path):
    """A damaged CSV with a step column but no column of numbers gave no point and no finding."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.csv").write_bytes(b"step,\xfcoss,\xe8\xb5\n0,\xfc.\xe8,0.\xfc\n1,\xb5.3\xff2,\xff.0\n")
    result = curvescope.read(tmp_path)
    assert [(f.code, f.source) for f in result.findings if f.source] == [("CS012", "run/metrics.csv")]


@pytest.mark.parametrize(
    ("header", "rows", "said"),
    [
        ("step,tag,value", "0,train/loss,\n", "1 rows have no number in column 'value' (line 2)"),
        ("run,tag,step,value", "0000000\n", "1 rows have no usable step (line 2)"),
    ],
)
def test_a_long_csv_row_damaged_out_of_its_point_is_named(tmp_path, header, rows, said):
    """A long CSV whose only row lost its value, or all but one cell, gave no point and no finding."""
    (tmp_path / "scalars.csv").write_text(f"{header}\n{rows}")
    result = curvescope.read(tmp_path)
    named = [f for f in result.findings if f.source]
    assert [(f.code, f.source) for f in named] == [("CS008", "scalars.csv")]
    assert said in named[0].message


def test_an_empty_mlflow_metric_file_is_named(tmp_path):
    """MLflow writes a metric's file with its first value: one cut to nothing lost its points, silently."""
    run = tmp_path / "mlruns" / "0" / "abc"
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text("run_id: abc\nexperiment_id: '0'\nstatus: 3\n")
    (run / "metrics" / "loss").write_text("1700000000000 2.0 0\n1700000001000 1.5 1\n")
    (run / "metrics" / "val_loss").write_bytes(b"")
    result = curvescope.read(tmp_path)
    assert [(f.code, f.source) for f in result.findings] == [("CS007", "mlruns/0/abc/metrics/val_loss")]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_row_that_lost_cells_is_named_not_read_as_missing_values(tmp_path, newline):
    """Bytes deleted inside a row left it short: its last cells were taken as "not logged", silently."""
    (tmp_path / "run").mkdir()
    rows = ["epoch,loss,val_loss", "0,1.0,1.1", "1,0.8", "2,0.7,0.9", "3,0.5,0.6"]
    (tmp_path / "run" / "training.log").write_text(newline.join(rows) + newline, newline="")
    result = curvescope.read(tmp_path)
    assert result.curve("run", "val_loss").to_dict() == {0: 1.1, 2: 0.9, 3: 0.6}
    assert [(f.code, f.source, f.message) for f in result.findings] == [
        ("CS006", "run/training.log", "1 rows have fewer cells than the header (line 3); their missing cells were not read.")
    ]
