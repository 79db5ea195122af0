"""Line logs (CSV, JSON lines) read on after their last complete line.

A line log's rows become points by a ``Layout`` decided from the ``Tally`` of all its rows:
the step column, the wall-time column, which columns are metrics. Reading on, the tally of the
lines read before and of those written since gives the layout; when it lays the earlier rows
out as before, the new rows' points follow the earlier ones, else the file is read anew.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..findings import Finding, finding
from ..schema import appended, empty_reader_frame
from ..text import shown
from .base import RunRead
from .progress import Mark, Progress
from .separators import separator
from .tables import (
    Layout,
    Table,
    Tally,
    csv_bytes,
    joined,
    melt,
    read_csv_rows,
    read_csv_rows_after,
    wide_layout,
)

LayoutOf = Callable[[Tally], tuple[Layout | None, list[Finding]]]
"""How the rows of a tally become points (None: they become none), and the findings that tells."""


@dataclass(frozen=True)
class LinesProgress:
    """What reading on in a line log needs besides its mark: the complete lines read, the points
    their rows gave, the tally of those rows, the layout of their points (None: no row held a
    cell), and a CSV's separator."""

    lines: int
    points: int
    tally: Tally
    layout: Layout | None
    sep: str | None = None


def read_lines(
    path: Path,
    data: bytes,
    table: Table,
    findings: list[Finding],
    layout_of: LayoutOf,
    *,
    sep: str | None = None,
    start: int = 0,
    earlier: LinesProgress | None = None,
    points: pd.DataFrame | None = None,
) -> RunRead | None:
    """The points of a line log, and where reading it stopped: ``table`` holds the rows of ``data``,
    its bytes from byte ``start`` on (``findings``: what parsing them met); ``points`` are those of
    the ``earlier`` lines. None when the new rows change how the earlier ones are laid out."""
    source = str(path)
    before = earlier or LinesProgress(0, 0, Tally.of(Table.empty(table.columns)), None, sep)
    tally = before.tally.then(Tally.of(table))
    if tally is None:
        return None
    layout, decided = layout_of(tally)
    if before.layout is not None and (layout is None or not layout.extends(before.layout)):
        return None
    table = table.aligned(tally.columns)
    frame, more = melt(table, source, layout, before.tally.rows) if layout else (empty_reader_frame(), [])
    read = _Read(table, tally, layout, len(frame), more)
    if before.points:
        frame = appended(points.iloc[: before.points], frame)
    progress = _progress(path, data, start, before, read, findings, sep)
    return RunRead(frame, [*findings, *decided, *more], resume=progress)


@dataclass
class _Read:
    """The new rows of a line log, the tally of all rows, their layout, and the points and
    findings it gave the new rows."""

    table: Table
    tally: Tally
    layout: Layout | None
    points: int
    findings: list[Finding]


def _progress(
    path: Path, data: bytes, start: int, before: LinesProgress, read: _Read, findings: list[Finding], sep: str | None
) -> Progress | None:
    """Where reading stopped: after the last complete line. None when the lines read cannot be
    read on from: a problem other than a cut-off last line (``findings``: what parsing met), or
    no complete line yet."""
    end = data.rfind(b"\n") + 1
    if not start + end or any(item.name != "truncated-record" for item in findings):
        return None
    lines = before.lines + data.count(b"\n", 0, end)
    tally, points, problems = read.tally, read.points, read.findings
    if len(read.table.lines) and read.table.lines[-1] > lines:  # the last line, whole but unended
        complete = read.table.where(read.table.lines <= lines)
        tally = before.tally.then(Tally.of(complete))
        if read.layout is not None:
            complete_points, problems = melt(complete, str(path), read.layout, before.tally.rows)
            points = len(complete_points)
    if problems or tally is None or (read.layout is None and tally.written.any()):
        return None
    mark = Mark.of(path, start + end, start + len(data), None if start else data)
    layout = read.layout if tally.written.any() else None  # rows without a cell are laid out by any layout
    state = LinesProgress(lines, before.points + points, tally, layout, sep)
    return Progress((mark,), (state,))


def resume_each(resume_one, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
    """A run of line logs read on where ``earlier`` stopped: each file by
    ``resume_one(path, mark, state, points)``, ``points`` being its earlier ones (None when one
    cannot be read on, and then the whole run is read anew)."""
    progress = earlier.resume
    if progress is None or [mark.path for mark in progress.marks] != [str(path) for path in files]:
        return None
    parts = []
    for path, mark, state in zip(files, progress.marks, progress.state):
        points = earlier.scalars if len(files) == 1 else earlier.scalars[earlier.scalars["source"] == shown(str(path))]
        part = resume_one(path, mark, state, points)
        if part is None:
            return None
        parts.append(part)
    return joined(parts)


def read_wide(path: Path, step_column: str | None) -> RunRead:
    """Read a wide CSV whose step is ``step_column`` (found by name when None), noting where reading stopped."""
    data, findings = csv_bytes(path)
    if data is None:
        return RunRead(findings=findings)
    header = separator(data)
    sep = header.sep
    table, findings = read_csv_rows(path, sep, data)
    if header.doubt:
        findings.append(finding("unparseable-cells", header.doubt, source=str(path)))
    if table is None:
        return RunRead(findings=findings)
    result = read_lines(path, data, table, findings, _wide_layout_of(path, step_column), sep=sep)
    return _plain_rows(result, data, 0, sep, len(table.columns))


def resume_wide(path: Path, mark: Mark, state: LinesProgress, points: pd.DataFrame, *, step_column: str | None) -> RunRead | None:
    """``read_wide`` read on after ``mark``: only the lines written since are parsed."""
    data = mark.read_on()
    if data is None:
        return None
    table, findings = read_csv_rows_after(path, state.sep, list(state.tally.columns), data, state.lines)
    if any(item.name == "unreadable-file" for item in findings):
        return None
    result = read_lines(
        path,
        data,
        table,
        findings,
        _wide_layout_of(path, step_column),
        sep=state.sep,
        start=mark.offset,
        earlier=state,
        points=points,
    )
    return None if result is None else _plain_rows(result, data, state.lines, state.sep, len(table.columns))


def _wide_layout_of(path: Path, step_column: str | None) -> LayoutOf:
    return lambda tally: wide_layout(tally, str(path), step_column)


def _plain_rows(result: RunRead, data: bytes, lines_before: int, sep: str, width: int) -> RunRead:
    """``result``, without where it stopped when the CSV's complete lines cannot be read on from:
    quotes or lone carriage returns in its rows (a quoted line break, or a carriage return that
    pandas takes as one, ends no line), or a first row longer than the header (pandas then reads
    the whole file as one with an index column; ``width``: the header's cells)."""
    end = data.rfind(b"\n") + 1
    begin = min(end, 0 if lines_before else data.find(b"\n") + 1)
    lone_return = data.find(b"\r", begin, end) >= 0 and data.count(b"\r", begin, end) != data.count(b"\r\n", begin, end)
    first_end = data.find(b"\n", begin, end) if lines_before < 2 else -1
    first_row_too_long = first_end >= 0 and data.count(sep.encode(), begin, first_end) >= width
    if data.find(b'"', begin, end) >= 0 or lone_return or first_row_too_long:
        result.resume = None
    return result
