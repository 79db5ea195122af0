"""TensorBoard batch reading: many runs in one pass read exactly as each run read alone,
and checksums computed by table equal the C library's."""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import crc32c
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

from curvescope.ingest.base import BatchReader
from curvescope.ingest.tensorboard import TensorBoardReader, crc, layout, read_event_file, walk
from curvescope.ingest.tensorboard.records import Buffer, frame
from tests.conftest import FIXTURES
from tests.ingest.test_tensorboard_properties import assert_same_reads, event_file, events, floats, steps, tags, tensors

TB = FIXTURES / "tensorboard"
READER = TensorBoardReader()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def lockstep_from(files: int):
    """Walk batches of at least ``files`` files in lockstep (the default needs dozens of files)."""
    with mock.patch.object(walk, "LOCKSTEP_MIN_FILES", files):
        yield


# --- checksums by table -----------------------------------------------------------------------


@pytest.mark.slow
@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 12), st.randoms()), min_size=1, max_size=6))
def test_table_checksums_equal_the_c_library(groups):
    """Records of equal length get their CRC from the first one's and per-position tables."""
    records = [bytes(rng.getrandbits(8) for _ in range(length)) for length, count, rng in groups for _ in range(count)]
    data = b"".join(records)
    lengths = np.array([len(record) for record in records], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    with mock.patch.object(crc, "TABLE_FROM", 2):
        got = crc.checksums(data, starts, lengths)
    assert got.tolist() == [crc32c.crc32c(record) for record in records]


@pytest.mark.parametrize("length", [8, 9, 15, 16, 17, 63, 300, crc.TABLE_LIMIT])
def test_a_crc_is_the_zero_string_crc_plus_a_table_entry_per_byte(length):
    rng = np.random.default_rng(length)
    data = rng.integers(0, 256, length, dtype=np.uint8)
    tables = crc._zero_tables(length)
    linear = np.bitwise_xor.reduce(tables[length - 1 - np.arange(length), data])
    assert crc32c.crc32c(data.tobytes()) == crc32c.crc32c(bytes(length)) ^ int(linear)


# --- a batch reads as its runs one by one -----------------------------------------------------


def event_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*tfevents*"))


FIXTURE_RUNS = [
    TB / "tf1",
    TB / "tf2",
    TB / "keras_run",
    TB / "restarted",
    TB / "corrupt" / "empty",
    TB / "lightning_logs" / "version_0",
    TB / "corrupt" / "truncated",
    TB / "tensorboardx" / "hparams",
    TB / "corrupt" / "lfs",
    TB / "corrupt" / "flipped",
    TB / "nonfinite",
    TB / "corrupt" / "not_events",
    TB / "pytorch_new_style",
    TB / "tensorboardx",
]


def assert_parts_read_as_runs(runs, batch, read_one=READER.read):
    assert batch.scalars["part"].dtype == np.int32
    assert len(batch.findings) == len(batch.hparams) == len(runs)
    for part, (run_path, files) in enumerate(runs):
        alone = read_one(run_path, files)
        rows = batch.scalars[batch.scalars["part"] == part]
        for column in ("tag", "source"):
            assert rows[column].astype(str).tolist() == alone.scalars[column].astype(str).tolist()
        for column in ("step", "wall_time", "value"):
            assert np.array_equal(rows[column].to_numpy(), alone.scalars[column].to_numpy(), equal_nan=True)
        assert batch.findings[part] == alone.findings
        assert batch.hparams[part] == alone.hparams


@pytest.mark.parametrize("lockstep", [1, walk.LOCKSTEP_MIN_FILES])
def test_a_batch_of_fixture_runs_reads_as_each_run_alone(lockstep):
    runs = [(folder, event_files(folder)) for folder in FIXTURE_RUNS]
    runs[-1] = (TB / "tensorboardx", runs[-1][1][:1])  # the folder's own file; its sub-runs are runs of their own
    with lockstep_from(lockstep):
        batch = READER.read_batch(runs)
    assert isinstance(READER, BatchReader)
    assert batch.scalars["part"].is_monotonic_increasing
    assert list(batch.scalars.columns) == ["tag", "step", "wall_time", "value", "source", "part"]
    assert_parts_read_as_runs(runs, batch)
    keras = [i for i, (folder, _) in enumerate(runs) if folder.name == "keras_run"][0]
    assert "validation/epoch_loss" in set(batch.scalars[batch.scalars["part"] == keras]["tag"])


def test_an_empty_batch_and_runs_without_files():
    assert len(READER.read_batch([]).scalars) == 0
    batch = READER.read_batch([(TB / "tf1", []), (TB / "tf2", event_files(TB / "tf2"))])
    assert batch.findings[0] == [] and set(batch.scalars["part"]) == {1}


# --- damaged files in a batch -----------------------------------------------------------------


def write_events(steps: int, tag: str = "loss") -> bytes:
    buffer = io.BytesIO()
    writer = RecordWriter(buffer)
    for step in range(steps):
        value = summary_pb2.Summary.Value(tag=tag, simple_value=step / 7)
        event = event_pb2.Event(step=step, wall_time=1e9 + step, summary=summary_pb2.Summary(value=[value]))
        writer.write(event.SerializeToString())
    return buffer.getvalue()


def damaged(data: bytes, how: str) -> bytes:
    offsets, pos = [], 0
    while pos < len(data):
        offsets.append(pos)
        pos += 16 + int.from_bytes(data[pos : pos + 8], "little")
    if how == "truncated":
        return data[: offsets[-1] + 20]
    at = offsets[len(offsets) // 2] + (0 if how == "length" else 14)  # a length byte, or a data byte
    return data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :]


def test_a_damaged_file_does_not_disturb_the_others_in_its_batch(tmp_path):
    runs = []
    for i, how in enumerate(["ok"] * 20 + ["truncated", "flipped", "length"] + ["ok"] * 20):
        run = tmp_path / f"run_{i:02d}"
        run.mkdir()
        data = write_events(10 + 7 * i, tag=f"loss_{i % 3}")
        path = run / f"events.out.tfevents.{i}"
        path.write_bytes(data if how == "ok" else damaged(data, how))
        runs.append((run, [path]))
    batch = READER.read_batch(runs)
    assert_parts_read_as_runs(runs, batch)
    for part, how in ((20, "truncated-record"), (21, "corrupt-record"), (22, "corrupt-record")):
        assert [f.name for f in batch.findings[part]] == [how]
    for part in (*range(20), *range(23, 43)):
        steps = batch.scalars[batch.scalars["part"] == part]["step"].tolist()
        assert steps == list(range(10 + 7 * part)) and batch.findings[part] == []


DAMAGE = ["ok", "cut", "flip", "splice"]


@pytest.mark.slow
@SETTINGS
@given(st.lists(st.tuples(st.lists(events(), max_size=12), st.sampled_from(DAMAGE), st.randoms()), min_size=1, max_size=8))
def test_lockstep_framing_finds_what_each_file_framed_alone_finds(files):
    contents = []
    for written, how, rng in files:
        buffer = io.BytesIO()
        writer = RecordWriter(buffer)
        for event in written:
            writer.write(event.SerializeToString())
        data = buffer.getvalue()
        at = rng.randrange(len(data) + 1)
        if how == "cut":
            data = data[:at]
        elif how == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ rng.randrange(1, 256)]) + data[at + 1 :]
        elif how == "splice":
            data = data[:at] + rng.randbytes(rng.randrange(40)) + data[at:]
        contents.append(data)
    sizes = np.array([len(data) for data in contents], dtype=np.int64)
    names = [f"f{i}" for i in range(len(contents))]
    together = Buffer(b"".join(contents), np.arange(len(contents)), np.cumsum(sizes) - sizes, sizes, names)
    with lockstep_from(1):
        records, findings = frame(together)
    for i, data in enumerate(contents):
        alone, alone_findings = frame(Buffer(data, np.array([i]), np.zeros(1, dtype=np.int64), sizes[i : i + 1], [f"f{i}"]))
        mine = records.file == i
        assert (records.starts[mine] - together.offsets[i]).tolist() == alone.starts.tolist()
        assert records.lengths[mine].tolist() == alone.lengths.tolist()
        assert findings.get(i, []) == alone_findings.get(i, [])


def test_read_event_file_reads_one_file_as_a_batch_of_one():
    path = event_files(TB / "tf1")[0]
    result = read_event_file(path)
    assert "part" not in result.scalars.columns and len(result.scalars) == 20


# --- records of one layout --------------------------------------------------------------------


@st.composite
def scalar_events(draw) -> event_pb2.Event:
    """Plain scalar events, the kind grouped by layout, with now and then something else."""
    if draw(st.integers(0, 9)) == 0:
        return draw(events())
    event = event_pb2.Event(step=draw(steps), wall_time=draw(st.floats(allow_nan=True, allow_infinity=True)))
    for _ in range(draw(st.integers(1, 3))):
        value = summary_pb2.Summary.Value(tag=draw(tags))
        if draw(st.booleans()):
            value.simple_value = draw(floats)
        else:
            value.tensor.CopyFrom(draw(tensors()))
        if draw(st.booleans()):
            plugin = draw(st.sampled_from(["scalars", "images", "hparams"]))
            value.metadata.plugin_data.plugin_name = plugin
        event.summary.value.append(value)
    return event


@SETTINGS
@given(st.lists(scalar_events(), min_size=1, max_size=40))
def test_records_read_by_layout_agree_with_the_protobuf_decoder(tmp_path_factory, written):
    with mock.patch.object(layout, "GROUP_FROM", 2):
        assert_same_reads(event_file(tmp_path_factory.mktemp("layout"), written))


def test_a_run_of_plain_scalar_events_is_read_by_layout(tmp_path):
    written = [
        event_pb2.Event(
            step=step,
            wall_time=1e9 + step,
            summary=summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag=tag, simple_value=step / 3) for tag in ("loss", "lr!")]
            ),
        )
        for step in range(10, 100)
    ]
    path = event_file(tmp_path, written)
    records, _ = frame(Buffer(path.read_bytes(), np.array([0]), np.array([0]), np.array([path.stat().st_size]), ["x"]))
    with mock.patch.object(layout, "GROUP_FROM", 2):
        grouped, rest = layout.decode(records, 0, len(records.starts))
        assert sum(map(len, grouped)) == 180 and rest.size == 0
        assert_same_reads(path)
