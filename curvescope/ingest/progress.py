"""Where a read of growing logs stopped, so that the next read starts there (see ``base.Resumable``).

A run still training appends to its logs. A ``Mark`` keeps, per file, the offset where reading
stopped (the end of its last complete record or line), the file's size then, and the
``sampled_digest`` of the bytes before the offset. A file no smaller than it was whose sampled
bytes there are unchanged has only grown: its first ``offset`` bytes were read already, and
only the rest needs reading. Any other change seen (a file that shrank, was replaced, or was
rewritten where the digest samples) is read anew.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

EDGE = 64 * 1024
"""Bytes at each end of a file's sampled part that its digest covers."""

INNER_BLOCKS, INNER_BLOCK = 6, 4096
"""Blocks evenly spread between the two ends that the digest covers too."""


@dataclass(frozen=True)
class Mark:
    """A file's path (as given), where reading stopped, its size then, and the digest of its windows."""

    path: str
    offset: int
    size: int
    digest: bytes

    @classmethod
    def of(cls, path: os.PathLike[str] | str, offset: int, size: int, data: Any = None) -> Mark:
        """The mark of a file read up to ``offset``; ``data``: its bytes from the start, when at hand."""
        if data is None:
            with open(path, "rb") as file:
                return cls(str(path), offset, size, sampled_digest(file, offset))
        return cls(str(path), offset, size, _digest(offset, (data[start : start + length] for start, length in _blocks(offset))))

    def read_on(self) -> bytes | None:
        """The bytes after ``offset``, or None when the file did more than grow (or cannot be read)."""
        try:
            with open(self.path, "rb") as file:
                if os.fstat(file.fileno()).st_size < self.size or sampled_digest(file, self.offset) != self.digest:
                    return None
                file.seek(self.offset)
                return file.read()
        except OSError:
            return None


@dataclass(frozen=True)
class Progress:
    """Where a read of a run stopped in each of its files, and what its reader needs to read on.

    ``marks`` also tell which read a ``state`` belongs to: a state is only used with the scalars
    read up to the same marks."""

    marks: tuple[Mark, ...]
    state: Any = None

    def without_state(self) -> Progress:
        return Progress(self.marks)


def sampled_digest(file: BinaryIO, end: int) -> bytes:
    """A digest of an open file's first ``end`` bytes, from samples of them: the first and last
    ``EDGE`` bytes and ``INNER_BLOCKS`` blocks evenly spread between (all of them, up to 152 KiB).
    At most 152 KiB are read, whatever the file's size: a change elsewhere goes unseen."""
    descriptor = file.fileno()
    return _digest(end, (os.pread(descriptor, length, start) for start, length in _blocks(end)))


def _blocks(end: int) -> list[tuple[int, int]]:
    """Where the samples of the first ``end`` bytes lie: ``(start, length)`` each."""
    sampled = 2 * EDGE + INNER_BLOCKS * INNER_BLOCK
    if end <= sampled:
        return [(0, end)]
    step = (end - 2 * EDGE - INNER_BLOCK) // (INNER_BLOCKS - 1)
    return [(0, EDGE), *((EDGE + i * step, INNER_BLOCK) for i in range(INNER_BLOCKS)), (end - EDGE, EDGE)]


def _digest(end: int, blocks: Iterable[bytes]) -> bytes:
    digest = hashlib.blake2b(end.to_bytes(8, "little"), digest_size=16)
    for block in blocks:
        digest.update(block)
    return digest.digest()
