"""TensorBoard reader properties: the fast decoder agrees with the protobuf one on any events,
and damaged or random bytes never raise."""

from __future__ import annotations

import io
import math
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

from curvescope.ingest.tensorboard import read_event_file
from curvescope.ingest.tensorboard.records import Buffer, frame

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

tags = st.sampled_from(["loss", "val/loss", "lr", "ä/ß/λ", "tag with spaces", "", "x" * 40])
floats = st.floats(width=32, allow_nan=True, allow_infinity=True)
steps = st.one_of(st.integers(0, 300), st.integers(0, 2**63 - 1), st.integers(-(2**63), -1))


@st.composite
def tensors(draw) -> tensor_pb2.TensorProto:
    """One-number tensors in the encodings writers use, and some that are not one number."""
    value = draw(floats)
    shape = tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=n) for n in draw(st.sampled_from([[], [], [], [1], [1, 1], [3], [0]]))]
    )
    encoding = draw(st.sampled_from(["float_val", "double_val", "content32", "content64", "half", "int", "string", "no_shape"]))
    if encoding == "float_val":
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=shape, float_val=[value])
    if encoding == "no_shape":
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value])
    if encoding == "double_val":
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=shape, double_val=[value])
    if encoding == "content32":
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=shape, tensor_content=struct.pack("<f", value))
    if encoding == "content64":
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=shape, tensor_content=struct.pack("<d", value))
    if encoding == "half":
        with np.errstate(over="ignore"):
            bits = int(np.float16(value).view(np.uint16))
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_HALF, tensor_shape=shape, half_val=[bits])
    if encoding == "int":
        integer = draw(st.integers(-(2**40), 2**40))
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_INT64, tensor_shape=shape, int64_val=[integer])
    return tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, tensor_shape=shape, string_val=[b"text"])


@st.composite
def metadata(draw) -> summary_pb2.SummaryMetadata | None:
    plugin = draw(st.sampled_from([None, "scalars", "scalars", "images", "histograms", "text", ""]))
    if plugin is None:
        return None
    classes = [summary_pb2.DATA_CLASS_UNKNOWN, summary_pb2.DATA_CLASS_SCALAR, summary_pb2.DATA_CLASS_TENSOR]
    data_class = draw(st.sampled_from(classes))
    plugin_data = summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin)
    return summary_pb2.SummaryMetadata(plugin_data=plugin_data, data_class=data_class)


@st.composite
def values(draw) -> summary_pb2.Summary.Value:
    tag = draw(tags)
    kind = draw(st.sampled_from(["simple", "simple", "tensor", "tensor", "histo", "image", "none"]))
    value = summary_pb2.Summary.Value(tag=tag)
    if kind == "simple":
        value.simple_value = draw(floats)
    elif kind == "tensor":
        value.tensor.CopyFrom(draw(tensors()))
    elif kind == "histo":
        value.histo.CopyFrom(summary_pb2.HistogramProto(min=0.0, max=1.0, num=3, bucket=[1.0, 2.0], bucket_limit=[0.5, 1.0]))
    elif kind == "image":
        value.image.CopyFrom(summary_pb2.Summary.Image(height=1, width=1, colorspace=1, encoded_image_string=b"\x89PNG"))
    meta = draw(metadata())
    if meta is not None:
        value.metadata.CopyFrom(meta)
    return value


@st.composite
def events(draw) -> event_pb2.Event:
    kind = draw(st.sampled_from(["summary"] * 6 + ["file_version", "session_log", "graph"]))
    event = event_pb2.Event(step=draw(steps))
    if draw(st.booleans()):
        event.wall_time = draw(st.floats(allow_nan=True, allow_infinity=True))
    if kind == "summary":
        event.summary.value.extend(draw(st.lists(values(), min_size=0, max_size=6)))
    elif kind == "file_version":
        event.file_version = "brain.Event:2"
    elif kind == "session_log":
        event.session_log.status = event_pb2.SessionLog.START
    else:
        event.graph_def = b"\x0a\x03abc"
    return event


def event_file(tmp_path, events) -> str:
    buffer = io.BytesIO()
    writer = RecordWriter(buffer)
    for event in events:
        writer.write(event.SerializeToString())
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(buffer.getvalue())
    return path


def assert_same_reads(path):
    fast, slow = read_event_file(path), read_event_file(path, fast=False)
    assert fast.scalars.equals(slow.scalars)  # NaN-aware, dtypes and categories included
    assert fast.findings == slow.findings
    assert fast.hparams == slow.hparams
    return fast


@SETTINGS
@given(st.lists(events(), max_size=25))
def test_fast_and_protobuf_decoders_agree(tmp_path_factory, written):
    assert_same_reads(event_file(tmp_path_factory.mktemp("events"), written))


@SETTINGS
@given(st.lists(st.tuples(tags, floats), min_size=1, max_size=300), st.integers(1, 5))
def test_many_records_agree_and_keep_every_value(tmp_path_factory, points, per_event):
    """Long runs of similar records exercise the cycle-guessing framer and multi-value summaries."""
    written = [
        event_pb2.Event(
            step=i,
            wall_time=float(i),
            summary=summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag=tag, simple_value=value) for tag, value in points[i : i + per_event]]
            ),
        )
        for i in range(0, len(points), per_event)
    ]
    result = assert_same_reads(event_file(tmp_path_factory.mktemp("events"), written))
    read = result.scalars["value"].to_numpy()
    expected = np.array([value for _, value in points], dtype=np.float32).astype(np.float64)
    assert np.array_equal(read, expected, equal_nan=True)
    assert result.scalars["tag"].astype(str).tolist() == [tag for tag, _ in points]


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("random") / "events.out.tfevents.1"
    path.write_bytes(data)
    for fast in (True, False):
        read_event_file(path, fast=fast)


@pytest.mark.slow
@SETTINGS
@given(st.lists(events(), min_size=1, max_size=10), st.data())
def test_damaged_files_never_raise_and_keep_what_is_whole(tmp_path_factory, written, data):
    path = event_file(tmp_path_factory.mktemp("damaged"), written)
    good = path.read_bytes()
    damage = data.draw(st.sampled_from(["truncate", "flip", "splice"]))
    at = data.draw(st.integers(0, len(good) - 1))
    if damage == "truncate":
        bad = good[:at]
    elif damage == "flip":
        bad = good[:at] + bytes([good[at] ^ data.draw(st.integers(1, 255))]) + good[at + 1 :]
    else:
        bad = good[:at] + data.draw(st.binary(max_size=40)) + good[at:]
    path.write_bytes(bad)
    result = read_event_file(path)
    read_event_file(path, fast=False)
    if damage == "truncate" and at > 0:
        complete = len(frame(one_file(bad))[0].starts)
        assert complete == _complete_records(good, at)
        if at not in _record_offsets(good):  # cut inside a record, not between two
            assert [f.name for f in result.findings][:1] == ["truncated-record"]


def one_file(data: bytes) -> Buffer:
    return Buffer(data, np.array([0]), np.array([0]), np.array([len(data)]), ["x"])


def _record_offsets(data: bytes) -> list[int]:
    offsets, pos = [], 0
    while pos < len(data):
        offsets.append(pos)
        pos += 16 + int.from_bytes(data[pos : pos + 8], "little")
    return offsets


def _complete_records(data: bytes, size: int) -> int:
    count, pos = 0, 0
    while pos + 16 <= size:
        pos += 16 + int.from_bytes(data[pos : pos + 8], "little")
        if pos > size:
            break
        count += 1
    return count


def test_flipping_a_data_byte_skips_exactly_that_record(tmp_path):
    written = [
        event_pb2.Event(step=i, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=i)]))
        for i in range(20)
    ]
    path = event_file(tmp_path, written)
    data = bytearray(path.read_bytes())
    data[_record_offsets(data)[7] + 12 + 3] ^= 0x40  # a data byte of record 7
    path.write_bytes(bytes(data))
    result = read_event_file(path)
    assert result.scalars["step"].tolist() == [i for i in range(20) if i != 7]
    [corrupt] = result.findings
    assert corrupt.name == "corrupt-record" and corrupt.count == 1


def test_a_corrupt_length_stops_reading_and_says_how_much_was_left(tmp_path):
    written = [
        event_pb2.Event(step=i, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=i)]))
        for i in range(20)
    ]
    path = event_file(tmp_path, written)
    data = bytearray(path.read_bytes())
    at = _record_offsets(data)[12]
    data[at] ^= 0x01  # the length of record 12
    path.write_bytes(bytes(data))
    result = read_event_file(path)
    assert result.scalars["step"].tolist() == list(range(12))
    [corrupt] = result.findings
    assert corrupt.name == "corrupt-record" and f"{len(data) - at} byte(s) left unread" in corrupt.message
    assert math.isfinite(result.scalars["value"].sum())
