"""Table-style logs: parse cells into numbers and melt a wide table into the long reader frame.

Every table-style log (the CSVs of ``csvlogs``, the JSON logs of ``jsonlogs`` and ``raytune``,
MLflow's metric files) is first parsed into a :class:`Table` (the cells as numbers, with masks
of the cells that were written and of those that hold numbers), then melted into the long
reader frame by :func:`melt`, which picks the rows with a usable step, keeps the numeric
columns as tags and names every cell it could not read. An empty or ``NA`` cell is a metric
not logged in that row (Lightning writes train and validation metrics on separate rows; Keras
writes ``NA`` for a missing value); a ``nan`` or ``inf`` cell is a logged value and is kept.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..assemble.roles import match_role
from ..findings import Finding, finding
from ..schema import from_codes, reader_frame
from .base import RunRead
from .progress import Progress

STEP_COLUMNS: tuple[str, ...] = (
    "_step",
    "step",
    "global_step",
    "iteration",
    "iter",
    "it",
    "n_iter",
    "training_iteration",
    "timestep",
    "timesteps",
    "total_timesteps",
    "timesteps_total",
    "timestepssofar",
    "batch",
    "epoch",
)
"""Names of step-like columns (compared case- and space-insensitively), finest first: when a
table has several, the first in this order is the step and the others stay tags. W&B's ``_step``
comes first: it is the step W&B draws its charts by. A name under a prefix (stable-baselines3's
``time/total_timesteps``) counts when no column has one of these names alone."""

INDEX_COLUMNS: tuple[str, ...] = ("", "unnamed:0")
"""Names pandas gives the index it writes as a CSV's first column (``DataFrame.to_csv``), and
reads back (``Unnamed: 0``): in a saved Keras ``history.history`` it numbers the epochs."""

NOT_METRIC_COLUMNS = frozenset({"_runtime", "_wandb/runtime"})
"""Columns a logger keeps for itself, not a curve: W&B's seconds since the run started."""

WALL_TIME_COLUMNS: tuple[str, ...] = ("wall_time", "walltime", "timestamp", "_timestamp", "time")
"""Names of columns that may hold the wall time; used only when they hold epoch seconds or ms."""

MISSING_CELLS = frozenset({"", "na", "n/a", "#n/a", "null", "none", "<na>"})
"""Cell texts that mean "not logged in this row" (lower-cased)."""

_NAN_CELLS = frozenset({"nan", "-nan", "+nan"})
_NAN_CELL = re.compile(rb"(?<![\w.])[-+]?nan(?![\w.])", re.IGNORECASE)
_MISSING_VARIANTS = sorted({form for cell in MISSING_CELLS for form in (cell, cell.upper(), cell.capitalize())})
_METRIC_WORDS = re.compile(
    r"loss|acc|reward|rew|return|perplex|ppl|precision|recall|entropy|score|error|err|f1|auc|map"
    r"|bleu|rouge\w*|iou|dice|mse|mae|rmse|kl|lr\d*|learning|grad\w*|vf",
    re.IGNORECASE,
)
_SNIFF_BYTES = 65536
_SHOWN_LINES = 10


@dataclass
class Table:
    """The cells of one log table: a row per record written, a column per metric name."""

    columns: list[str]
    values: np.ndarray
    """float64 (rows, columns): the number in each cell, NaN where there is none."""
    written: np.ndarray
    """bool (rows, columns): the cell holds something (it is not empty or ``NA``)."""
    numeric: np.ndarray
    """bool (rows, columns): the cell holds a number (``nan`` and ``inf`` included)."""
    lines: np.ndarray
    """int64 (rows,): the line of the file each row was read from (1-based)."""

    @classmethod
    def from_text(cls, cells: pd.DataFrame, columns: list[str], lines: np.ndarray) -> Table:
        """Parse a frame of cell texts (vectorised, column by column)."""
        text = cells.apply(lambda column: column.str.strip())
        lowered = text.apply(lambda column: column.str.lower())
        values = text.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        written = ~lowered.isin(MISSING_CELLS).to_numpy()
        numeric = ~np.isnan(values) | lowered.isin(_NAN_CELLS).to_numpy()
        return cls(columns, values, written, numeric & written, lines)

    @classmethod
    def from_parsed(cls, cells: pd.DataFrame, columns: list[str], lines: np.ndarray) -> Table:
        """Cells parsed by ``pd.read_csv`` (missing cells as NaN); columns it left as text are
        parsed by :meth:`from_text`, column by column."""
        parts = []
        for position in range(cells.shape[1]):
            column = cells.iloc[:, position]
            if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
                values = column.to_numpy(dtype=np.float64, na_value=np.nan)
                parts.append((values, ~np.isnan(values), ~np.isnan(values)))
            else:
                text = cls.from_text(column.fillna("").astype(str).to_frame(), [columns[position]], lines)
                parts.append((text.values[:, 0], text.written[:, 0], text.numeric[:, 0]))
        shape = (len(lines), len(parts))
        stack = [np.column_stack([part[k] for part in parts]) if parts else np.zeros(shape) for k in range(3)]
        return cls(columns, stack[0].astype(np.float64), stack[1].astype(bool), stack[2].astype(bool), lines)

    def column(self, name: str) -> int:
        return self.columns.index(name)

    @classmethod
    def empty(cls, columns: list[str]) -> Table:
        shape = (0, len(columns))
        return cls(
            columns, np.zeros(shape), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool), np.zeros(0, dtype=np.int64)
        )

    def where(self, rows: np.ndarray) -> Table:
        """The rows where ``rows`` is true."""
        return Table(self.columns, self.values[rows], self.written[rows], self.numeric[rows], self.lines[rows])

    def aligned(self, columns: Sequence[str]) -> Table:
        """The table with ``columns``, a superset of its own (by name), in their order."""
        if list(columns) == self.columns:
            return self
        where = np.array([list(columns).index(name) for name in self.columns], dtype=np.int64)
        shape = (len(self.lines), len(columns))
        values, written, numeric = np.full(shape, np.nan), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
        values[:, where], written[:, where], numeric[:, where] = self.values, self.written, self.numeric
        return Table(list(columns), values, written, numeric, self.lines)


def per_file_version(unreadable):
    """Keep a sniff of a file's head for the last few versions of the file it was made on (its path, size and
    modification time): several readers sniff the same file in turn. A file that cannot be looked at gives
    ``unreadable``. The sniff is called as ``sniff(path, size, mtime_ns, *args)``."""

    def keep(sniff):
        kept = functools.lru_cache(maxsize=32)(sniff)

        @functools.wraps(sniff)
        def sniffed(path, *args):
            try:
                info = os.stat(path)
            except OSError:
                return unreadable
            return kept(os.fspath(path), info.st_size, info.st_mtime_ns, *args)

        return sniffed

    return keep


@per_file_version("")
def first_line(path: str, size: int, mtime_ns: int) -> str:
    """The first line of a file (at most 64 KiB of it), decoded leniently; "" if unreadable."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)  # a header line is short: read more only when it is not
            if b"\n" not in head and len(head) == 4096:
                head += handle.read(_SNIFF_BYTES - len(head))
    except OSError:
        return ""
    return line_of(head)


FIRST_LINE_LIMIT = 16 * 2**20
"""How far into a long first line a sniff looks for a key (Ray Tune writes its whole config
into every result line, before the step)."""


@per_file_version(False)
def first_line_holds(path: str, size: int, mtime_ns: int, pattern: re.Pattern[str]) -> bool:
    """Whether the first line of a file (up to ``FIRST_LINE_LIMIT`` bytes of it) matches ``pattern``,
    which must match within 256 bytes; read in chunks, so a long line costs no more memory."""
    overlap, tail = 256, b""
    try:
        with open(path, "rb") as handle:
            while handle.tell() < FIRST_LINE_LIMIT:
                chunk = handle.read(_SNIFF_BYTES if not tail else 2**20)
                if not chunk:
                    return False
                line, newline, _ = chunk.partition(b"\n")
                if pattern.search((tail + line).decode("utf-8", errors="replace")):
                    return True
                if newline:
                    return False
                tail = line[-overlap:]
    except OSError:
        return False
    return False


@per_file_version(((), False))
def head_lines(path: str, size: int, mtime_ns: int, count: int) -> tuple[tuple[str, ...], bool]:
    """The first ``count`` non-blank whole lines of a file (within its first 64 KiB), decoded
    leniently, and whether the first line was cut by that limit (then it is the only one given)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return (), False
    whole = len(head) < _SNIFF_BYTES
    raw = head.split(b"\n")
    if not whole and len(raw) == 1:
        return (line_of(head),), True
    complete = raw if whole else raw[:-1]
    lines = [line.decode("utf-8", errors="replace").lstrip("\ufeff").strip() for line in complete]
    return tuple(line for line in lines if line)[:count], False


def line_of(data: bytes) -> str:
    """The first line of bytes (at most 64 KiB of it), decoded leniently."""
    return data[:_SNIFF_BYTES].split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")


def is_empty(path: Path) -> bool:
    """Whether a file has zero bytes (a log created by a run that never wrote)."""
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def normalised(name: str) -> str:
    return re.sub(r"\s+", "", name).lower()


def find_step_column(columns: Sequence[str]) -> str | None:
    """The step-like column of a table, finest first (``step`` before ``epoch``), or None: a
    step-like name, then one under a prefix (``time/total_timesteps``), then a first column that
    is pandas' index, when other columns are named as metrics (else the table is data pandas saved)."""
    by_name = {normalised(column): column for column in reversed(columns)}
    by_last_part = {normalised(column).rsplit("/", 1)[-1]: column for column in reversed(columns) if "/" in column}
    for names in (by_name, by_last_part):
        if (found := next((names[name] for name in STEP_COLUMNS if name in names), None)) is not None:
            return found
    indexed = len(columns) > 1 and normalised(columns[0]) in INDEX_COLUMNS
    return columns[0] if indexed and any(looks_like_metric(name) for name in columns[1:]) else None


def looks_like_metric(name: str) -> bool:
    """Whether a column name reads as a training metric (loss, acc, reward, lr, ...)."""
    if match_role(name.strip()) is not None:
        return True
    words = re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[A-Z])", name.strip())
    return any(_METRIC_WORDS.fullmatch(word) for word in words if word)


_SECONDS, _MILLISECONDS = 2, 3


def _band(typical: float) -> int:
    """Where a column's typical value lies: 0 nowhere (no finite number), 1 below epoch seconds,
    2 epoch seconds, 3 epoch milliseconds, 4 above. The typical value of two parts of a column
    lies between theirs, so when both parts lie in one band, so does the whole column."""
    if np.isnan(typical):
        return 0
    return 1 + int(np.searchsorted([1e8, 1e11, 1e14], typical, side="right"))


@dataclass(frozen=True)
class Layout:
    """How a table's rows become points: the step column (None: the row number), the wall-time
    column and the factor of its values to seconds, and which columns are metrics."""

    step: str | None
    wall_time: str | None
    scale: float
    metric: tuple[bool, ...]

    def extends(self, earlier: Layout) -> bool:
        """Whether rows laid out by ``earlier`` give the same points by this layout (which may have
        more columns, after ``earlier``'s)."""
        return (self.step, self.wall_time, self.scale) == (earlier.step, earlier.wall_time, earlier.scale) and self.metric[
            : len(earlier.metric)
        ] == earlier.metric


@dataclass(frozen=True)
class Tally:
    """What decides a table's layout, counted over its rows: per column the cells written and the
    cells holding numbers, and for a column named like a wall time the band of its typical value."""

    columns: tuple[str, ...]
    written: np.ndarray
    numeric: np.ndarray
    bands: np.ndarray
    """The ``_band`` of each column named like a wall time; -1 for the others."""
    rows: int

    @classmethod
    def of(cls, table: Table) -> Tally:
        """The tally of a table's rows; with a step column, of its rows with a usable step, when it has
        any: a row without one (a line of garbage in a damaged log) gives no point, and must not
        make a column of numbers look like text."""
        counted = table
        step = find_step_column(table.columns)
        if step is not None:
            j = table.column(step)
            stepped = table.numeric[:, j] & valid_steps(table.values[:, j])
            counted = table.where(stepped) if stepped.any() else table
        bands = np.full(len(table.columns), -1, dtype=np.int8)
        for j, name in enumerate(table.columns):
            if normalised(name) in WALL_TIME_COLUMNS:
                numbers = counted.values[counted.numeric[:, j], j]
                bands[j] = _band(np.nanmedian(numbers) if np.isfinite(numbers).any() else np.nan)
        return cls(tuple(table.columns), counted.written.sum(axis=0), counted.numeric.sum(axis=0), bands, len(table.lines))

    def then(self, later: Tally) -> Tally | None:
        """The tally of this table's rows, then ``later``'s: columns matched by position when both
        have the same, else by name (each new name after these columns). None when a wall-time
        column's band cannot be told (its two parts lie in different bands)."""
        same = later.columns == self.columns
        columns = self.columns if same else self.columns + tuple(name for name in later.columns if name not in self.columns)
        where = np.arange(len(columns)) if same else np.array([columns.index(name) for name in later.columns], dtype=np.int64)
        grown = np.zeros(len(columns) - len(self.columns), dtype=np.int64)
        written, numeric = np.concatenate([self.written, grown]), np.concatenate([self.numeric, grown])
        bands = np.concatenate([self.bands, grown.astype(np.int8) - 1])
        theirs = later.numeric > 0
        if ((numeric[where] > 0) & theirs & (bands[where] != later.bands)).any():
            return None
        take = theirs | (where >= len(self.columns))
        bands[where[take]] = later.bands[take]
        written[where] += later.written
        numeric[where] += later.numeric
        return Tally(columns, written, numeric, bands, self.rows + later.rows)

    def wall_time(self) -> tuple[str | None, float]:
        """A column holding wall times and the factor to seconds (1, or 1e-3 for milliseconds).

        A ``time`` column of small numbers is elapsed time, not a wall time, and stays a tag.
        """
        for name in WALL_TIME_COLUMNS:
            matches = [j for j, column in enumerate(self.columns) if normalised(column) == name]
            if matches and self.bands[matches[0]] in (_SECONDS, _MILLISECONDS):
                return self.columns[matches[0]], 1.0 if self.bands[matches[0]] == _SECONDS else 1e-3
        return None, 1.0

    def layout(self, step: str | None) -> Layout:
        """The layout with ``step`` as the step column: columns of text (names, dates, flags), those
        mostly holding no number, are not metrics, unless their name reads as one (``val_loss``
        with a few ``#DIV/0!``): then its numbers are read and the rest reported."""
        wall_time, scale = self.wall_time()
        labels = {step, wall_time}
        named = np.array(
            [name not in labels and name.strip() != "" and normalised(name) not in NOT_METRIC_COLUMNS for name in self.columns],
            dtype=bool,
        )
        by_name = np.array([looks_like_metric(name) for name in self.columns], dtype=bool)
        metric = named & (self.numeric > 0) & ((2 * self.numeric >= self.written) | by_name)
        return Layout(step, wall_time, scale, tuple(metric.tolist()))


def lines_text(lines: Sequence[int]) -> str:
    """``lines 4, 9, 12`` (the first ten, then how many more)."""
    shown = ", ".join(str(int(line)) for line in lines[:_SHOWN_LINES])
    more = f" and {len(lines) - _SHOWN_LINES} more" if len(lines) > _SHOWN_LINES else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


def valid_steps(values: np.ndarray) -> np.ndarray:
    """Which values can be steps: whole numbers from 0 to 2**63."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= 0) & (values < 2.0**63) & (np.floor(values) == values)


def melt(table: Table, source: str, layout: Layout, first_row: int = 0) -> tuple[pd.DataFrame, list[Finding]]:
    """The long reader frame of a table, in write order (row by row, columns left to right).

    Without a step column the rows are numbered from ``first_row``. Rows without a usable step,
    and cells of metric columns that hold no number, are left out and named in findings.
    """
    findings: list[Finding] = []
    n_rows = len(table.lines)
    step_column, wall_time_column, wall_time_scale = layout.step, layout.wall_time, layout.scale
    metric = np.array(layout.metric, dtype=bool)

    if step_column is None:
        steps = np.arange(first_row, first_row + n_rows, dtype=np.float64)
        has_step = np.ones(n_rows, dtype=bool)
    else:
        j = table.column(step_column)
        steps = table.values[:, j]
        has_step = table.numeric[:, j] & valid_steps(steps)
        others = np.arange(table.written.shape[1]) != j
        lost = ~has_step & table.written[:, others].any(axis=1)  # whatever the row holds is lost with its step
        if lost.any():
            findings.append(
                finding(
                    "unparseable-cells",
                    f"{int(lost.sum())} rows have no usable step in column {step_column!r} "
                    f"({lines_text(table.lines[lost])}); their values were not read.",
                    source=source,
                    count=int(lost.sum()),
                )
            )
    steps = np.where(has_step, steps, 0).astype(np.int64)

    bad = table.written & ~table.numeric & metric & has_step[:, None]
    for j in np.flatnonzero(bad.any(axis=0)):
        rows = np.flatnonzero(bad[:, j])
        findings.append(
            finding(
                "unparseable-cells",
                f"{len(rows)} cells in column {table.columns[j]!r} are not numbers "
                f"({lines_text(table.lines[rows])}); they were left out.",
                source=source,
                count=len(rows),
                steps=tuple(int(step) for step in steps[rows]),
            )
        )

    if wall_time_column is None:
        wall_times = np.full(n_rows, np.nan)
    else:
        j = table.column(wall_time_column)
        wall_times = np.where(table.numeric[:, j], table.values[:, j] * wall_time_scale, np.nan)

    rows, cols = np.nonzero(table.numeric & metric & has_step[:, None])
    names = np.array([name.strip() for name in table.columns], dtype=object)
    metric_columns = np.flatnonzero(metric)
    tags, codes = np.unique(names[metric_columns], return_inverse=True)
    code_of = np.full(len(names), -1, dtype=np.int64)
    code_of[metric_columns] = codes
    frame = reader_frame(
        from_codes(code_of[cols], list(tags)),
        steps[rows],
        wall_times[rows],
        table.values[rows, cols],
        from_codes(np.zeros(len(rows), np.int64), [source]),
    )
    return frame, findings


def read_csv_text(
    path: Path,
    sep: str = ",",
    names: Sequence | None = None,
    skiprows: int = 0,
    nrows: int | None = None,
    parsed: bool = False,
    data: bytes | None = None,
    lines_before: int = 0,
) -> tuple[pd.DataFrame | None, np.ndarray, list[Finding]]:
    """The cells of a CSV file, the file line of each row, and what went wrong.

    Cells are text, or with ``parsed`` numbers where a whole column parses (missing cells
    NaN). Without ``names`` the first line read is row 0. Rows with more cells than
    ``names`` (or the first line) are skipped, and a finding names their lines; a last line
    cut short by a crash is dropped (``truncated-record``). None when nothing could be read.
    ``data``: the file's bytes, when read already, or its bytes after its first ``lines_before``
    lines (reading on where an earlier read stopped; lines are still numbered in the file).
    """
    source = str(path)
    text_options = {"na_values": _MISSING_VARIANTS} if parsed else {"dtype": str}
    first = lines_before + skiprows + 1
    # pandas takes a first row longer than ``names`` as one with an index (every column shifted
    # left), in time quadratic in its extra cells: it is skipped here, as a later long row is
    too_long = names is not None and _first_row_width(path if data is None else data, sep, skiprows) > len(names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cells = pd.read_csv(
                path if data is None else io.BytesIO(data),
                sep=sep,
                header=None,
                names=names,
                index_col=False,
                skiprows=skiprows + too_long,
                nrows=nrows,
                keep_default_na=False,
                skip_blank_lines=False,
                on_bad_lines="warn",
                encoding="utf-8",
                encoding_errors="replace",
                engine="c",
                quoting=0,
                **text_options,
            )
        except pd.errors.EmptyDataError:
            return None, np.array([], dtype=np.int64), [finding("empty-file", "The file is empty.", source=source)]
        except (OSError, ValueError, UnicodeError, MemoryError, OverflowError) as exc:
            return (
                None,
                np.array([], dtype=np.int64),
                [
                    finding(
                        "unreadable-file",
                        f"The file could not be read as CSV: {type(exc).__name__}: {exc}".rstrip(),
                        source=source,
                    )
                ],
            )
    skipped = sorted(lines_before + int(m.group(1)) for w in caught if (m := re.search(r"line (\d+)", str(w.message))))
    if too_long:
        skipped.insert(0, first)
    findings: list[Finding] = []
    if skipped:
        findings.append(
            finding(
                "corrupt-record",
                f"{len(skipped)} rows have more cells than the header ({lines_text(skipped)}); they were not read.",
                source=source,
                count=len(skipped),
            )
        )
    lines = np.setdiff1d(np.arange(first, first + len(cells) + len(skipped)), skipped)[: len(cells)]
    if len(cells) and nrows is None and _last_line_cut(path if data is None else data, sep, cells.shape[1]):
        cut_line = int(lines[-1])
        cells, lines = cells.iloc[:-1], lines[:-1]
        findings.append(
            finding(
                "truncated-record",
                f"The last line ({cut_line}) was cut short (a crash, or a run still writing); every complete row was read.",
                source=source,
                count=1,
            )
        )
    return (cells if parsed else cells.fillna("")), lines.astype(np.int64), findings


def _first_row_width(file: Path | bytes, sep: str, skiprows: int) -> int:
    """How many cells the first line after ``skiprows`` lines holds (0 when there is none), in
    time linear in its length; a line ends at ``\\n`` or ``\\r``."""
    if isinstance(file, bytes):
        start = 0
        for _ in range(skiprows):
            start = file.find(b"\n", start) + 1
            if start == 0:
                return 0
        end = file.find(b"\n", start)
        line = file[start : None if end < 0 else end]
    else:
        try:
            with open(file, "rb") as handle:
                for _ in range(skiprows):
                    handle.readline()
                line = handle.readline()
        except OSError:
            return 0
    line = line.split(b"\r", 1)[0]
    if not line:
        return 0
    if b'"' not in line:
        return line.count(sep.encode()) + 1
    try:
        return len(next(csv.reader([line.decode("utf-8", "replace")], delimiter=sep, strict=False), []))
    except csv.Error:
        return 0


def _last_line_cut(file: Path | bytes, sep: str, n_columns: int) -> bool:
    """Whether the file (or its bytes) ends without a newline, in a line with fewer cells than the header."""
    if isinstance(file, bytes):
        tail = file[-_SNIFF_BYTES:]
    else:
        try:
            with open(file, "rb") as handle:
                handle.seek(max(0, file.stat().st_size - _SNIFF_BYTES))
                tail = handle.read()
        except OSError:
            return False
    if not tail or tail.endswith(b"\n"):
        return False
    last = tail.rsplit(b"\n", 1)[-1]
    return last.count(sep.encode()) < n_columns - 1


def read_csv_rows(path: Path, sep: str, data: bytes) -> tuple[Table | None, list[Finding]]:
    """The rows of a CSV file with a header line, ``data`` its bytes, as a :class:`Table`; None
    (with findings) when its header cannot be read.

    Numbers are parsed by pandas' C parser (exact, and fast); only a file holding a literal
    ``nan`` is read as text, because the parser would make it indistinguishable from an empty cell.
    """
    header_cells, _, findings = read_csv_text(path, sep, nrows=1, data=data)
    if header_cells is None:
        return None, findings
    header = [str(name).lstrip("\ufeff").strip() for name in header_cells.iloc[0]]
    return _csv_rows(path, sep, header, data, skiprows=1)


def read_csv_rows_after(path: Path, sep: str, header: list[str], data: bytes, lines_before: int) -> tuple[Table, list[Finding]]:
    """The rows of a CSV file's bytes after its first ``lines_before`` lines (its header among them),
    as ``read_csv_rows`` reads them in the whole file (bytes holding a ``nan`` cell are read as text).

    pandas takes a first row longer than the header as one with an index, and later ones as
    rows too long: after the first row, a row of empty cells goes first, as the earlier rows did."""
    if lines_before < 2:
        return _csv_rows(path, sep, header, data, lines_before=lines_before)
    table, findings = _csv_rows(path, sep, header, sep.encode() * (len(header) - 1) + b"\n" + data, lines_before=lines_before - 1)
    return table.where(table.lines > lines_before), findings


def _csv_rows(
    path: Path, sep: str, header: list[str], data: bytes, *, skiprows: int = 0, lines_before: int = 0
) -> tuple[Table, list[Finding]]:
    text = _has_nan_cell(data, after_header=bool(skiprows))
    cells, lines, findings = read_csv_text(
        path, sep, names=range(len(header)), skiprows=skiprows, parsed=not text, data=data, lines_before=lines_before
    )
    if cells is None or cells.empty:
        return Table.empty(header), findings
    short = lines[np.isin(lines, _short_lines(data, sep, len(header)) + lines_before)]
    if len(short):
        findings.append(
            finding(
                "corrupt-record",
                f"{len(short)} rows have fewer cells than the header ({lines_text(short)}); their missing cells were not read.",
                source=str(path),
                count=len(short),
            )
        )
    return (Table.from_text if text else Table.from_parsed)(cells, header, lines), findings


def _short_lines(data: bytes, sep: str, width: int) -> np.ndarray:
    """The lines of ``data`` (numbered from 1) that end in a newline and hold some but fewer than
    ``width`` cells: a row that lost cells (bytes deleted, a crash mid-write). Not told when
    quotes may hide separators."""
    if width < 2 or b'"' in data:
        return np.zeros(0, dtype=np.int64)
    u8 = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(u8 == 10)
    seps = np.searchsorted(ends, np.flatnonzero(u8 == ord(sep)))
    per_line = np.bincount(seps[seps < len(ends)], minlength=len(ends))
    starts = np.concatenate([[0], ends[:-1] + 1])
    length = ends - starts - (u8[np.maximum(ends - 1, 0)] == 13)  # without a carriage return
    return np.flatnonzero((per_line < width - 1) & (length > 0)) + 1


def csv_bytes(path: Path) -> tuple[bytes | None, list[Finding]]:
    """A CSV file's bytes; None, and why, when it cannot be read."""
    try:
        return path.read_bytes(), []
    except OSError as exc:
        return None, [
            finding("unreadable-file", f"The file could not be read as CSV: {type(exc).__name__}: {exc}", source=str(path))
        ]


def _has_nan_cell(data: bytes, *, after_header: bool) -> bool:
    """Whether a cell (after the header line) reads ``nan`` (a logged NaN)."""
    if not any(form in data for form in (b"nan", b"NaN", b"NAN", b"Nan")):
        return False  # the common case, found at memory speed
    start = (data.find(b"\n") + 1 if b"\n" in data else len(data)) if after_header else 0
    return _NAN_CELL.search(data, start) is not None


def wide_layout(tally: Tally, source: str, step_column: str | None) -> tuple[Layout | None, list[Finding]]:
    """How a wide CSV's rows become points, its step being ``step_column`` (found by name when
    None); None, with the finding saying why, when they become none."""
    if not tally.written.any():
        return None, [finding("empty-file", "The file holds only a header, no rows.", source=source)]
    step = step_column if step_column in tally.columns else find_step_column(tally.columns)
    findings: list[Finding] = []
    if step is None:
        if not any(looks_like_metric(name) for name in tally.columns):
            return None, [
                finding(
                    "ignored-file",
                    f"No step column and no metric-like column (found: {', '.join(tally.columns)}); "
                    "this looks like data, not a training log.",
                    source=source,
                )
            ]
        findings.append(
            finding(
                "no-step-column",
                f"No step-like column (found: {', '.join(tally.columns)}); the row number (from 0) is the step.",
                source=source,
            )
        )
    layout = tally.layout(step)
    if not any(layout.metric):
        findings.append(
            finding(
                "ignored-file",
                f"No column holds numbers to read as a metric (found: {', '.join(tally.columns)}); nothing was read.",
                source=source,
            )
        )
    return layout, findings


def read_each(read_one, files: Sequence[Path]) -> RunRead:
    """Read each file of a run with ``read_one`` and join the results in file order."""
    return joined([read_one(path) for path in files])


def joined(parts: Sequence[RunRead]) -> RunRead:
    """The reads of a run's files, one after another."""
    if not parts:
        return RunRead()
    hparams: dict[str, Any] = {}
    for part in parts:
        hparams.update(part.hparams)
    progress = None
    if all(part.resume is not None for part in parts):
        progress = Progress(
            tuple(mark for part in parts for mark in part.resume.marks),
            tuple(state for part in parts for state in part.resume.state),
        )
    return RunRead(
        concat_frames([part.scalars for part in parts]),
        [item for part in parts for item in part.findings],
        hparams,
        progress,
    )


def concat_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Reader frames one after another, with their label columns kept categorical."""
    if len(frames) == 1:
        return frames[0]
    joined = pd.concat(frames, ignore_index=True)
    for column in ("tag", "source", "run"):
        if column in joined and not isinstance(joined[column].dtype, pd.CategoricalDtype):
            joined[column] = joined[column].astype(str).astype("category")
    return joined


def flatten(mapping: dict, sep: str = "/") -> dict[str, Any]:
    """Nested dicts as one level, keys joined with ``sep``, in key order (no recursion limit)."""
    flat: dict[str, Any] = {}
    stack = [("", iter(mapping.items()))]
    while stack:
        prefix, items = stack[-1]
        for key, value in items:
            name = f"{prefix}{key}"
            if isinstance(value, dict) and value:
                stack.append((f"{name}{sep}", iter(value.items())))
                break
            flat[name] = value
        else:
            stack.pop()
    return flat


def flat_records(records: Sequence[dict]) -> list[dict[str, Any]]:
    """Each record flattened (see ``flatten``); records that hold no dict and have only string keys
    are flat already, and are kept as they are."""
    kinds = set(map(type, chain.from_iterable(map(dict.values, records))))
    if not any(issubclass(kind, dict) for kind in kinds) and set(map(type, chain.from_iterable(records))) <= {str}:
        return list(records)
    return [flatten(record) for record in records]


class _YamlLoader(yaml.SafeLoader):
    """``yaml.safe_load`` that reads Python-specific tags (``!!python/tuple`` ...) as plain data."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_YamlLoader.add_multi_constructor("tag:yaml.org,2002:python/", _plain)
_YamlLoader.add_multi_constructor("!", _plain)


def read_yaml_hparams(path: Path) -> tuple[dict[str, Any], list[Finding]]:
    """Hyperparameters from a YAML mapping (nested keys joined with ``/``); a broken file is a finding."""
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8", errors="replace"), Loader=_YamlLoader)
    except (OSError, yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {}, [finding("unreadable-file", f"The hyperparameters could not be read: {problem}.", source=str(path))]
    if loaded is None:
        return {}, []
    if not isinstance(loaded, dict):
        return {}, [
            finding(
                "unreadable-file",
                f"The hyperparameters file holds a {type(loaded).__name__}, not a mapping.",
                source=str(path),
            )
        ]
    return {str(key): value for key, value in flatten(loaded).items()}, []
