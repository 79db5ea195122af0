"""TFRecord framing: event files' bytes cut into checked records, many files at once.

A record is ``uint64 length | uint32 masked CRC-32C of the 8 length bytes | data |
uint32 masked CRC-32C of data`` (little-endian). Small files are read back to back into one
buffer, large ones mapped one to a buffer; a buffer's records are found (``walk``) and
checked (``crc``) together. Problems are findings of the file they are in, never exceptions.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...findings import Finding, finding
from ..progress import Mark
from .crc import checksums, masked, masked_crc
from .walk import FRAMING, HEADER, walk_files
from .wire import reader

LFS_POINTER = b"version https://git-lfs"
MMAP_FROM = 1 << 20
"""Files this large are mapped, one to a buffer, rather than read, so their bytes are not held twice."""

_U64 = struct.Struct("<Q")

Findings = dict[int, list[Finding]]
"""Findings by the file's index in the batch."""


@dataclass
class Buffer:
    """Event files back to back in memory: the file numbered ``files[i]`` in the batch spans
    ``data[offsets[i] : offsets[i] + sizes[i]]``. A file read on from a mark starts there:
    ``skipped[i]`` bytes holding ``records_before[i]`` records were read before."""

    data: bytes | bytearray | mmap.mmap
    files: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray
    sources: list[str]
    skipped: np.ndarray | None = None
    records_before: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.skipped is None:
            self.skipped = np.zeros(len(self.files), dtype=np.int64)
        if self.records_before is None:
            self.records_before = np.zeros(len(self.files), dtype=np.int64)

    def in_file(self, file: int, at: int) -> int:
        """Where byte ``at`` of the buffer lies in file ``file`` (the buffer's numbering)."""
        return at - int(self.offsets[file]) + int(self.skipped[file])


@dataclass
class Records:
    """Checked records of a buffer: record i is ``data[starts[i] : starts[i] + lengths[i]]``,
    from the file numbered ``file[i]`` in the batch; records are in file order, then write order."""

    data: bytes | mmap.mmap
    starts: np.ndarray
    lengths: np.ndarray
    file: np.ndarray

    @property
    def u8(self) -> np.ndarray:
        """The buffer's bytes as a uint8 array (no copy)."""
        return np.frombuffer(self.data, dtype=np.uint8)

    def record(self, i: int) -> bytes:
        start = int(self.starts[i])
        return bytes(self.data[start : start + int(self.lengths[i])])


def load(paths: Sequence[Path]) -> tuple[list[Buffer], Findings]:
    """The files' bytes: small files read back to back into one buffer, each large file mapped in its own."""
    buffers: list[Buffer] = []
    findings: Findings = {}
    sizes = {index: size for index, size in enumerate(map(_size, paths)) if size is not None and size < MMAP_FROM}
    joined = bytearray(sum(sizes.values()))
    view = memoryview(joined)
    files, offsets, read, at = [], [], [], 0
    for index, path in enumerate(paths):
        if index not in sizes:
            data, problems = _load(Path(path))
            if data is None:
                findings[index] = problems
            else:
                whole = np.array([0]), np.array([len(data)])
                buffers.append(Buffer(data, np.array([index], dtype=np.int32), *whole, [str(path)]))
            continue
        try:
            with open(path, "rb") as file:
                size = file.readinto(view[at : at + sizes[index]])
        except OSError as exc:
            findings[index] = [_unopened(exc, str(path))]
            continue
        problems = _not_events(view[at : at + size], str(path))
        if problems:
            findings[index] = problems
            continue
        files.append(index)
        offsets.append(at)
        read.append(size)
        at += sizes[index]
    if files:
        sources = [str(paths[index]) for index in files]
        offsets, read = np.array(offsets, dtype=np.int64), np.array(read, dtype=np.int64)
        buffers.insert(0, Buffer(joined, np.array(files, dtype=np.int32), offsets, read, sources))
    return buffers, findings


def load_after(
    paths: Sequence[Path], marks: Sequence[Mark | None], records_before: Sequence[int]
) -> tuple[Buffer, Findings] | None:
    """The bytes of each file after its mark (of a file without one, all of them), in one buffer,
    each marked file after ``records_before`` records; None when a marked file did more than grow."""
    parts, files, offsets, skipped, before, findings = [], [], [], [], [], {}
    at = 0
    for index, (path, mark) in enumerate(zip(paths, marks)):
        if mark is None or not mark.offset:  # nothing was read from it: read it whole
            mark = None
            data, problems = _load(Path(path))
            if data is None:
                findings[index] = problems
                continue
            data = bytes(data)
        else:
            data = mark.read_on()
            if data is None:
                return None
        parts.append(data)
        files.append(index)
        offsets.append(at)
        skipped.append(0 if mark is None else mark.offset)
        before.append(0 if mark is None else records_before[index])
        at += len(data)
    sizes = np.array([len(part) for part in parts], dtype=np.int64)
    buffer = Buffer(
        b"".join(parts),
        np.array(files, dtype=np.int32),
        np.array(offsets, dtype=np.int64),
        sizes,
        [str(paths[index]) for index in files],
        np.array(skipped, dtype=np.int64),
        np.array(before, dtype=np.int64),
    )
    return buffer, findings


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return None  # opening it says why


def _load(path: Path) -> tuple[bytes | mmap.mmap | None, list[Finding]]:
    """The file's bytes (mapped when large), or ``None`` and the finding saying why not."""
    source = str(path)
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size >= MMAP_FROM:
                data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            else:
                data = file.read()
    except OSError as exc:
        return None, [_unopened(exc, source)]
    except (ValueError, OverflowError) as exc:  # mmap of a file that changed under us
        return None, [finding("unreadable-file", f"cannot map the event file: {exc}", source=source)]
    problems = _not_events(data, source)
    return (None if problems else data), problems


def _unopened(exc: OSError, source: str) -> Finding:
    reason = (exc.strerror or type(exc).__name__).lower()
    return finding("unreadable-file", f"cannot open the event file: {reason}", source=source)


def _not_events(data, source: str) -> list[Finding]:
    """Why bytes that were read cannot hold events: none at all, or a Git LFS pointer."""
    if len(data) == 0:
        return [finding("empty-file", "the event file is empty (0 bytes)", source=source)]
    if data[: len(LFS_POINTER)] == LFS_POINTER:
        return [finding("git-lfs-pointer", "the event file is a Git LFS pointer; run `git lfs pull`", source=source)]
    return []


def frame(buffer: Buffer, *, verify_crc: bool = True) -> tuple[Records, Findings]:
    """Cut each file into records; skip records whose data checksum fails, stop a file where its framing breaks."""
    u8 = np.frombuffer(buffer.data, dtype=np.uint8)
    starts, lengths, local = walk_files(u8, buffer.offsets, buffer.sizes)
    findings: Findings = {}
    starts, lengths, local = _cut_broken_framing(buffer, u8, starts, lengths, local, findings)
    if verify_crc and len(starts):
        starts, lengths, local = _skip_corrupt(buffer, u8, starts, lengths, local, findings)
    return Records(buffer.data, starts + HEADER, lengths, buffer.files[local]), findings


def _cut_broken_framing(buffer: Buffer, u8, starts, lengths, local, findings: Findings):
    """Each file's records up to the first whose length checksum fails; what is left after the last record."""
    count = np.bincount(local, minlength=len(buffer.files))
    ok = _length_checksums_ok(u8, starts, lengths)
    broken = np.zeros(len(buffer.files), dtype=bool)
    if not ok.all():
        first = np.cumsum(count) - count
        bad = np.flatnonzero(~ok)
        files, at = np.unique(local[bad], return_index=True)
        for file, record in zip(files.tolist(), bad[at].tolist()):
            before = record - int(first[file]) + int(buffer.records_before[file])
            problem = _broken_framing(
                buffer.in_file(file, int(starts[record])),
                buffer.in_file(file, _end(buffer, file)),
                buffer.sources[file],
                records_before=before,
            )
            _add(findings, buffer, file, problem)
        broken[files] = True
        count[files] = bad[at] - first[files]
        keep = np.arange(len(starts)) < (first + count)[local]
        starts, lengths, local = starts[keep], lengths[keep], local[keep]
    end = buffer.offsets.copy()
    walked = count > 0
    last = np.cumsum(count)[walked] - 1
    end[walked] = starts[last] + FRAMING + lengths[last]
    for file in np.flatnonzero(~broken & (end < buffer.offsets + buffer.sizes)).tolist():
        _add(findings, buffer, file, _tail(buffer, file, int(end[file]), records_before=int(count[file])))
    return starts, lengths, local


def _skip_corrupt(buffer: Buffer, u8, starts, lengths, local, findings: Findings):
    """The records whose data checksum matches; a finding per file for those that do not."""
    data_starts = starts + HEADER
    stored = reader(u8, "<u4")(data_starts + lengths)
    good = masked(checksums(buffer.data, data_starts, lengths)) == stored
    if good.all():
        return starts, lengths, local
    bad = np.flatnonzero(~good)
    files, at, count = np.unique(local[bad], return_index=True, return_counts=True)
    for file, record, n in zip(files.tolist(), bad[at].tolist(), count.tolist()):
        _add(
            findings,
            buffer,
            file,
            finding(
                "corrupt-record",
                f"{n} record(s) failed their data checksum and were skipped"
                f" (first at byte {buffer.in_file(file, int(starts[record]))})",
                source=buffer.sources[file],
                count=n,
            ),
        )
    return starts[good], lengths[good], local[good]


def _length_checksums_ok(u8: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Whether each record's stored length checksum matches (one CRC per distinct length)."""
    if not len(starts):
        return np.zeros(0, dtype=bool)
    codes, distinct = pd.factorize(lengths)
    expected = np.array([masked_crc(_U64.pack(int(length))) for length in distinct.tolist()], dtype=np.uint32)
    return expected[codes] == reader(u8, "<u4")(starts + 8)


def _add(findings: Findings, buffer: Buffer, file: int, problem: Finding) -> None:
    findings.setdefault(int(buffer.files[file]), []).append(problem)


def _tail(buffer: Buffer, file: int, end: int, *, records_before: int) -> Finding:
    """What the bytes after a file's last complete record are: a cut-off record or broken framing."""
    source, left = buffer.sources[file], _end(buffer, file) - end
    records_before += int(buffer.records_before[file])
    if left >= HEADER:
        header_ok = masked_crc(bytes(buffer.data[end : end + 8])) == struct.unpack_from("<I", buffer.data, end + 8)[0]
        if not header_ok:
            return _broken_framing(
                buffer.in_file(file, end), buffer.in_file(file, _end(buffer, file)), source, records_before=records_before
            )
        claimed = struct.unpack_from("<Q", buffer.data, end)[0]
        if claimed > MAX_RECORD:
            return finding(
                "corrupt-record",
                f"the record at byte {buffer.in_file(file, end)} claims {claimed} bytes of data, more than any event"
                f" can hold, so the records after it cannot be found: {left} byte(s) left unread;"
                f" {records_before} complete record(s) were read",
                source=source,
                count=1,
            )
    return finding(
        "truncated-record",
        f"the last record (at byte {buffer.in_file(file, end)}) is cut off after {left} of its bytes;"
        f" {records_before} complete record(s) were read",
        source=source,
        count=1,
    )


MAX_RECORD = 2**31 - 1
"""The longest data a record can hold: an event is one protobuf message, and those stay under 2 GiB.
A longer length (with a valid checksum) is damage, never a record cut off by a crash."""


def _end(buffer: Buffer, file: int) -> int:
    return int(buffer.offsets[file] + buffer.sizes[file])


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
