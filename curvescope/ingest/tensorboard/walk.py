"""Finding the records of event files: where each starts and how long its data is.

Each record's start depends on the previous record's length, so a file is walked record by
record. Many small files are walked in lockstep: each step reads the next length of every
file still going, so the steps number the records of the longest file, not of all files.
When few files are left, each goes on alone, guessing that its last cycle of record lengths
repeats (event files write one record per tag and step, in a fixed order).
"""

from __future__ import annotations

import numpy as np

from .wire import reader

HEADER = 12
"""Length (8 bytes) and its checksum (4 bytes)."""
FOOTER = 4
"""The data checksum."""
FRAMING = HEADER + FOOTER
LOCKSTEP_MIN_FILES = 32
"""Fewer files than this go on one by one: a lockstep step costs about as much as a few
dozen records of one file walked alone."""


def walk_files(u8: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, data length and file of every record that fits in its file, by file, then by position.

    File i spans ``u8[offsets[i] : offsets[i] + sizes[i]]``.
    """
    lengths_at = reader(u8, "<u8")
    last = len(u8) - 8
    files = np.arange(len(offsets))
    pos = offsets.astype(np.int64)
    last_start = pos + sizes - FRAMING  # the last place a record (of empty data) may start
    steps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    while len(files) >= LOCKSTEP_MIN_FILES and last >= 0:
        length = lengths_at(np.minimum(pos, last)).view(np.int64)
        fits = (length >= 0) & (length <= last_start - pos)
        if not fits.all():
            files, pos, length, last_start = files[fits], pos[fits], length[fits], last_start[fits]
        steps.append((files, pos, length))
        pos = pos + FRAMING + length
    alone = []
    for file, start, stop in zip(files.tolist(), pos.tolist(), (last_start + FRAMING).tolist()):
        starts, lengths = cycle_walk(u8[start:stop])
        alone.append((np.full(len(starts), file, dtype=np.int32), starts + start, lengths))
    file, start, length = _in_file_order(steps, alone, len(offsets)) if steps else _joined(alone)
    return start, length, file


def _in_file_order(steps, alone, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """File, start and length of the records found in lockstep (step k holds the k-th record of
    each file still going) and then alone, ordered by file, then by position."""
    stepped = _joined([(files.astype(np.int32), pos, length) for files, pos, length in steps])
    rank = [np.repeat(np.arange(len(steps)), [len(step[0]) for step in steps])]
    done = np.bincount(stepped[0], minlength=count)
    rank += [done[file[0]] + np.arange(len(file)) for file, _, _ in alone if len(file)]
    file, start, length = _joined([stepped, *alone])
    total = np.bincount(file, minlength=count)
    slot = (np.cumsum(total) - total)[file] + np.concatenate(rank)
    order = np.empty_like(slot)
    order[slot] = np.arange(len(slot))
    return file[order], start[order], length[order]


def _joined(parts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """File, start and length columns of ``parts`` (each a tuple of the three), one after another."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype=np.int32), _EMPTY, _EMPTY
    file, start, length = (np.concatenate(column) for column in zip(*parts))
    return file, start, length


def cycle_walk(u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and data length of every record that fits in one file's bytes, in order.

    The walk guesses that the last cycle of lengths goes on, checks a whole block of
    guessed starts at once, and keeps the guesses up to the first wrong one. Where no
    cycle shows, it steps through records one by one until one does.
    """
    size = len(u8)
    lengths_at = reader(u8, "<u8")
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    recent: list[int] = []
    pos = 0
    block = _FIRST_BLOCK
    while pos + FRAMING <= size:
        cycle = _cycle(recent)
        if cycle is None:
            step_starts, step_lengths = _step(lengths_at, pos, size, _STEPS)
            if not step_starts:
                break
            starts.append(np.array(step_starts, dtype=np.int64))
            lengths.append(np.array(step_lengths, dtype=np.int64))
            recent = (recent + step_lengths)[-2 * _MAX_CYCLE :]
            pos = step_starts[-1] + FRAMING + step_lengths[-1]
            if len(step_starts) < _STEPS:
                break
            continue
        guessed = np.tile(np.asarray(cycle, dtype=np.int64), -(-block // len(cycle)))[:block]
        guessed_starts = np.empty(block, dtype=np.int64)
        guessed_starts[0] = pos
        np.cumsum(guessed[:-1] + FRAMING, out=guessed_starts[1:])
        guessed_starts[1:] += pos
        inside = guessed_starts + HEADER <= size
        actual = lengths_at(guessed_starts[inside]).astype(np.int64)
        wrong = np.flatnonzero(actual != guessed[: len(actual)])
        kept = int(wrong[0]) + 1 if wrong.size else len(actual)
        kept_starts, kept_lengths = guessed_starts[:kept], actual[:kept]
        fits = (kept_lengths >= 0) & (kept_lengths <= size - FRAMING - kept_starts)  # never overflows, whatever a length says
        if not fits.all():
            kept = int(np.argmin(fits))
            kept_starts, kept_lengths = kept_starts[:kept], kept_lengths[:kept]
        if kept == 0:
            break
        starts.append(kept_starts)
        lengths.append(kept_lengths)
        pos = int(kept_starts[-1] + FRAMING + kept_lengths[-1])
        recent = (recent + kept_lengths[-2 * _MAX_CYCLE :].tolist())[-2 * _MAX_CYCLE :]
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
_EMPTY = np.zeros(0, dtype=np.int64)


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
    while len(starts) < count and pos + FRAMING <= size:
        length = int(lengths_at(pos))
        if pos + FRAMING + length > size:
            break
        starts.append(pos)
        lengths.append(length)
        pos += FRAMING + length
    return starts, lengths
