"""Event files still being written are read on from where the cached read stopped, and the
result equals a cold read of the whole folder."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.summary.writer.record_writer import RecordWriter
from tensorboardX import SummaryWriter

from curvescope.assemble.read import cache_key
from curvescope.ingest import readers
from curvescope.ingest.discover import discover
from curvescope.ingest.tensorboard import TensorBoardReader, read_event_file
from curvescope.scale.cache import CacheLocation
from tests.cache.reading import age, assert_same, read_cached, read_cold, size, watched_reads
from tests.ingest.test_tensorboard_properties import events

READER = TensorBoardReader()


def write_steps(writer: SummaryWriter, steps: range, tags=("train/loss", "val/loss", "lr"), scale: float = 1.0) -> None:
    for step in steps:
        for number, tag in enumerate(tags):
            writer.add_scalar(tag, scale / (step + number + 1), step)


def flushed(folder: Path, points: int, *writers: SummaryWriter) -> None:
    """Wait until ``points`` scalars of whole records are in ``folder``'s event files: a writer's own
    flush does not wait for the events its thread has queued."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for writer in writers:
            writer.flush()
        reads = [read_event_file(path) for path in folder.glob("*tfevents*")]
        cut = any(item.name == "truncated-record" for read in reads for item in read.findings)
        if sum(len(read.scalars) for read in reads) == points and not cut:
            return
        time.sleep(0.02)
    raise AssertionError(f"the writer did not write {points} points in time")


def stored_identities(runs: Path, cache: Path) -> list:
    """The identity each run's scalars were stored with."""
    store = CacheLocation(cache).open()
    try:
        return [
            identity
            for identity, _ in store.get_many(
                "scalars", [cache_key(source) for source in discover(runs, readers()).sources]
            ).values()
        ]
    finally:
        store.close()


@pytest.fixture
def runs(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.mark.parametrize("settled", [False, True], ids=["written-right-now", "settled"])
def test_an_event_file_that_grew_is_read_on_from_where_the_cached_read_stopped(runs, tmp_path, settled):
    writer = SummaryWriter(str(runs / "exp1"))
    write_steps(writer, range(300))
    flushed(runs / "exp1", 900, writer)
    if settled:
        age(runs)
    assert_same(read_cached(runs, tmp_path / "cache"), read_cold(runs))
    assert [identity[0] == "unsettled" for identity in stored_identities(runs, tmp_path / "cache")] == [not settled]
    before = size(runs)

    write_steps(writer, range(300, 320))
    flushed(runs / "exp1", 960, writer)
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 0
    assert reads.tails == [size(runs) - before]
    writer.close()


def test_an_unchanged_run_is_taken_from_the_cache_without_reading_its_files(runs, tmp_path):
    writer = SummaryWriter(str(runs / "exp1"))
    write_steps(writer, range(50))
    flushed(runs / "exp1", 150, writer)
    writer.close()
    age(runs)
    first = read_cached(runs, tmp_path / "cache")
    with watched_reads() as reads:
        again = read_cached(runs, tmp_path / "cache")
    assert_same(again, first)
    assert reads == type(reads)()


def test_a_restart_is_read_whole_while_the_older_file_is_read_on(runs, tmp_path):
    first = SummaryWriter(str(runs / "exp1"))
    write_steps(first, range(100))
    flushed(runs / "exp1", 300, first)
    read_cached(runs, tmp_path / "cache")
    (older,) = (runs / "exp1").glob("*tfevents*")
    before = older.stat().st_size

    write_steps(first, range(100, 110))  # the old writer still flushing its last steps
    restart = SummaryWriter(str(runs / "exp1"), filename_suffix=".restart")
    write_steps(restart, range(105, 130), scale=2.0)  # the restart writes steps 105-109 again: the newest write wins
    flushed(runs / "exp1", 330 + 75, first, restart)
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 0 and reads.tails == [older.stat().st_size - before]
    assert any(f.name == "restarted-log" for f in later.findings)  # steps went back: a resume, purged as TensorBoard does
    first.close()
    restart.close()


def test_keras_splits_that_both_grew_keep_each_files_rows_together(runs, tmp_path):
    train, validation = SummaryWriter(str(runs / "exp1" / "train")), SummaryWriter(str(runs / "exp1" / "validation"))
    for writer, folder in ((train, "train"), (validation, "validation")):
        write_steps(writer, range(40), tags=("epoch_loss",))
        flushed(runs / "exp1" / folder, 40, writer)
    read_cached(runs, tmp_path / "cache")
    for writer, folder in ((train, "train"), (validation, "validation")):
        write_steps(writer, range(40, 60), tags=("epoch_loss",))
        flushed(runs / "exp1" / folder, 60, writer)
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 0 and len(reads.tails) == 2
    assert set(later.scalars["tag"].astype(str)) == {"train/epoch_loss", "validation/epoch_loss"}
    train.close()
    validation.close()


# --- tensor scalars: a tag's plugin metadata comes with its first value only ---------------------


def tensor_event(step: int, tag: str, value: float, *, metadata: bool) -> event_pb2.Event:
    """A TF2-style scalar: a one-number tensor, with the ``scalars`` plugin metadata when asked."""
    summary_value = summary_pb2.Summary.Value(tag=tag)
    summary_value.tensor.dtype = 1  # DT_FLOAT
    summary_value.tensor.float_val.append(value)
    if metadata:
        summary_value.metadata.plugin_data.plugin_name = "scalars"
    return event_pb2.Event(step=step, wall_time=1_700_000_000.0 + step, summary=summary_pb2.Summary(value=[summary_value]))


def write_events(writer: EventFileWriter, written: list[event_pb2.Event]) -> None:
    for event in written:
        writer.add_event(event)
    writer.flush()  # TensorBoard's writer waits for its queue to be written


def test_tensor_scalars_marked_by_their_first_value_only_stay_scalars_when_read_on(runs, tmp_path):
    writer = EventFileWriter(str(runs / "exp1"))
    write_events(writer, [tensor_event(step, "loss", 2.0 - step / 100, metadata=step == 0) for step in range(50)])
    assert len(read_cached(runs, tmp_path / "cache").scalars) == 50
    write_events(writer, [tensor_event(step, "loss", 2.0 - step / 100, metadata=False) for step in range(50, 80)])
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert len(later.scalars) == 80 and reads.whole == 0
    writer.close()


def test_metadata_that_comes_after_a_tags_first_values_makes_the_run_read_anew(runs, tmp_path):
    """TensorBoard applies a tag's first metadata to all its values, even those written before it."""
    writer = EventFileWriter(str(runs / "exp1"))
    write_events(
        writer,
        [tensor_event(step, "loss", 1.0, metadata=False) for step in range(20)] + [tensor_event(0, "lr", 0.1, metadata=True)],
    )
    assert set(read_cached(runs, tmp_path / "cache").scalars["tag"].astype(str)) == {"lr"}
    write_events(writer, [tensor_event(step, "loss", 1.0, metadata=True) for step in range(20, 30)])
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert (later.scalars["tag"] == "loss").sum() == 30
    assert reads.whole == 1
    writer.close()


# --- files that did more than grow, and records cut off mid-write ------------------------------


def event_bytes(folder: Path, steps: range, scale: float = 1.0) -> bytes:
    """An event file as tensorboardX writes it (in ``folder``), as bytes."""
    writer = SummaryWriter(str(folder))
    for step in steps:
        writer.add_scalar("loss", scale / (step + 1), step)
    writer.close()
    data = next(folder.glob("*tfevents*")).read_bytes()
    shutil.rmtree(folder)
    return data


def test_a_record_cut_off_mid_write_is_read_once_it_is_complete(runs, tmp_path):
    data = event_bytes(tmp_path / "written", range(100))
    path = runs / "exp1" / "events.out.tfevents.1700000000.host"
    path.parent.mkdir(parents=True)
    cut = len(data) - 30  # inside the last record
    path.write_bytes(data[:cut])
    first = read_cached(runs, tmp_path / "cache")
    assert [f.name for f in first.findings] == ["truncated-record"]
    with open(path, "ab") as file:
        file.write(data[cut:])
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert later.findings == () and len(later.scalars) == 100
    assert reads.whole == 0 and sum(reads.tails) < 100


@pytest.mark.parametrize("change", ["replaced by a larger file", "shrank"])
def test_a_file_that_did_more_than_grow_is_read_anew(runs, tmp_path, change):
    path = runs / "exp1" / "events.out.tfevents.1700000000.host"
    path.parent.mkdir(parents=True)
    path.write_bytes(event_bytes(tmp_path / "written", range(100)))
    read_cached(runs, tmp_path / "cache")
    if change == "shrank":
        path.write_bytes(event_bytes(tmp_path / "written", range(60)))
    else:
        path.write_bytes(event_bytes(tmp_path / "written", range(120), scale=3.0))
    with watched_reads() as reads:
        later = read_cached(runs, tmp_path / "cache")
    assert_same(later, read_cold(runs))
    assert reads.whole == 1 and reads.tails == []


# --- any file, cut anywhere ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), max_size=20), st.data())
def test_any_event_file_read_on_from_any_cut_equals_a_whole_read(tmp_path_factory, written, data):
    buffer = io.BytesIO()
    record_writer = RecordWriter(buffer)
    for event in written:
        record_writer.write(event.SerializeToString())
    whole = buffer.getvalue()
    cut = data.draw(st.integers(0, len(whole)))
    path = tmp_path_factory.mktemp("run") / "events.out.tfevents.1"
    path.write_bytes(whole[:cut])
    earlier = read_event_file(path)
    path.write_bytes(whole)
    expected = read_event_file(path)
    later = READER.resume(path.parent, [path], earlier) if earlier.resume else None
    if later is None:
        return  # the earlier read could not be read on (a problem in the file, or a tag's metadata changed)
    assert later.scalars.astype({"tag": str, "source": str}).equals(expected.scalars.astype({"tag": str, "source": str}))
    assert later.findings == expected.findings
    assert later.hparams == expected.hparams
    assert later.resume == expected.resume


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.floats(width=32)), min_size=1, max_size=60), st.data())
def test_plain_scalars_are_always_read_on(tmp_path_factory, points, data):
    buffer = io.BytesIO()
    record_writer = RecordWriter(buffer)
    for step, value in points:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=value)])
        record_writer.write(event_pb2.Event(step=step, wall_time=float(step), summary=summary).SerializeToString())
    whole = buffer.getvalue()
    cut = data.draw(st.integers(1, len(whole)))
    path = tmp_path_factory.mktemp("run") / "events.out.tfevents.1"
    path.write_bytes(whole[:cut])
    earlier = read_event_file(path)
    path.write_bytes(whole)
    later = READER.resume(path.parent, [path], earlier)
    assert later is not None
    assert later.scalars.astype({"tag": str}).equals(read_event_file(path).scalars.astype({"tag": str}))
