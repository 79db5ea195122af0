"""The tidy scalars frame: the one data format passed between stages.

One row per logged point, long (never wide): ``run, tag, step, wall_time, value, source, role,
segment`` (``segment``: which session of a log that restarted the point comes from, 0 for the first).
``run``, ``tag``, ``source`` and ``role`` are categoricals of strings: a directory of a
million points repeats a handful of names, and categories keep that to a few bytes a row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .errors import SchemaError
from .text import shown

SCALAR_COLUMNS: tuple[str, ...] = ("run", "tag", "step", "wall_time", "value", "source", "role", "segment")
"""Columns of the tidy frame, in order."""

READER_COLUMNS: tuple[str, ...] = ("tag", "step", "wall_time", "value", "source")
"""Columns a reader returns for one run (``run`` and ``role`` are added when runs are assembled)."""

NUMERIC_DTYPES = {
    "step": np.dtype("int64"),
    "wall_time": np.dtype("float64"),
    "value": np.dtype("float64"),
    "segment": np.dtype("int32"),
}
LABEL_COLUMNS = ("run", "tag", "source", "role")


def categorical(values, categories: Sequence[str] | None = None) -> pd.Categorical:
    """A categorical with ``str`` categories (pandas' string dtype), whatever the input."""
    try:
        if categories is None:
            return pd.Categorical(pd.Series(values, dtype="str"))
        return pd.Categorical(pd.Series(values, dtype="str"), categories=pd.Index(categories, dtype="str"))
    except UnicodeEncodeError:  # a name that is not UTF-8 (a file name's odd bytes): kept, written as \xNN
        return categorical(_shown_all(values), None if categories is None else _shown_all(categories))


def from_codes(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    """A categorical from integer codes into ``categories`` (-1 is missing)."""
    try:
        index = pd.Index(list(categories), dtype="str")
    except UnicodeEncodeError:
        index = pd.Index(_shown_all(categories), dtype="str")
    return pd.Categorical.from_codes(codes, categories=index, validate=False)


def _shown_all(values) -> list:
    return [shown(value) if isinstance(value, str) else value for value in values]


def reader_frame(tag, step, wall_time, value, source) -> pd.DataFrame:
    """The frame a reader returns: ``tag`` and ``source`` may be arrays, categoricals or one string."""
    n = len(step)
    return pd.DataFrame(
        {
            "tag": _labels(tag, n),
            "step": np.asarray(step, dtype=np.int64),
            "wall_time": np.asarray(wall_time, dtype=np.float64),
            "value": np.asarray(value, dtype=np.float64),
            "source": _labels(source, n),
        },
        copy=False,
    )


def appended(earlier: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """Reader frames of the same columns, one after the other; label columns stay categorical."""
    if not len(later) or not len(earlier):
        return later if len(later) else earlier
    return pd.DataFrame(
        {
            name: union_categoricals([earlier[name].array, later[name].array], ignore_order=True)
            if isinstance(earlier[name].dtype, pd.CategoricalDtype)
            else np.concatenate([earlier[name].to_numpy(), later[name].to_numpy()])
            for name in earlier.columns
        },
        copy=False,
    )


def empty_reader_frame() -> pd.DataFrame:
    return reader_frame([], [], [], [], [])


def empty_scalars() -> pd.DataFrame:
    frame = pd.DataFrame({column: categorical([]) for column in LABEL_COLUMNS})
    for column, dtype in NUMERIC_DTYPES.items():
        frame[column] = np.array([], dtype=dtype)
    return frame[list(SCALAR_COLUMNS)]


def validate_scalars(frame: pd.DataFrame, columns: Sequence[str] = SCALAR_COLUMNS) -> pd.DataFrame:
    """Check ``frame`` has the tidy columns with the right dtypes; name the first problem."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise SchemaError(
            f"scalars frame: column {missing[0]!r} is missing (found: {', '.join(map(str, frame.columns))})."
            f" A tidy frame has columns {', '.join(columns)}."
        )
    for column in columns:
        dtype = frame[column].dtype
        if column in NUMERIC_DTYPES:
            if dtype != NUMERIC_DTYPES[column]:
                raise SchemaError(f"scalars frame: column {column!r} has dtype {dtype}, expected {NUMERIC_DTYPES[column]}.")
        elif not (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype)):
            raise SchemaError(f"scalars frame: column {column!r} has dtype {dtype}, expected strings.")
    return frame


def _labels(values, n: int) -> pd.Categorical:
    """A label column: a categorical as it is, one string repeated without a list per row, or values."""
    if isinstance(values, pd.Categorical):
        return values
    if isinstance(values, str):
        return from_codes(np.zeros(n, dtype=np.int8), [values])
    return categorical(values)
