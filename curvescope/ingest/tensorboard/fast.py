"""The fast decoder: Event protos read straight from the wire format with numpy.

Records in large groups of one layout are read at fixed offsets (``layout``); the others are
walked. Levels are walked one after another, each for all messages at once: the Event fields of
every record, then the k-th value of every summary, then each value's fields. Tags and
metadata repeat, so each distinct byte string is decoded once. Scalar tensors are matched
against the encodings TensorFlow, PyTorch and TensorBoard write. A record holding anything
else (a session log, an hparams summary, a tensor of another encoding, a field written
twice) goes to the protobuf decoder, which gives the same answer, only slower.
"""

from __future__ import annotations

import numpy as np

from . import layout, slow
from .layout import SCALAR_TENSORS
from .records import Records
from .values import NOT_NUMBER, NUMBER, SIMPLE, Metadata, Values, merge
from .wire import FIXED32, FIXED64, LENGTH, VARINT, Walk, distinct_strings, first_word, key, reader

CHUNK = 1 << 16
"""Records decoded together: bounds the working memory whatever the file's size, and keeps
the passes over their bytes in cache."""

# Event: 1 wall_time, 2 step, 5 summary; 3, 4, 6, 8, 9 are the other kinds of event, 10 is
# the writer's name. A session log (7) goes to the protobuf decoder.
_WALL_TIME, _STEP, _SUMMARY = key(1, FIXED64), key(2, VARINT), key(5, LENGTH)
_OTHER_KINDS_OF_EVENT = [key(field, LENGTH) for field in (3, 4, 6, 8, 9)]
_EVENT_KEYS = [_WALL_TIME, _STEP, _SUMMARY, key(10, LENGTH), *_OTHER_KINDS_OF_EVENT]
_OTHER_KIND_BITS = sum(1 << field for field in (3, 4, 6, 7, 8, 9))

_SUMMARY_VALUE = key(1, LENGTH)

# Summary.Value: 1 tag, 2 simple_value, 8 tensor, 9 metadata; 3-6 are histograms, images
# and audio (skipped). 7 (node_name, a fallback tag) goes to the protobuf decoder.
_TAG, _SIMPLE_VALUE, _TENSOR, _METADATA = key(1, LENGTH), key(2, FIXED32), key(8, LENGTH), key(9, LENGTH)
_VALUE_KEYS = [_TAG, _SIMPLE_VALUE, _TENSOR, _METADATA, *(key(field, LENGTH) for field in (3, 4, 5, 6))]
_ONE_OF_BITS = sum(1 << field for field in (2, 3, 4, 5, 6, 8))

_STRING_TENSOR = bytes([0x08, 0x07])
"""dtype DT_STRING first: an image, text or audio tensor, never a number."""


def _table(keys) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[keys] = True
    return table


_EVENT_KEY_OK = _table(_EVENT_KEYS)
_VALUE_KEY_OK = _table(_VALUE_KEYS)


def decode(records: Records) -> Values:
    """The values of every record, :data:`CHUNK` records at a time: large groups of one layout
    read at fixed offsets, the other records walked field by field."""
    chunks = []
    for lo in range(0, len(records.starts), CHUNK):
        grouped, rest = layout.decode(records, lo, min(lo + CHUNK, len(records.starts)))
        chunks.append(merge([*grouped, _decode_chunk(records, rest)] if len(rest) else grouped))
    return merge(chunks)


def _decode_chunk(records: Records, chosen: np.ndarray) -> Values:
    u8 = records.u8
    begin = records.starts[chosen]
    end = begin + records.lengths[chosen]
    protobuf = np.zeros(len(chosen), dtype=bool)  # records left to the protobuf decoder

    events = _Events(u8, begin, end, protobuf)
    values = _SummaryValues(u8, events, protobuf)
    fields = _ValueFields(u8, values, protobuf)
    number, kind = _tensor_numbers(u8, fields, values, protobuf)
    scalar_metadata = _metadata_kinds(u8, fields, values, protobuf)
    tag_codes, tags = _tags(u8, fields, values, protobuf)

    is_row = (fields.simple_at >= 0) | (fields.tensor_at >= 0)
    keep = ~protobuf[values.record]
    rows = np.flatnonzero(keep & is_row)
    record = values.record[rows]
    simple = fields.simple_at[rows] >= 0
    number = number[rows]
    number[simple] = reader(u8, "<f4")(fields.simple_at[rows][simple])
    kind = kind[rows]
    kind[simple] = SIMPLE

    with_metadata = np.flatnonzero(keep & (fields.meta_at >= 0))
    file = records.file[chosen[values.record[with_metadata]]]
    _, first = np.unique(file * len(tags) + tag_codes[with_metadata], return_index=True)
    first_in_file = with_metadata[first]

    fast = Values(
        tags=tags,
        tag=tag_codes[rows].astype(np.int32),
        step=events.step[record],
        wall_time=events.wall_time(record),
        value=number,
        kind=kind,
        record=chosen[record],
        metadata=Metadata(
            tag_codes[first_in_file].astype(np.int32), chosen[values.record[first_in_file]], scalar_metadata[first_in_file]
        ),
    )
    odd = np.flatnonzero(protobuf)
    if not odd.size:
        return fast
    return merge([fast, slow.decode(records, chosen[odd])])


class _Events:
    """Per record: wall time position, step and summary span."""

    def __init__(self, u8: np.ndarray, begin: np.ndarray, end: np.ndarray, protobuf: np.ndarray):
        self.u8 = u8
        fields = _Fields(Walk(u8, begin, end), len(begin), [_WALL_TIME, _STEP, _SUMMARY], _EVENT_KEY_OK)
        self.wall_at, self.step = fields.at[0], fields.value[1]
        self.summary_at, self.summary_length = fields.at[2], fields.value[2]
        protobuf |= fields.odd
        protobuf |= (self.summary_at >= 0) & ((fields.seen & _OTHER_KIND_BITS) != 0)

    def wall_time(self, record: np.ndarray) -> np.ndarray:
        at = self.wall_at[record]
        present = at >= 0
        wall = np.zeros(len(record), dtype=np.float64)
        wall[present] = reader(self.u8, "<f8")(at[present])
        return wall


class _SummaryValues:
    """Every summary value's span and record, in write order."""

    def __init__(self, u8: np.ndarray, events: _Events, protobuf: np.ndarray):
        holders = np.flatnonzero((events.summary_at >= 0) & ~protobuf)
        at = events.summary_at[holders]
        walk = Walk(u8, at, at + events.summary_length[holders])
        rounds = []
        for fields in walk:
            good = fields.key == _SUMMARY_VALUE
            protobuf[holders[fields.owner[~good]]] = True
            rounds.append((holders[fields.owner[good]], fields.at[good], fields.value[good]))
        protobuf[holders[walk.broken_messages()]] = True
        if len(rounds) <= 1:
            self.record, self.begin, length = rounds[0] if rounds else (np.zeros(0, dtype=np.int64),) * 3
            self.end = self.begin + length
            return
        # Round k holds the k-th value of each summary: place each value after its record's earlier ones.
        per_record = np.bincount(np.concatenate([r[0] for r in rounds]), minlength=len(protobuf))
        offset = np.cumsum(per_record) - per_record
        total = int(per_record.sum())
        self.record = np.empty(total, dtype=np.int64)
        self.begin = np.empty(total, dtype=np.int64)
        self.end = np.empty(total, dtype=np.int64)
        for k, (record, begin, length) in enumerate(rounds):
            slot = offset[record] + k
            self.record[slot] = record
            self.begin[slot] = begin
            self.end[slot] = begin + length


class _ValueFields:
    """Per summary value: where its tag, simple value, tensor and metadata are."""

    def __init__(self, u8: np.ndarray, values: _SummaryValues, protobuf: np.ndarray):
        wanted = [_TAG, _SIMPLE_VALUE, _TENSOR, _METADATA]
        fields = _Fields(Walk(u8, values.begin, values.end), len(values.begin), wanted, _VALUE_KEY_OK)
        self.tag_at, self.tag_length = np.maximum(fields.at[0], 0), fields.value[0]
        self.simple_at = fields.at[1]
        self.tensor_at, self.tensor_length = fields.at[2], fields.value[2]
        self.meta_at, self.meta_length = fields.at[3], fields.value[3]
        one_of = fields.seen & _ONE_OF_BITS
        odd = fields.odd | ((one_of & (one_of - 1)) != 0)
        protobuf[values.record[odd]] = True


class _Fields:
    """For each of ``count`` messages: where each wanted field is (-1 if absent) and its value (or
    length); ``odd`` marks messages holding a field twice, a key not ``allowed``, or broken bytes."""

    def __init__(self, walk: Walk, count: int, wanted: list[int], allowed: np.ndarray):
        slot = np.full(256, len(wanted), dtype=np.intp)  # the last row takes the fields not wanted
        slot[wanted] = np.arange(len(wanted))
        self.at = np.full((len(wanted) + 1, count), -1, dtype=np.int64)
        self.value = np.zeros((len(wanted) + 1, count), dtype=np.int64)
        self.seen = np.zeros(count, dtype=np.int64)
        self.odd = np.zeros(count, dtype=bool)
        for fields in walk:
            owner, keys = fields.owner, fields.key
            bit = np.left_shift(1, keys >> 3, dtype=np.int64)
            before = self.seen[owner]
            self.odd[owner[((before & bit) != 0) | ~allowed[keys]]] = True
            self.seen[owner] = before | bit
            row = slot[keys]
            self.at[row, owner] = fields.at
            self.value[row, owner] = fields.value
        self.odd[walk.broken_messages()] = True


def _tensor_numbers(u8, fields: _ValueFields, values: _SummaryValues, protobuf) -> tuple[np.ndarray, np.ndarray]:
    """Each value's number (NaN if none) and kind, from the scalar tensor encodings."""
    count = len(fields.tensor_at)
    number = np.full(count, np.nan, dtype=np.float64)
    kind = np.full(count, NOT_NUMBER, dtype=np.int8)
    tensors = np.flatnonzero(fields.tensor_at >= 0)
    if not tensors.size:
        return number, kind
    at, length = fields.tensor_at[tensors], fields.tensor_length[tensors]
    head = _head(u8, at, length)
    known = np.zeros(len(tensors), dtype=bool)
    for prefix, dtype in SCALAR_TENSORS.items():
        match = (length == len(prefix) + np.dtype(dtype).itemsize) & (_masked(head, len(prefix)) == _word(prefix))
        number[tensors[match]] = reader(u8, dtype)(at[match] + len(prefix))
        kind[tensors[match]] = NUMBER
        known |= match
    known |= (length >= len(_STRING_TENSOR)) & (_masked(head, len(_STRING_TENSOR)) == _word(_STRING_TENSOR))
    protobuf[values.record[tensors[~known]]] = True
    return number, kind


def _metadata_kinds(u8, fields: _ValueFields, values: _SummaryValues, protobuf) -> np.ndarray:
    """Whether each value's metadata marks a scalar; metadata is parsed once per distinct bytes."""
    scalar = np.zeros(len(fields.meta_at), dtype=bool)
    with_metadata = np.flatnonzero(fields.meta_at >= 0)
    if not with_metadata.size:
        return scalar
    codes, blobs = distinct_strings(u8, fields.meta_at[with_metadata], fields.meta_length[with_metadata])
    kinds = np.array([slow.metadata_kind(blob) for blob in blobs], dtype=np.int8)
    scalar[with_metadata] = kinds[codes] == slow.SCALAR_METADATA
    unusual = kinds[codes] < 0
    unusual |= kinds[codes] == slow.HPARAMS_METADATA
    protobuf[values.record[with_metadata[unusual]]] = True
    return scalar


def _tags(u8, fields: _ValueFields, values: _SummaryValues, protobuf) -> tuple[np.ndarray, list[str]]:
    """A code per value into the list of distinct tags (decoded once each)."""
    codes, raw = distinct_strings(u8, fields.tag_at, fields.tag_length)
    tags = []
    for code, tag in enumerate(raw):
        try:
            tags.append(tag.decode("utf-8"))
        except UnicodeDecodeError:  # protobuf rejects such an event: let it say so
            protobuf[values.record[codes == code]] = True
            tags.append("")
    return codes, tags


def _head(u8: np.ndarray, at: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The first (up to) eight bytes at each position, zero past ``length``, as little-endian words."""
    return first_word(u8, at, np.minimum(length, 8))


def _masked(word: np.ndarray, width: int) -> np.ndarray:
    return word & np.uint64((1 << (8 * width)) - 1)


def _word(prefix: bytes) -> np.uint64:
    return np.uint64(int.from_bytes(prefix, "little"))
