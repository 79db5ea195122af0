"""A sweep: one validation metric of many runs against the hyperparameters they were trained with.

``sweep_table`` gives a row per run with its validation ``METRICS`` and its hyperparameters;
``sweep_axes`` and ``sweep_metrics`` list what varies and what can judge it; ``hparam_scale`` says
how to draw a hyperparameter; ``sweep_profile`` and ``sweep_best`` give the median at each value
and the best run, and whether it sits at an edge of the range searched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError
from ..features.events import Curve
from ..params import Options, validate_params
from .drawing import LOG_DECADES
from .result import Report
from .views import NOT_JUDGED, label_text

HPARAM_PREFIX = "hp."
"""``sweep_table`` names each hyperparameter's column ``hp.<name>`` (nested names joined with dots)."""

METRICS: dict[str, tuple[str, str]] = {
    "best_val_loss": ("min", "best validation loss"),
    "final_val_loss": ("min", "final validation loss"),
    "best_val_acc": ("max", "best validation accuracy"),
    "final_val_acc": ("max", "final validation accuracy"),
}
"""Validation metrics a sweep can be judged by: whether lower or higher is better, and a name for people."""

_LOG_HPARAM = re.compile(
    r"(^|[._/\-])(lr|lr0|learning[._\-]?rate|wd|weight[._\-]?decay|l2|eps|epsilon)([._/\-]|$)", re.IGNORECASE
)


def sweep_table(report: Report) -> pd.DataFrame:
    """One row per run: ``run, primary_label, label_text, confidence``, the validation ``METRICS``
    (NaN when not logged) and every hyperparameter as a column ``hp.<name>``."""
    rows = []
    for run in report.runs:
        row: dict[str, Any] = {
            "run": run.run,
            "primary_label": run.primary_label or NOT_JUDGED,
            "label_text": label_text(run),
            "confidence": run.confidence,
            "best_val_loss": _number(run.numbers.get("best_val_loss")),
            "final_val_loss": _number(run.numbers.get("final_val_loss")),
            "best_val_acc": _extreme(run.curves.get("val_acc"), np.max),
            "final_val_acc": _number(run.numbers.get("final_val_acc")),
        }
        if math.isnan(row["best_val_loss"]):
            row["best_val_loss"] = _extreme(run.curves.get("val_loss"), np.min)
        for name, value in _flatten(run.hparams).items():
            row[HPARAM_PREFIX + name] = value
        rows.append(row)
    columns = ["run", "primary_label", "label_text", "confidence", *METRICS]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    hparams = sorted(column for column in frame.columns if column.startswith(HPARAM_PREFIX))
    frame = frame[columns + hparams]
    for column in hparams:
        frame[column] = _column(frame[column])
    return frame


def sweep_axes(table: pd.DataFrame) -> list[str]:
    """The hyperparameter columns worth plotting against: more than one value among the runs that
    have a validation metric. Learning rates and weight decays first, then by name."""
    has_metric = table[list(METRICS)].notna().any(axis=1) if len(table) else pd.Series(dtype=bool)
    axes = [
        column
        for column in table.columns
        if column.startswith(HPARAM_PREFIX) and table.loc[has_metric, column].dropna().astype(str).nunique() > 1
    ]
    return sorted(axes, key=lambda column: (not _LOG_HPARAM.search(column[len(HPARAM_PREFIX) :]), column))


def sweep_metrics(table: pd.DataFrame) -> list[str]:
    """The ``METRICS`` at least two runs have, in ``METRICS`` order."""
    return [metric for metric in METRICS if metric in table and table[metric].notna().sum() >= 2]


@dataclass(frozen=True)
class Axis:
    """How to draw a hyperparameter: ``log``, ``symlog`` (a log axis that also shows 0; ``constant`` is
    where it turns linear), ``linear`` or ``nominal`` (not numbers)."""

    scale: str
    constant: float | None = None


def hparam_scale(name: str, values: Iterable[Any]) -> Axis:
    """A log axis for learning rates, weight decays and any positive hyperparameter spanning more than
    ``LOG_DECADES`` decades (``symlog`` when some runs used 0); linear for other numbers; nominal else.
    With an empty ``name``, the axis of a metric: log when its positive values span the decades."""
    series = pd.Series(list(values), dtype=object).dropna()
    if series.empty or not all(_is_number(v) for v in series):
        return Axis("nominal")
    numbers = series.astype("float64")
    positive = numbers[numbers > 0]
    wide = len(positive) > 0 and math.log10(positive.max() / positive.min()) > LOG_DECADES
    if not (_LOG_HPARAM.search(name.removeprefix(HPARAM_PREFIX)) or wide) or positive.empty or (numbers < 0).any():
        return Axis("linear")
    if (numbers == 0).any():
        return Axis("symlog", float(positive.min()))
    return Axis("log")


def sweep_profile(table: pd.DataFrame, hparam: str, metric: str) -> pd.DataFrame | None:
    """The median and best ``metric`` at each value of ``hparam`` that several runs share (columns
    ``value, median, best, runs``, sorted by value), or None when every run has its own value."""
    data = _sweep_rows(table, hparam, metric)
    if data.empty or data[hparam].nunique() == len(data):
        return None
    direction = METRICS[metric][0]
    grouped = data.groupby(hparam, sort=True)[metric]
    profile = (
        pd.DataFrame(
            {"median": grouped.median(), "best": grouped.min() if direction == "min" else grouped.max(), "runs": grouped.size()}
        )
        .reset_index()
        .rename(columns={hparam: "value"})
    )
    return profile


@dataclass(frozen=True)
class SweepBest:
    """The best run of a sweep by one metric, and where its hyperparameter lies in the range searched."""

    run: str
    metric: str
    value: float
    hparam: str
    setting: Any
    low: Any
    high: Any
    values: int
    """How many distinct values of the hyperparameter were searched."""
    edge: str | None
    """``low`` or ``high`` when the best run used the smallest or largest value searched (of three or more)."""

    def describe(self) -> str:
        """One sentence for people: the best run, its setting, and whether it sits at an edge of the range."""
        name = self.hparam.removeprefix(HPARAM_PREFIX)
        text = f"Best run by {METRICS[self.metric][1]}: {self.run} ({self.value:.4g}), with {name} = {_show(self.setting)}"
        if self.low is None:
            return text + "."
        text += f" ({self.values} values searched, from {_show(self.low)} to {_show(self.high)})."
        if self.edge == "low" and self.setting > 0:
            return text + f" At the low edge of the range: the good region may lie below it; try smaller values of {name}."
        if self.edge == "low":
            return text + " At the low edge of the range."
        if self.edge == "high":
            return text + f" At the high edge of the range: the good region may lie above it; try larger values of {name}."
        return text + " It lies inside the range searched."


@validate_params({"metric": [Options(tuple(METRICS))]})
def sweep_best(table: pd.DataFrame, hparam: str, metric: str) -> SweepBest | None:
    """The run with the best ``metric`` among those with a value of ``hparam`` (None when there is none)."""
    data = _sweep_rows(table, hparam, metric)
    if data.empty:
        return None
    best = data.loc[data[metric].idxmin() if METRICS[metric][0] == "min" else data[metric].idxmax()]
    numeric = hparam_scale(hparam, data[hparam]).scale != "nominal"
    distinct = data[hparam].nunique()
    if not numeric:
        return SweepBest(best["run"], metric, float(best[metric]), hparam, best[hparam], None, None, distinct, None)
    low, high = data[hparam].min(), data[hparam].max()
    edge = None
    if distinct >= 3:
        edge = "low" if best[hparam] == low else "high" if best[hparam] == high else None
    return SweepBest(best["run"], metric, float(best[metric]), hparam, best[hparam], low, high, distinct, edge)


def _sweep_rows(table: pd.DataFrame, hparam: str, metric: str) -> pd.DataFrame:
    if hparam not in table or metric not in table:
        raise InvalidParameterError(
            f"The sweep table has no column {hparam if hparam not in table else metric!r}. "
            f"Hyperparameters: {', '.join(sweep_axes(table)) or 'none'}."
        )
    return table[table[hparam].notna() & table[metric].notna()]


def _flatten(hparams: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in hparams.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif value is None or isinstance(value, bool | str | int | float | np.number):
            flat[name] = value.item() if isinstance(value, np.number) else value
        else:
            flat[name] = str(value)
    return flat


def _column(series: pd.Series) -> pd.Series:
    """Numbers as float64 when every value is one (bools are not); text otherwise."""
    present = series.dropna()
    if len(present) and all(_is_number(v) for v in present):
        # 12 significant digits: 0.0003 and 0.00030000000000000003 are one setting of a sweep
        return series.astype("float64").map(lambda v: float(f"{v:.12g}"))
    return series.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)).astype(object)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _extreme(curve: Curve | None, how) -> float:
    if curve is None:
        return math.nan
    finite = curve.finite()
    return float(how(finite.values)) if len(finite) else math.nan


def _number(value: float | int | None) -> float:
    return math.nan if value is None else float(value)


def _show(value: Any) -> str:
    return f"{value:.4g}" if _is_number(value) else str(value)
