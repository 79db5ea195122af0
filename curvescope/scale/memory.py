"""Give freed memory back to the operating system between the stages of a big read.

glibc keeps freed heap memory mapped (its mmap threshold grows after large frees), so a
process that decoded a huge event file would keep its peak footprint for good. Trimming
after each batch of runs keeps the footprint close to what is actually held. Elsewhere
(musl, macOS, Windows) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc.malloc_trim if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Return the allocator's free memory to the system, where the C library allows it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
