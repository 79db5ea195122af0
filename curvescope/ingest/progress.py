"""Where a read of growing logs stopped, so that the next read starts there (see ``base.Resumable``).

A run still training appends to its logs. A ``Mark`` keeps, per file, the offset where reading
stopped (the end of its last complete record or line), the file's size then, and a digest of
its first and last few KiB before the offset. A file no smaller than it was whose bytes there
are unchanged has only grown: its first ``offset`` bytes were read already, and only the rest
needs reading. Any other change (a file that shrank or was replaced) is read anew.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

WINDOW = 4096
"""Bytes at the start of a file and just before its mark that must be unchanged to read on."""


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
                return cls(str(path), offset, size, _digest(*_windows(file, offset)))
        return cls(str(path), offset, size, _digest(data[: min(WINDOW, offset)], data[max(0, offset - WINDOW) : offset]))

    def read_on(self) -> bytes | None:
        """The bytes after ``offset``, or None when the file did more than grow (or cannot be read)."""
        try:
            with open(self.path, "rb") as file:
                if os.fstat(file.fileno()).st_size < self.size or _digest(*_windows(file, self.offset)) != self.digest:
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


def _windows(file, offset: int) -> tuple[bytes, bytes]:
    head = file.read(min(WINDOW, offset))
    file.seek(max(0, offset - WINDOW))
    return head, file.read(min(WINDOW, offset))


def _digest(head, window) -> bytes:
    digest = hashlib.sha256(head)
    digest.update(window)
    return digest.digest()[:16]
