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

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..findings import Finding, finding
from ..roles import match_role
from ..schema import from_codes, reader_frame
from .base import RunRead

STEP_COLUMNS: tuple[str, ...] = (
    "step", "global_step", "iteration", "iter", "it", "n_iter", "training_iteration",
    "timestep", "timesteps", "total_timesteps", "timesteps_total", "timestepssofar", "batch", "epoch",
)
"""Names of step-like columns (compared case- and space-insensitively), finest first: when a
table has several, the first in this order is the step and the others stay tags."""

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


def first_line(path: Path) -> str:
    """The first line of a file (at most 64 KiB of it), decoded leniently; "" if unreadable."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return ""
    return head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")


def is_empty(path: Path) -> bool:
    """Whether a file has zero bytes (a log created by a run that never wrote)."""
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def header_names(line: str) -> tuple[str, list[str]]:
    """The separator of a CSV header line (comma, tab or semicolon) and its column names."""
    sep = max((",", "\t", ";"), key=line.count)
    return sep, [name.strip().strip('"').strip() for name in line.split(sep)]


def normalised(name: str) -> str:
    return re.sub(r"\s+", "", name).lower()


def find_step_column(columns: Sequence[str]) -> str | None:
    """The step-like column of a table, finest first (``step`` before ``epoch``), or None."""
    by_name = {normalised(column): column for column in reversed(columns)}
    return next((by_name[name] for name in STEP_COLUMNS if name in by_name), None)


def looks_like_metric(name: str) -> bool:
    """Whether a column name reads as a training metric (loss, acc, reward, lr, ...)."""
    if match_role(name.strip()) is not None:
        return True
    words = re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[A-Z])", name.strip())
    return any(_METRIC_WORDS.fullmatch(word) for word in words if word)


def find_wall_time_column(table: Table) -> tuple[str | None, float]:
    """A column holding wall times and the factor to seconds (1, or 1e-3 for milliseconds).

    A ``time`` column of small numbers is elapsed time, not a wall time, and stays a tag.
    """
    for name in WALL_TIME_COLUMNS:
        matches = [column for column in table.columns if normalised(column) == name]
        if not matches:
            continue
        j = table.column(matches[0])
        numbers = table.values[table.numeric[:, j], j]
        typical = np.nanmedian(numbers) if np.isfinite(numbers).any() else np.nan
        if 1e8 <= typical < 1e11:
            return matches[0], 1.0
        if 1e11 <= typical < 1e14:
            return matches[0], 1e-3
    return None, 1.0


def lines_text(lines: Sequence[int]) -> str:
    """``lines 4, 9, 12`` (the first ten, then how many more)."""
    shown = ", ".join(str(int(line)) for line in lines[:_SHOWN_LINES])
    more = f" and {len(lines) - _SHOWN_LINES} more" if len(lines) > _SHOWN_LINES else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


def valid_steps(values: np.ndarray) -> np.ndarray:
    """Which values can be steps: whole numbers from 0 to 2**63."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= 0) & (values < 2.0**63) & (np.floor(values) == values)


def melt(
    table: Table,
    source: str,
    step_column: str | None,
    wall_time_column: str | None = None,
    wall_time_scale: float = 1.0,
) -> tuple[pd.DataFrame, list[Finding]]:
    """The long reader frame of a table, in write order (row by row, columns left to right).

    ``step_column`` None numbers the rows from 0. Rows without a usable step, and cells of
    numeric columns that hold no number, are left out and named in findings; columns of text
    (names, dates, flags) are not metrics and are skipped.
    """
    findings: list[Finding] = []
    n_rows = len(table.lines)
    label_columns = {step_column, wall_time_column}
    metric = np.array(
        [name not in label_columns and name.strip() != "" for name in table.columns], dtype=bool
    )
    numeric_count = table.numeric.sum(axis=0)
    metric &= (numeric_count > 0) & (2 * numeric_count >= table.written.sum(axis=0))

    if step_column is None:
        steps = np.arange(n_rows, dtype=np.float64)
        has_step = np.ones(n_rows, dtype=bool)
    else:
        j = table.column(step_column)
        steps = table.values[:, j]
        has_step = table.numeric[:, j] & valid_steps(steps)
        lost = ~has_step & (table.written[:, metric].any(axis=1))
        if lost.any():
            findings.append(finding(
                "unparseable-cells",
                f"{int(lost.sum())} rows have no usable step in column {step_column!r} "
                f"({lines_text(table.lines[lost])}); their values were not read.",
                source=source, count=int(lost.sum()),
            ))
    steps = np.where(has_step, steps, 0).astype(np.int64)

    bad = table.written & ~table.numeric & metric & has_step[:, None]
    for j in np.flatnonzero(bad.any(axis=0)):
        rows = np.flatnonzero(bad[:, j])
        findings.append(finding(
            "unparseable-cells",
            f"{len(rows)} cells in column {table.columns[j]!r} are not numbers "
            f"({lines_text(table.lines[rows])}); they were left out.",
            source=source, count=len(rows), steps=tuple(int(step) for step in steps[rows]),
        ))

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
        steps[rows], wall_times[rows], table.values[rows, cols], from_codes(np.zeros(len(rows), np.int64), [source]),
    )
    return frame, findings


def read_csv_text(
    path: Path, sep: str = ",", names: Sequence | None = None, skiprows: int = 0,
    nrows: int | None = None, parsed: bool = False,
) -> tuple[pd.DataFrame | None, np.ndarray, list[Finding]]:
    """The cells of a CSV file, the file line of each row, and what went wrong.

    Cells are text, or with ``parsed`` numbers where a whole column parses (missing cells
    NaN). Without ``names`` the first line read is row 0. Rows with more cells than
    ``names`` (or the first line) are skipped, and a finding names their lines; a last line
    cut short by a crash is dropped (``truncated-record``). None when nothing could be read.
    """
    source = str(path)
    text_options = {"na_values": _MISSING_VARIANTS} if parsed else {"dtype": str}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cells = pd.read_csv(
                path, sep=sep, header=None, names=names, skiprows=skiprows, nrows=nrows,
                keep_default_na=False, skip_blank_lines=False, on_bad_lines="warn", encoding="utf-8",
                encoding_errors="replace", engine="c", quoting=0, **text_options,
            )
        except pd.errors.EmptyDataError:
            return None, np.array([], dtype=np.int64), [finding("empty-file", "The file is empty.", source=source)]
        except (OSError, ValueError, UnicodeError, MemoryError, OverflowError) as exc:
            return None, np.array([], dtype=np.int64), [finding(
                "unreadable-file", f"The file could not be read as CSV: {type(exc).__name__}: {exc}".rstrip(),
                source=source,
            )]
    skipped = sorted(int(m.group(1)) for w in caught if (m := re.search(r"line (\d+)", str(w.message))))
    findings: list[Finding] = []
    if skipped:
        findings.append(finding(
            "corrupt-record",
            f"{len(skipped)} rows have more cells than the header ({lines_text(skipped)}); they were not read.",
            source=source, count=len(skipped),
        ))
    first = skiprows + 1
    lines = np.setdiff1d(np.arange(first, first + len(cells) + len(skipped)), skipped)[: len(cells)]
    if len(cells) and nrows is None and _last_line_cut(path, sep, cells.shape[1]):
        cut_line = int(lines[-1])
        cells, lines = cells.iloc[:-1], lines[:-1]
        findings.append(finding(
            "truncated-record",
            f"The last line ({cut_line}) was cut short (a crash, or a run still "
            "writing); every complete row was read.",
            source=source, count=1,
        ))
    return (cells if parsed else cells.fillna("")), lines.astype(np.int64), findings


def _last_line_cut(path: Path, sep: str, n_columns: int) -> bool:
    """Whether the file ends without a newline, in a line with fewer cells than the header."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - _SNIFF_BYTES))
            tail = handle.read()
    except OSError:
        return False
    if not tail or tail.endswith(b"\n"):
        return False
    last = tail.rsplit(b"\n", 1)[-1]
    return last.count(sep.encode()) < n_columns - 1


def read_csv_table(path: Path, sep: str = ",") -> tuple[Table | None, list[Finding]]:
    """A CSV file with a header line as a :class:`Table`; None (with findings) if it has no data.

    Numbers are parsed by pandas' C parser (exact, and fast); only a file holding a literal
    ``nan`` is read as text, because the parser would make it indistinguishable from an empty cell.
    """
    header_cells, _, findings = read_csv_text(path, sep, nrows=1)
    if header_cells is None:
        return None, findings
    header = [str(name).lstrip("\ufeff").strip() for name in header_cells.iloc[0]]
    if _has_nan_cell(path):
        cells, lines, findings = read_csv_text(path, sep, names=range(len(header)), skiprows=1)
        parse = Table.from_text
    else:
        cells, lines, findings = read_csv_text(path, sep, names=range(len(header)), skiprows=1, parsed=True)
        parse = Table.from_parsed
    if cells is None or cells.empty:
        findings.append(finding("empty-file", "The file holds only a header, no rows.", source=str(path)))
        return None, findings
    table = parse(cells, header, lines)
    if not table.written.any():
        findings.append(finding("empty-file", "The file holds only a header, no rows.", source=str(path)))
        return None, findings
    return table, findings


def _has_nan_cell(path: Path) -> bool:
    """Whether a cell after the header line reads ``nan`` (a logged NaN)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if not any(form in data for form in (b"nan", b"NaN", b"NAN", b"Nan")):
        return False  # the common case, found at memory speed
    return _NAN_CELL.search(data, data.find(b"\n") + 1 if b"\n" in data else len(data)) is not None


def read_wide(path: Path, step_column: str | None) -> RunRead:
    """Read a wide CSV whose step is ``step_column`` (found by name when None)."""
    source = str(path)
    table, findings = read_csv_table(path, header_names(first_line(path))[0])
    if table is None:
        return RunRead(findings=findings)
    step = step_column if step_column in table.columns else find_step_column(table.columns)
    if step is None:
        if not any(looks_like_metric(name) for name in table.columns):
            findings.append(finding(
                "ignored-file",
                f"No step column and no metric-like column (found: {', '.join(table.columns)}); "
                "this looks like data, not a training log.",
                source=source,
            ))
            return RunRead(findings=findings)
        findings.append(finding(
            "no-step-column",
            f"No step-like column (found: {', '.join(table.columns)}); the row number (from 0) is the step.",
            source=source,
        ))
    wall_time, scale = find_wall_time_column(table)
    frame, more = melt(table, source, step, wall_time, scale)
    return RunRead(frame, findings + more)


def read_each(read_one, files: Sequence[Path]) -> RunRead:
    """Read each file of a run with ``read_one`` and join the results in file order."""
    parts = [read_one(path) for path in files]
    if not parts:
        return RunRead()
    frames = [part.scalars for part in parts]
    hparams: dict[str, Any] = {}
    for part in parts:
        hparams.update(part.hparams)
    return RunRead(
        concat_frames(frames),
        [item for part in parts for item in part.findings],
        hparams,
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
        return {}, [finding(
            "unreadable-file", f"The hyperparameters file holds a {type(loaded).__name__}, not a mapping.",
            source=str(path),
        )]
    return {str(key): value for key, value in flatten(loaded).items()}, []
