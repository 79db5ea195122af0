"""``curvescope.watch`` and ``curvescope watch``: each new, changed or gone run once, new findings
once, nothing for a run whose labels stay; the CLI streams lines and stops cleanly on a signal."""

import csv
import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import curvescope
from curvescope.cli.watch_command import change_line
from curvescope.findings import Finding
from curvescope.report import RunReport
from curvescope.watch import Change, ChangeKind, Watcher
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "corpus"
PER_LABEL = 6  # corpus runs per label to choose from


@dataclass(frozen=True)
class Candidate:
    """A corpus run copied out, with its corpus label and format, and what the rules make of it."""

    path: Path
    label: str
    format: str
    report: RunReport


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> dict[str, list[Candidate]]:
    """A few corpus runs per label (from labels.csv), audited once by the rules; by corpus label,
    only those the audit gives that label alone."""
    with open(CORPUS / "labels.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    chosen = [
        row for label in ("healthy", "lr_too_high", "overfitting") for row in [r for r in rows if r["label"] == label][:PER_LABEL]
    ]
    chosen.append(next(row for row in rows if row["label"] == "healthy" and row["format"] == "tensorboard"))
    folder = tmp_path_factory.mktemp("pool")
    for i, row in enumerate(chosen):
        shutil.copytree(CORPUS / "runs" / row["run"], folder / f"{row['label']}-{i}")
    report = curvescope.audit(folder, model=False, cache=False)
    found: dict[str, list[Candidate]] = {}
    for i, row in enumerate(chosen):
        name = f"{row['label']}-{i}"
        if report[name].labels == (row["label"],):
            found.setdefault(row["label"], []).append(Candidate(folder / name, row["label"], row["format"], report[name]))
    assert {"healthy", "lr_too_high", "overfitting"} <= found.keys(), "the rules no longer agree with the corpus labels"
    return found


def put(candidate: Candidate, target: Path) -> None:
    """Copy a run to ``target`` (fresh modification times), replacing what is there; the new files
    appear at once, as a rename, so that a watch never sees half a copy."""
    staging = target.parent.parent / f".staging-{target.name}"
    shutil.copytree(candidate.path, staging, copy_function=shutil.copyfile)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)


def brief(changes: list[Change]) -> list[tuple]:
    return [(str(c.kind), c.run, c.before, c.labels) for c in changes]


@pytest.fixture
def logs(tmp_path) -> Path:
    folder = tmp_path / "logs" / "runs"
    folder.mkdir(parents=True)
    return folder


def watcher(logs: Path, **options) -> Watcher:
    return Watcher(logs, model=False, cache=logs.parent / "cache", **options)


def test_new_changed_and_gone_runs_are_each_reported_once(logs, pool):
    healthy, exploding, overfit = pool["healthy"][0], pool["lr_too_high"][0], pool["overfitting"][0]
    put(healthy, logs / "a")
    put(exploding, logs / "b")
    watch = watcher(logs)
    first = watch.poll()
    assert brief(first) == [("new", "a", (), healthy.report.labels), ("new", "b", (), exploding.report.labels)]
    assert first[1].step == exploding.report.numbers["last_step"] and first[1].fix == exploding.report.fix
    assert first[1].confidences == exploding.report.label_confidences()
    assert watch.poll() == []

    put(overfit, logs / "a")  # a's files replaced by a run that overfits
    put(healthy, logs / "c")
    assert brief(watch.poll()) == [
        ("changed", "a", healthy.report.labels, overfit.report.labels),
        ("new", "c", (), healthy.report.labels),
    ]
    assert watch.poll() == []

    shutil.rmtree(logs / "b")
    gone = watch.poll()
    assert brief(gone) == [("gone", "b", exploding.report.labels, ())]
    assert gone[0].step == exploding.report.numbers["last_step"]


def test_a_run_whose_labels_stay_is_not_reported_again_when_its_confidence_moves(logs, pool):
    one, other = next(
        (a, b) for runs in pool.values() for a, b in itertools.combinations(runs, 2) if a.report.confidence != b.report.confidence
    )
    put(one, logs / "a")
    watch = watcher(logs)
    assert len(watch.poll()) == 1
    put(other, logs / "a")
    assert watch.poll() == []
    (logs / "a").rename(logs / "a2")  # the same labels under a new name: gone and new
    assert brief(watch.poll()) == [("gone", "a", one.report.labels, ()), ("new", "a2", (), other.report.labels)]


def test_a_new_reading_finding_is_reported_once(logs, pool):
    run = next(c for c in pool["healthy"] if c.format == "tensorboard")
    put(run, logs / "a")
    watch = watcher(logs)
    assert brief(watch.poll()) == [("new", "a", (), ("healthy",))]
    events = next((logs / "a").rglob("*tfevents*"))
    with open(events, "ab") as file:
        file.write(b"\x10\x00\x00\x00\x00\x00\x00\x00cut off")  # a corrupt record at the end
    changes = watch.poll()
    assert [(str(c.kind), c.run) for c in changes] == [("finding", "a")]
    assert changes[0].finding.source.startswith("a/") and changes[0].finding.code.startswith("CS0")
    put(pool["healthy"][1], logs / "b")
    assert brief(watch.poll()) == [("new", "b", (), ("healthy",))]  # the finding stands, and is not repeated


def test_changes_only_skips_the_runs_there_at_the_start(logs, pool):
    put(pool["healthy"][0], logs / "a")
    watch = watcher(logs, changes_only=True)
    assert watch.poll() == []
    put(pool["overfitting"][0], logs / "a")
    assert brief(watch.poll()) == [("changed", "a", ("healthy",), ("overfitting",))]


def test_an_empty_folder_is_waited_on_and_a_missing_one_is_an_error(logs, pool, tmp_path):
    watch = watcher(logs)
    assert watch.poll() == [] and "no runs yet" in watch.note
    put(pool["healthy"][0], logs / "a")
    assert brief(watch.poll()) == [("new", "a", (), ("healthy",))] and watch.note is None
    with pytest.raises(curvescope.LogdirNotFound):
        watcher(tmp_path / "missing").poll()
    with pytest.raises(curvescope.InvalidParameterError):
        curvescope.watch(logs, interval=0)


def test_watch_yields_while_the_folder_changes_and_ends_when_stopped(logs, pool):
    put(pool["healthy"][0], logs / "a")
    stop, seen, notes = threading.Event(), queue.Queue(), []

    def consume():
        for change in curvescope.watch(
            logs, interval=0.05, model=False, cache=logs.parent / "cache", stop=stop, waiting=notes.append
        ):
            seen.put(change)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    try:
        assert seen.get(timeout=20).run == "a"
        put(pool["lr_too_high"][0], logs / "b")
        assert seen.get(timeout=20).run == "b"
        assert seen.empty() and notes == []
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_change_is_one_line_in_the_audits_words():
    changed = Change(
        ChangeKind.CHANGED,
        "runs/a",
        1200,
        ("healthy",),
        ("lr_too_high",),
        0.97,
        {"lr_too_high": 0.97},
        "the loss blew up; lower the learning rate",
    )
    assert change_line(changed).plain == (
        "step 1,200  runs/a  healthy → lr_too_high 97%  the loss blew up; lower the learning rate"
    )
    new = Change(ChangeKind.NEW, "runs/b", 40, (), ("healthy",), 0.99, {"healthy": 0.99})
    assert change_line(new).plain == "step 40  runs/b  healthy 99%"
    assert change_line(Change(ChangeKind.GONE, "runs/b", None, ("healthy",))).plain == "step –  runs/b  healthy → gone"
    problem = Finding("CS006", "a record fails its checksum", source="runs/a/events.out.tfevents.1", run="runs/a")
    assert change_line(Change(ChangeKind.FINDING, "runs/a", finding=problem)).plain == (
        "warning CS006 runs/a/events.out.tfevents.1: a record fails its checksum"
    )


# --- the command, in a real process -------------------------------------------------------------


def start(folder: Path, *options: str) -> tuple[subprocess.Popen, queue.Queue, queue.Queue]:
    """``curvescope watch`` running on ``folder``, its stdout and stderr lines arriving in queues."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "curvescope",
            "watch",
            str(folder),
            "--interval",
            "0.2",
            "--no-model",
            "--cache",
            str(folder.parent / "cache"),
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    streams = []
    for stream in (process.stdout, process.stderr):
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(stream, lines), daemon=True).start()
        streams.append(lines)
    return process, *streams


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)  # the stream closed


def stopped(process: subprocess.Popen, signum: int) -> int:
    process.send_signal(signum)
    return process.wait(timeout=20)


def drained(lines: queue.Queue) -> list[str]:
    """The lines still to come, up to the stream's end."""
    return list(iter(lambda: lines.get(timeout=10), None))


@pytest.mark.slow
def test_the_command_prints_each_run_once_as_json_and_stops_on_ctrl_c(logs, pool):
    put(pool["healthy"][0], logs / "a")
    put(pool["overfitting"][0], logs / "b")
    process, out, err = start(logs, "--format", "json")
    try:
        first = [json.loads(out.get(timeout=30)) for _ in range(2)]
        assert [(c["kind"], c["run"], c["labels"]) for c in first] == [("new", "a", ["healthy"]), ("new", "b", ["overfitting"])]
        put(pool["lr_too_high"][0], logs / "c")
        added = json.loads(out.get(timeout=30))
        assert (added["kind"], added["run"], added["labels"]) == ("new", "c", ["lr_too_high"])
        assert stopped(process, signal.SIGINT) == 0
    finally:
        if process.poll() is None:
            process.kill()
    process.wait(timeout=10)
    rest = drained(out)
    assert Counter(c["run"] for c in [*first, added, *map(json.loads, rest)]) == {"a": 1, "b": 1, "c": 1}
    assert "Traceback" not in "".join(drained(err))


@pytest.mark.slow
def test_the_command_waits_for_runs_and_stops_on_sigterm(logs, pool):
    process, out, err = start(logs)
    try:
        assert "no runs yet" in err.get(timeout=30)
        put(pool["lr_too_high"][0], logs / "a")
        assert out.get(timeout=30).startswith(f"step {pool['lr_too_high'][0].report.numbers['last_step']:,}  a  lr_too_high ")
        assert stopped(process, signal.SIGTERM) == 0
    finally:
        if process.poll() is None:
            process.kill()
    process.wait(timeout=10)
    assert "Traceback" not in "".join(drained(err))


@pytest.mark.slow
def test_a_missing_folder_is_one_error_line_and_exit_two(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "curvescope", "watch", str(tmp_path / "missing"), "--no-model"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
