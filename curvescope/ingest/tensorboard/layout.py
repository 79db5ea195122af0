"""Records that repeat one layout, read at the offsets where the first of them holds its values.

Event files repeat a few record layouts: one per tag (or set of tags) and kind of value.
Records of equal length whose bytes differ from their group's first record only inside its
values (wall time, step, numbers, tag text) share that record's layout, so their values are
read at the same offsets: a few numpy passes per group instead of a walk over every field.
The first record's layout is parsed in Python; a group of one length but several layouts is
split by the bytes where they differ. A layout this module does not know (anything but tagged
numbers with scalar or other-plugin metadata) leaves the group to the field walker (``fast``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import slow
from .records import Records
from .values import NUMBER, SIMPLE, Metadata, Values
from .wire import distinct_strings, first_of_each, reader

GROUP_FROM = 256
"""Smaller groups are left to the field walker, whose cost is shared by all its records."""
LONGEST = 1024
"""Longer records (images, histograms) are never plain scalar events; nor are records shorter
than 8 bytes, which also could not be compared a word at a time."""

SCALAR_TENSORS = {
    bytes([0x08, 0x01, 0x12, 0x00, 0x22, 0x04]): "<f4",
    bytes([0x08, 0x01, 0x12, 0x00, 0x2A, 0x04]): "<f4",
    bytes([0x08, 0x02, 0x12, 0x00, 0x22, 0x08]): "<f8",
    bytes([0x08, 0x02, 0x12, 0x00, 0x32, 0x08]): "<f8",
    bytes([0x08, 0x01, 0x22, 0x04]): "<f4",
    bytes([0x08, 0x01, 0x2A, 0x04]): "<f4",
    bytes([0x08, 0x02, 0x22, 0x08]): "<f8",
    bytes([0x08, 0x02, 0x32, 0x08]): "<f8",
}
"""The encodings of a one-number TensorProto writers use (dtype, an empty shape or none, the
value as float_val, double_val or tensor_content): the bytes before the value, and its type."""
_MAX_STEP_WIDTH = 9
"""Varints up to nine bytes hold every step from 0 to 2**63 - 1; negative steps take ten."""


@dataclass
class _Number:
    tag_at: int
    tag_length: int
    at: int
    dtype: str
    kind: int
    scalar_metadata: bool | None
    """What the value's metadata (the same bytes in every record of the group) marks; None without."""


@dataclass
class _Layout:
    """Offsets in a record of its wall time, step varint (offset, width) and numbers."""

    wall_at: int | None
    step: tuple[int, int] | None
    numbers: list[_Number]

    def free(self, length: int) -> np.ndarray:
        """Which bytes may differ between records of this layout: the values themselves."""
        free = np.zeros(length, dtype=bool)
        if self.wall_at is not None:
            free[self.wall_at : self.wall_at + 8] = True
        if self.step is not None:
            free[self.step[0] : self.step[0] + self.step[1]] = True
        for number in self.numbers:
            free[number.tag_at : number.tag_at + number.tag_length] = True
            free[number.at : number.at + np.dtype(number.dtype).itemsize] = True
        return free


def decode(records: Records, lo: int, hi: int) -> tuple[list[Values], np.ndarray]:
    """The values of records ``lo`` to ``hi`` that are in large groups of one layout (a table per
    group), and the indices of the others.

    Records are grouped by length; the records of a length that share its first record's
    layout are read, and the others try again with their own first record.
    """
    u8 = records.u8
    parts: list[Values] = []
    rest = np.ones(hi - lo, dtype=bool)
    codes, lengths = pd.factorize(records.lengths[lo:hi])
    count = np.bincount(codes, minlength=len(lengths))
    for code in np.flatnonzero((count >= GROUP_FROM) & (lengths >= 8) & (lengths <= LONGEST)).tolist():
        group, length = np.flatnonzero(codes == code) + lo, int(lengths[code])
        for _ in range(_LAYOUTS_PER_LENGTH):
            layout = _layout(records.record(int(group[0])))
            free = layout.free(length) if layout is not None and layout.numbers else np.zeros(length, dtype=bool)
            alike = _alike(u8, records.starts[group], length, ~free)
            if free.any():
                read = _read(records, group[alike], layout)
                if read is not None:
                    parts.append(read)
                    rest[read.record - lo] = False
            group = group[~alike]
            if len(group) < GROUP_FROM:
                break
    return parts, np.flatnonzero(rest) + lo


_LAYOUTS_PER_LENGTH = 16
"""Layouts tried per record length (one per tag and kind of value, usually a handful)."""


def _alike(u8: np.ndarray, starts: np.ndarray, length: int, fixed: np.ndarray) -> np.ndarray:
    """Which records have the first one's bytes wherever ``fixed`` is true."""
    alike = np.ones(len(starts), dtype=bool)
    words = reader(u8, "<u8")
    for at in range(0, length, 8):
        at = min(at, length - 8)
        mask = int.from_bytes(bytes(0xFF if is_fixed else 0 for is_fixed in fixed[at : at + 8].tolist()), "little")
        if mask:
            word = words(starts + at)
            alike &= ((word ^ word[0]) & np.uint64(mask)) == 0
    return alike


def _read(records: Records, group: np.ndarray, layout: _Layout) -> Values | None:
    """The values of records of one layout (None if a tag is not UTF-8: the walker reports it)."""
    u8 = records.u8
    starts = records.starts[group]
    step = np.zeros(len(group), dtype=np.int64)
    if layout.step is not None:
        step, ok = _steps(u8, starts + layout.step[0], layout.step[1])
        if not ok.all():
            group, starts, step = group[ok], starts[ok], step[ok]
    if not len(group):
        return None
    wall = reader(u8, "<f8")(starts + layout.wall_at) if layout.wall_at is not None else np.zeros(len(group))
    tags: dict[str, int] = {}
    columns: list[tuple[np.ndarray, ...]] = []
    metadata: list[tuple[np.ndarray, ...]] = []
    for number in layout.numbers:
        codes, raw = distinct_strings(u8, starts + number.tag_at, np.full(len(group), number.tag_length))
        try:
            remap = np.array([tags.setdefault(tag.decode("utf-8"), len(tags)) for tag in raw], dtype=np.int32)
        except UnicodeDecodeError:
            return None
        value = reader(u8, number.dtype)(starts + number.at).astype(np.float64)
        columns.append((remap[codes], value, np.full(len(group), number.kind, dtype=np.int8)))
        if number.scalar_metadata is not None:  # each tag's first in each file is enough
            first = first_of_each(pd.factorize(records.file[group] * np.int64(len(raw)) + codes)[0])
            metadata.append((remap[codes[first]], group[first], np.full(len(first), number.scalar_metadata)))
    per_record = len(columns)

    def interleaved(index: int) -> np.ndarray:
        if per_record == 1:
            return columns[0][index]
        return np.stack([column[index] for column in columns], axis=1).reshape(-1)

    def repeated(array: np.ndarray) -> np.ndarray:
        return array if per_record == 1 else np.repeat(array, per_record)

    return Values(
        tags=list(tags),
        tag=interleaved(0),
        step=repeated(step),
        wall_time=repeated(wall),
        value=interleaved(1),
        kind=interleaved(2),
        record=repeated(group),
        metadata=Metadata(*(np.concatenate(column) for column in zip(*metadata))) if metadata else Metadata.empty(),
    )


def _steps(u8: np.ndarray, at: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Varints of ``width`` bytes at ``at``, and whether each is one (continuation bits as in the first)."""
    value = np.zeros(len(at), dtype=np.uint64)
    ok = np.ones(len(at), dtype=bool)
    for byte in range(width):
        bits = u8[at + byte]
        ok &= (bits >= 0x80) if byte < width - 1 else (bits < 0x80)
        value |= (bits & 0x7F).astype(np.uint64) << np.uint64(7 * byte)
    return value.view(np.int64), ok


def _layout(record: bytes) -> _Layout | None:
    """The layout of one plain scalar event (wall time, step, summary of tagged numbers), or None."""
    event = _fields(record, 0, len(record))
    if event is None or set(event) - {0x09, 0x10, 0x2A} or 0x2A not in event:
        return None
    wall_at = event[0x09][0] if 0x09 in event else None
    step = None
    if 0x10 in event:
        at, end = event[0x10]
        if end - at > _MAX_STEP_WIDTH:
            return None
        step = (at, end - at)
    numbers = []
    pos, stop = event[0x2A]
    while pos < stop:
        if record[pos] != 0x0A:
            return None
        length, at = _varint(record, pos + 1)
        if length is None or at + length > stop:
            return None
        number = _number(record, at, at + length)
        if number is None:
            return None
        numbers.append(number)
        pos = at + length
    return _Layout(wall_at, step, numbers)


def _number(record: bytes, begin: int, end: int) -> _Number | None:
    """A summary value holding a tag, a simple value or one-number tensor, and metadata, nothing else."""
    fields = _fields(record, begin, end)
    if fields is None or set(fields) - {0x0A, 0x15, 0x42, 0x4A} or len(set(fields) & {0x15, 0x42}) != 1:
        return None
    tag_at, tag_end = fields.get(0x0A, (begin, begin))
    scalar_metadata = None
    if 0x4A in fields:
        kind = slow.metadata_kind(record[slice(*fields[0x4A])])
        if kind not in (slow.SCALAR_METADATA, slow.OTHER_METADATA):
            return None
        scalar_metadata = kind == slow.SCALAR_METADATA
    if 0x15 in fields:
        return _Number(tag_at, tag_end - tag_at, fields[0x15][0], "<f4", SIMPLE, scalar_metadata)
    at, tensor_end = fields[0x42]
    for prefix, dtype in SCALAR_TENSORS.items():
        if record[at : at + len(prefix)] == prefix and tensor_end - at == len(prefix) + np.dtype(dtype).itemsize:
            return _Number(tag_at, tag_end - tag_at, at + len(prefix), dtype, NUMBER, scalar_metadata)
    return None


def _fields(record: bytes, pos: int, stop: int) -> dict[int, tuple[int, int]] | None:
    """Each field's payload span by key (varints: the varint's span), or None if a key repeats or breaks."""
    fields: dict[int, tuple[int, int]] = {}
    while pos < stop:
        key = record[pos]
        if key in fields or key >= 0x80:
            return None
        wire_type = key & 7
        if wire_type == 0:
            _, end = _varint(record, pos + 1)
            span = (pos + 1, end)
        elif wire_type == 1:
            span = (pos + 1, pos + 9)
        elif wire_type == 5:
            span = (pos + 1, pos + 5)
        elif wire_type == 2:
            length, at = _varint(record, pos + 1)
            span = (at, at + length) if length is not None else (stop + 1, stop + 1)
        else:
            return None
        if span[1] > stop:
            return None
        fields[key] = span
        pos = span[1]
    return fields


def _varint(record: bytes, pos: int) -> tuple[int | None, int]:
    """The varint at ``pos`` and where it ends; None if it runs off the record or past ten bytes."""
    value = 0
    for width in range(10):
        if pos + width >= len(record):
            return None, len(record) + 1
        byte = record[pos + width]
        value |= (byte & 0x7F) << (7 * width)
        if byte < 0x80:
            return value, pos + width + 1
    return None, len(record) + 1
