"""CSV and JSON-lines logs still being written are read on after their last complete line, and
the result equals a cold read of the whole folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curvescope.ingest.csvlogs import GenericCSVReader
from curvescope.ingest.jsonlogs import JSONLinesReader
from tests.cache.reading import age, assert_same, read_cached, read_cold, size, watched_reads

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class CSVLog:
    """A CSV log appended row by row and flushed, as Keras's and Lightning's ``CSVLogger`` write
    it (``csv.DictWriter``, ``\\r\\n`` line ends, empty cells for metrics not logged in a row)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "w", newline="")  # noqa: SIM115 - kept open while the run writes
        self.writer = csv.DictWriter(self.file, fieldnames=columns)
        self.writer.writeheader()
        self.file.flush()

    def write(self, rows: list[dict]) -> None:
        self.writer.writerows(rows)
        self.file.flush()


def keras_rows(epochs: range) -> list[dict]:
    return [{"epoch": epoch, "loss": 2.0 / (epoch + 1), "val_loss": 2.5 / (epoch + 1)} for epoch in epochs]


def lightning_rows(steps: range) -> list[dict]:
    """Train rows every step and a validation row every tenth, on rows of their own."""
    rows = []
    for step in steps:
        rows.append({"epoch": step // 50, "step": step, "train_loss": 1.0 / (step + 1)})
        if step % 10 == 9:
            rows.append({"epoch": step // 50, "step": step, "val_loss": 1.5 / (step + 1)})
    return rows


def json_rows(steps: range) -> list[str]:
    return [
        json.dumps({"step": step, "train": {"loss": 1.0 / (step + 1)}, "lr": 0.1, "note": "warm" if step < 5 else None}) + "\n"
        for step in steps
    ]


@pytest.mark.parametrize("settled", [False, True], ids=["written-right-now", "settled"])
def test_a_keras_csv_log_that_grew_is_read_on_from_its_last_line(tmp_path, settled):
    runs = tmp_path / "runs"
    log = CSVLog(runs / "exp1" / "training.log", ["epoch", "loss", "val_loss"])
    log.write(keras_rows(range(200)))
    if settled:
        age(runs)
    assert_same(read_cached(runs, tmp_path / "cache"), read_cold(runs))
    before = size(runs)
    log.write(keras_rows(range(200, 230)))
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 0 and reads.tails == [size(runs) - before]
    assert later.formats == {"exp1": ("keras_csv",)}


def test_a_lightning_metrics_csv_that_grew_is_read_on_and_its_hparams_read_again(tmp_path):
    runs = tmp_path / "lightning_logs"
    log = CSVLog(runs / "version_0" / "metrics.csv", ["epoch", "step", "train_loss", "val_loss"])
    (runs / "version_0" / "hparams.yaml").write_text("lr: 0.001\nbatch_size: 32\n")
    log.write(lightning_rows(range(300)))
    read_cached(runs, tmp_path / "cache")
    before = size(runs)
    log.write(lightning_rows(range(300, 350)))
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 0 and reads.tails == [size(runs) - before]
    assert later.hparams["version_0"] == {"lr": 0.001, "batch_size": 32}


def test_a_lightning_log_rewritten_with_a_new_column_is_read_anew(tmp_path):
    """Lightning rewrites metrics.csv whole when a metric appears: the header changed, so did its bytes."""
    runs = tmp_path / "lightning_logs"
    path = runs / "version_0" / "metrics.csv"
    log = CSVLog(path, ["epoch", "step", "train_loss"])
    log.write([row for row in lightning_rows(range(100)) if "train_loss" in row])
    read_cached(runs, tmp_path / "cache")
    log.file.close()
    log = CSVLog(path, ["epoch", "step", "train_loss", "val_loss"])
    log.write(lightning_rows(range(120)))
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 1 and reads.tails == []


def test_a_json_lines_log_that_grew_is_read_on_from_its_last_line(tmp_path):
    runs = tmp_path / "runs"
    (runs / "exp1").mkdir(parents=True)
    with open(runs / "exp1" / "metrics.jsonl", "w") as log:
        log.writelines(json_rows(range(200)))
        log.flush()
        read_cached(runs, tmp_path / "cache")
        before = size(runs)
        log.writelines(json_rows(range(200, 240)))
        log.flush()
        with watched_reads() as reads:
            later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 0 and reads.tails == [size(runs) - before]
    assert set(later.scalars["tag"].astype(str)) == {"train/loss", "lr"}


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("training.log", ["epoch,loss,val_loss\n", "0,2.0,2.5\n", "1,1.0,1.25\n", "2,0.5,0.75\n"]),
        ("metrics.jsonl", ['{"step": 0, "loss": 2.0}\n', '{"step": 1, "loss": 1.0, "acc": 0.5}\n', '{"step": 2, "loss": 0.5}\n']),
    ],
)
def test_a_half_written_last_line_is_read_once_it_is_complete(tmp_path, name, lines):
    runs = tmp_path / "runs"
    path = runs / "exp1" / name
    path.parent.mkdir(parents=True)
    text = "".join(lines)
    cut = len(text) - len(lines[-1]) + 3  # inside the first cell of the last line
    path.write_text(text[:cut])
    first = read_cached(runs, tmp_path / "cache")
    assert [f.name for f in first.findings] == ["truncated-record"]
    with open(path, "a") as log:
        log.write(text[cut:])
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert later.findings == ()
    assert reads.whole == 0 and reads.tails == [len(lines[-1])]


def test_a_csv_that_shrank_is_read_anew(tmp_path):
    runs = tmp_path / "runs"
    log = CSVLog(runs / "exp1" / "training.log", ["epoch", "loss", "val_loss"])
    log.write(keras_rows(range(100)))
    read_cached(runs, tmp_path / "cache")
    log.file.close()
    CSVLog(runs / "exp1" / "training.log", ["epoch", "loss", "val_loss"]).write(keras_rows(range(10)))
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 1


# --- any log, cut anywhere ----------------------------------------------------------------------

numbers = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.floats(allow_nan=False, width=32).map(repr),
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "n/a", "1e400", " 7 "]),
)
steps = st.one_of(*[st.integers(0, 10**6).map(str)] * 8, st.sampled_from(["", "-1", "0.5"]))
cells = {
    "step": steps,
    "time": st.sampled_from(["1.7e9", "1700000001.5", "1.7e12", "3", ""]),
    "note": st.sampled_from(["abc", "", "warm"]),
}


@st.composite
def csv_logs(draw) -> bytes:
    """A wide CSV: a header (a step column or not), rows of numbers mostly, now and then text, a row
    too long or a blank line, ``\n`` or ``\r\n`` line ends; the last line may lack its newline."""
    columns = draw(
        st.lists(st.sampled_from(["step", "loss", "val_loss", "acc", "time", "note"]), min_size=1, max_size=5, unique=True)
    )
    end = draw(st.sampled_from(["\n", "\r\n"]))
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["row"] * 30 + ["long", "blank"]))
        row = [draw(cells.get(column, numbers)) for column in columns] if kind != "blank" else []
        rows.append(",".join(row + (["0"] if kind == "long" else [])))
    text = end.join([",".join(columns), *rows])
    return (text + (end if draw(st.booleans()) else "")).encode()


@st.composite
def json_logs(draw) -> bytes:
    """JSON lines of records with a few keys of numbers mostly, now and then text, a broken or a blank line."""
    numbers = st.one_of(
        st.none(),
        st.integers(-5, 10**6),
        st.floats(width=32),
        st.dictionaries(st.sampled_from(["loss", "acc"]), st.floats(width=32), max_size=2),
    )
    values = {
        "step": st.one_of(*[st.integers(0, 10**6)] * 8, st.none(), st.just("x")),
        "note": st.one_of(st.text(max_size=3), st.booleans()),
        "_timestamp": st.sampled_from([1.7e9, 1.7e12, 5]),
    }
    keys = st.sampled_from(["step", "loss", "val/loss", "lr", "epoch", "train", "note", "_timestamp"])
    lines = []
    for _ in range(draw(st.integers(0, 20))):
        kind = draw(st.sampled_from(["record"] * 30 + ["broken", "blank"]))
        if kind == "record":
            record = {key: draw(values.get(key, numbers)) for key in draw(st.lists(keys, max_size=5, unique=True))}
            lines.append(json.dumps(record))
        else:
            lines.append("{broken" if kind == "broken" else "  ")
    text = "\n".join(lines)
    return (text + ("\n" if draw(st.booleans()) else "")).encode()


def cuts(whole: bytes) -> st.SearchStrategy[int]:
    """Anywhere in the file, and as often in its second half, where most lines were written."""
    return st.one_of(st.integers(0, len(whole)), st.integers(len(whole) // 2, len(whole)))


def assert_read_on_equals_a_whole_read(reader, path: Path, whole: bytes, cut: int) -> None:
    path.write_bytes(whole[:cut])
    earlier = reader.read(path.parent, [path])
    path.write_bytes(whole)
    expected = reader.read(path.parent, [path])
    later = reader.resume(path.parent, [path], earlier) if earlier.resume else None
    if later is None:
        return  # read anew: a problem in the lines read (a row too long, a broken record), or the new rows change their layout
    labels = {"tag": str, "source": str}
    assert later.scalars.astype(labels).equals(expected.scalars.astype(labels))
    assert later.findings == expected.findings
    assert later.hparams == expected.hparams
    if later.resume is not None and expected.resume is not None:  # both stop after the last complete line
        assert later.resume.marks == expected.resume.marks


@pytest.mark.slow
@SETTINGS
@given(csv_logs(), st.data())
def test_any_csv_read_on_from_any_cut_equals_a_whole_read(tmp_path_factory, whole, data):
    path = tmp_path_factory.mktemp("run") / "log.csv"
    assert_read_on_equals_a_whole_read(GenericCSVReader(), path, whole, data.draw(cuts(whole)))


@pytest.mark.slow
@SETTINGS
@given(json_logs(), st.data())
def test_any_json_lines_log_read_on_from_any_cut_equals_a_whole_read(tmp_path_factory, whole, data):
    path = tmp_path_factory.mktemp("run") / "log.jsonl"
    assert_read_on_equals_a_whole_read(JSONLinesReader(), path, whole, data.draw(cuts(whole)))


def test_a_value_in_a_row_without_a_step_is_named_whether_read_whole_or_read_on(tmp_path):
    """Found by the property above: a row whose step is null lost its value silently in a whole read (its
    column was no metric there) but was named when read on from a cut."""
    whole = b'{"step": 0}\n{"step": null, "loss": null, "val/loss": 0}\n{}\n{}\n{}'
    assert_read_on_equals_a_whole_read(JSONLinesReader(), tmp_path / "log.jsonl", whole, 12)
    path = tmp_path / "log.jsonl"
    path.write_bytes(whole)
    assert [f.code for f in JSONLinesReader().read(tmp_path, [path]).findings] == ["CS008"]
