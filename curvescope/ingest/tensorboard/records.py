"""TFRecord framing: an event file's bytes cut into checked records.

A record is ``uint64 length | uint32 masked CRC-32C of the 8 length bytes | data |
uint32 masked CRC-32C of data`` (little-endian). Walking the file is a tight loop over
lengths (each record's position depends on the previous one); the data checksums are one
C call per record, the length checksums one per distinct length.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import crc32c
import numpy as np
import pandas as pd

from ...findings import Finding, finding

HEADER = 12
"""Length (8 bytes) and its checksum (4 bytes)."""
FOOTER = 4
"""The data checksum."""
LFS_POINTER = b"version https://git-lfs"
MMAP_FROM = 1 << 20
"""Files this large are mapped rather than read, so their bytes are not held twice."""

_U64 = struct.Struct("<Q")
_MASK_DELTA = 0xA282EAD8


@dataclass
class Records:
    """The checked records of one file: ``data[starts[i] : starts[i] + lengths[i]]`` is record i."""

    data: bytes | mmap.mmap
    starts: np.ndarray
    lengths: np.ndarray
    findings: list[Finding] = field(default_factory=list)

    @property
    def u8(self) -> np.ndarray:
        """The file's bytes as a uint8 array (no copy)."""
        return np.frombuffer(self.data, dtype=np.uint8)

    def record(self, i: int) -> bytes:
        start = int(self.starts[i])
        return bytes(self.data[start : start + int(self.lengths[i])])


def read_records(path: Path, *, verify_crc: bool = True) -> Records:
    """The records of the event file at ``path``; any problem is a finding, never an exception."""
    source = str(path)
    data, problems = load(path)
    if data is None:
        return Records(b"", _EMPTY, _EMPTY, problems)
    return frame_records(data, source=source, verify_crc=verify_crc)


def load(path: Path) -> tuple[bytes | mmap.mmap | None, list[Finding]]:
    """The file's bytes (mapped when large), or ``None`` and the finding saying why not."""
    source = str(path)
    try:
        with open(path, "rb") as file:
            size = _size(file)
            if size >= MMAP_FROM:
                data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            else:
                data = file.read()
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        return None, [finding("unreadable-file", f"cannot open the event file: {reason}", source=source)]
    except (ValueError, OverflowError) as exc:  # mmap of a file that changed under us
        return None, [finding("unreadable-file", f"cannot map the event file: {exc}", source=source)]
    if len(data) == 0:
        return None, [finding("empty-file", "the event file is empty (0 bytes)", source=source)]
    if data[: len(LFS_POINTER)] == LFS_POINTER:
        return None, [
            finding("git-lfs-pointer", "the event file is a Git LFS pointer; run `git lfs pull`", source=source)
        ]
    return data, []


def frame_records(data: bytes | mmap.mmap, *, source: str, verify_crc: bool = True) -> Records:
    """Cut ``data`` into records; skip records whose data checksum fails, stop where framing breaks."""
    size = len(data)
    u8 = np.frombuffer(data, dtype=np.uint8)
    starts, lengths = _walk(u8)
    end = int(starts[-1] + HEADER + FOOTER + lengths[-1]) if len(starts) else 0
    findings: list[Finding] = []

    bad_header = np.flatnonzero(~_length_checksums_ok(u8, starts, lengths))
    if bad_header.size:
        first = int(bad_header[0])
        findings.append(_broken_framing(int(starts[first]), size, source, records_before=first))
        starts, lengths = starts[:first], lengths[:first]
    elif end < size:
        findings.append(_tail(data, end, size, source, records_before=len(starts)))

    if verify_crc and len(starts):
        good = _data_checksums_ok(data, u8, starts, lengths)
        if not good.all():
            bad = np.flatnonzero(~good)
            findings.append(
                finding(
                    "corrupt-record",
                    f"{bad.size} record(s) failed their data checksum and were skipped"
                    f" (first at byte {int(starts[bad[0]])})",
                    source=source,
                    count=int(bad.size),
                )
            )
            starts, lengths = starts[good], lengths[good]
    return Records(data, starts + HEADER, lengths, findings)


def _walk(u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and data length of every record that fits in the file, in order.

    Each record's start depends on the previous record's length, so the walk is sequential.
    Event files repeat a few record lengths in a cycle (one per tag), so the walk guesses
    that the last cycle of lengths goes on, checks a whole block of guessed starts at once,
    and keeps the guesses up to the first wrong one. Where no cycle shows, it steps through
    records one by one until one does.
    """
    size = len(u8)
    lengths_at = _reader(u8, "<u8")
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    recent: list[int] = []
    pos = 0
    block = _FIRST_BLOCK
    while pos + HEADER + FOOTER <= size:
        cycle = _cycle(recent)
        if cycle is None:
            step_starts, step_lengths = _step(lengths_at, pos, size, _STEPS)
            if not step_starts:
                break
            starts.append(np.array(step_starts, dtype=np.int64))
            lengths.append(np.array(step_lengths, dtype=np.int64))
            recent = (recent + step_lengths)[-2 * _MAX_CYCLE :]
            pos = step_starts[-1] + HEADER + FOOTER + step_lengths[-1]
            if len(step_starts) < _STEPS:
                break
            continue
        guessed = np.tile(np.asarray(cycle, dtype=np.int64), -(-block // len(cycle)))[:block]
        guessed_starts = np.empty(block, dtype=np.int64)
        guessed_starts[0] = pos
        np.cumsum(guessed[:-1] + (HEADER + FOOTER), out=guessed_starts[1:])
        guessed_starts[1:] += pos
        inside = guessed_starts + HEADER <= size
        actual = lengths_at(guessed_starts[inside]).astype(np.int64)
        wrong = np.flatnonzero(actual != guessed[: len(actual)])
        kept = int(wrong[0]) + 1 if wrong.size else len(actual)
        kept_starts, kept_lengths = guessed_starts[:kept], actual[:kept]
        fits = kept_starts + (HEADER + FOOTER) + kept_lengths <= size
        if not fits.all():
            kept = int(np.argmin(fits))
            kept_starts, kept_lengths = kept_starts[:kept], kept_lengths[:kept]
        if kept == 0:
            break
        starts.append(kept_starts)
        lengths.append(kept_lengths)
        pos = int(kept_starts[-1] + HEADER + FOOTER + kept_lengths[-1])
        recent = kept_lengths[-2 * _MAX_CYCLE :].tolist() if kept >= 2 * _MAX_CYCLE else (recent + kept_lengths.tolist())[-2 * _MAX_CYCLE :]
        block = min(block * 4, _MAX_BLOCK) if kept == block else _FIRST_BLOCK
        if kept < len(guessed_starts) and not wrong.size:
            break  # the file ends inside the next record
    if not starts:
        return _EMPTY, _EMPTY
    return np.concatenate(starts), np.concatenate(lengths)


_MAX_CYCLE = 64
_STEPS = 8
"""Records stepped through before looking for a cycle again."""
_FIRST_BLOCK = 256
_MAX_BLOCK = 1 << 16


def _cycle(recent: list[int]) -> list[int] | None:
    """The shortest cycle the recent record lengths repeat (seen twice), if any."""
    for period in range(1, len(recent) // 2 + 1):
        if recent[-period:] == recent[-2 * period : -period]:
            return recent[-period:]
    return None


def _step(lengths_at, pos: int, size: int, count: int) -> tuple[list[int], list[int]]:
    """Up to ``count`` records from ``pos``, one by one."""
    starts: list[int] = []
    lengths: list[int] = []
    while len(starts) < count and pos + HEADER + FOOTER <= size:
        length = int(lengths_at(pos))
        if pos + HEADER + FOOTER + length > size:
            break
        starts.append(pos)
        lengths.append(length)
        pos += HEADER + FOOTER + length
    return starts, lengths


def _length_checksums_ok(u8: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Whether each record's stored length checksum matches (one CRC per distinct length)."""
    if not len(starts):
        return np.zeros(0, dtype=bool)
    codes, distinct = pd.factorize(lengths)
    expected = np.array([masked_crc(_U64.pack(int(length))) for length in distinct], dtype=np.uint32)
    return expected[codes] == _reader(u8, "<u4")(starts + 8)


def _data_checksums_ok(data, u8: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Whether each record's data checksum matches (one C call per record, in chunks)."""
    ok = np.empty(len(starts), dtype=bool)
    stored_at = _reader(u8, "<u4")
    for lo in range(0, len(starts), _CRC_CHUNK):
        data_starts = starts[lo : lo + _CRC_CHUNK] + HEADER
        data_ends = data_starts + lengths[lo : lo + _CRC_CHUNK]
        slices = map(slice, data_starts.tolist(), data_ends.tolist())
        crcs = np.fromiter(map(crc32c.crc32c, map(data.__getitem__, slices)), dtype=np.uint32, count=len(data_starts))
        ok[lo : lo + _CRC_CHUNK] = masked(crcs) == stored_at(data_ends)
    return ok


_CRC_CHUNK = 1 << 16


def _tail(data, end: int, size: int, source: str, *, records_before: int) -> Finding:
    """What the bytes after the last complete record are: a cut-off record or broken framing."""
    left = size - end
    if left >= HEADER:
        header_ok = masked_crc(bytes(data[end : end + 8])) == struct.unpack_from("<I", data, end + 8)[0]
        if not header_ok:
            return _broken_framing(end, size, source, records_before=records_before)
    return finding(
        "truncated-record",
        f"the last record (at byte {end}) is cut off after {left} of its bytes;"
        f" {records_before} complete record(s) were read",
        source=source,
        count=1,
    )


def _broken_framing(offset: int, size: int, source: str, *, records_before: int) -> Finding:
    if records_before == 0:
        return finding(
            "unreadable-file",
            "not a TensorFlow event file: the first record's length header fails its checksum",
            source=source,
        )
    return finding(
        "corrupt-record",
        f"the record length header at byte {offset} fails its checksum, so the records after it"
        f" cannot be found: {size - offset} byte(s) left unread",
        source=source,
        count=1,
    )


def masked_crc(data: bytes) -> int:
    """The masked CRC-32C TFRecord stores."""
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked(crc: np.ndarray) -> np.ndarray:
    """TFRecord's CRC mask, for an array of CRCs."""
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


def _crc32c_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0x82F63B78), table >> 1).astype(np.uint32)
    return table


_TABLE = _crc32c_table()
_EMPTY = np.zeros(0, dtype=np.int64)


def crc32c_of_8(u8: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """CRC-32C of the 8 bytes at each of ``starts``, all at once (byte-wise table lookup)."""
    crc = np.full(len(starts), 0xFFFFFFFF, dtype=np.uint32)
    for k in range(8):
        crc = _TABLE[(crc ^ u8[starts + k]) & np.uint32(0xFF)] ^ (crc >> np.uint32(8))
    return crc ^ np.uint32(0xFFFFFFFF)


def _reader(u8: np.ndarray, dtype: str):
    """A function reading little-endian integers of ``dtype`` at any (unaligned) byte positions."""
    width = np.dtype(dtype).itemsize
    view = np.ndarray((max(len(u8) - width + 1, 0),), dtype=dtype, buffer=u8, strides=(1,))
    return view.__getitem__


def _size(file) -> int:
    return os.fstat(file.fileno()).st_size
