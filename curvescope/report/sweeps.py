"""A sweep: one validation metric of many runs against the hyperparameters they were trained with.

``sweep_table`` gives a row per run with its validation ``METRICS`` and its hyperparameters;
``sweep_axes`` and ``sweep_metrics`` list what varies and what can judge it; ``hparam_scale`` says
how to draw a hyperparameter and ``metric_range`` where to cut a metric's axis; ``sweep_group`` names
the hyperparameter whose values must not share a median line, ``sweep_profile`` gives the median at each
value (a line per group), ``sweep_best`` the best run without a problem and whether it sits at an edge
of the range searched; ``parallel_frame`` places every varying hyperparameter and the metric on parallel
axes, a line per run; ``grouped`` the runs of each setting (its seeds) as one row, with means and spreads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError
from ..features.events import Curve
from ..features.smoothing import smooth
from ..params import Options, validate_params
from .drawing import LOG_DECADES
from .result import Report, RunReport
from .views import NOT_JUDGED, label_text

SMOOTHING = 0.6
"""The smoothing weight (TensorBoard's default) of the validation curves whose best value a sweep compares."""
DIVERGED = {"non_finite": ("train_loss", "val_loss", "train_acc", "val_acc"), "explosion": ("val_loss",)}
"""The events, and the curves they are on, that say a run diverged: non-finite values anywhere, or a
validation loss that blew up (a healthy run may recover from a burst in its training loss)."""
HPARAM_PREFIX = "hp."
"""``sweep_table`` names each hyperparameter's column ``hp.<name>`` (nested names joined with dots)."""

METRICS: dict[str, tuple[str, str]] = {
    "best_val_loss": ("min", "best validation loss"),
    "final_val_loss": ("min", "final validation loss"),
    "best_val_acc": ("max", "best validation accuracy"),
    "final_val_acc": ("max", "final validation accuracy"),
}
"""Validation metrics a sweep can be judged by: whether lower or higher is better, and a name for people."""

OUTLIER_FENCE = 3.0
"""Values further than this many interquartile ranges beyond the quartiles are off a sweep chart's axis."""

_DATA_HPARAM = re.compile(r"(^|[._/\-])(data|dataset|data[._\-]?set|task|corpus)([._/\-]|$)", re.IGNORECASE)
_SEED_HPARAM = re.compile(r"(^|[._/\-])(seed|random[._\-]?state|trial|run|repeat)([._/\-]|$)", re.IGNORECASE)
_LOG_HPARAM = re.compile(
    r"(^|[._/\-])(lr|lr0|learning[._\-]?rate|wd|weight[._\-]?decay|l2|eps|epsilon)([._/\-]|$)", re.IGNORECASE
)
_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
"""A hyperparameter logged as text that is a number: ``3e-5``, ``1E-3``, ``0.1``, ``-2``."""


def sweep_table(report: Report) -> pd.DataFrame:
    """One row per run: ``run, primary_label, label_text, confidence, caveat``, the validation ``METRICS``
    (NaN when not logged; the best values are those of the curve smoothed as TensorBoard does with
    ``SMOOTHING``, not a lucky dip of the raw points) and every hyperparameter as a column ``hp.<name>``.
    ``caveat`` says why a run cannot be the best of the sweep (``""`` when it can)."""
    rows = []
    for run in report.runs:
        row: dict[str, Any] = {
            "run": run.run,
            "primary_label": run.primary_label or NOT_JUDGED,
            "label_text": label_text(run),
            "confidence": run.confidence,
            "caveat": caveat(run),
            "best_val_loss": measured(run)["best_val_loss"],
            "final_val_loss": _number(run.numbers.get("final_val_loss")),
            "best_val_acc": measured(run)["best_val_acc"],
            "final_val_acc": _number(run.numbers.get("final_val_acc")),
        }
        for name, value in _flatten(run.hparams).items():
            row[HPARAM_PREFIX + name] = value
        rows.append(row)
    columns = ["run", "primary_label", "label_text", "confidence", "caveat", *METRICS]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    hparams = sorted(column for column in frame.columns if column.startswith(HPARAM_PREFIX))
    frame = frame[columns + hparams]
    for column in hparams:
        frame[column] = _column(frame[column])
    return frame


def caveat(run: RunReport) -> str:
    """Why a run cannot be a sweep's best: its problem labels, a divergence, a validation curve with
    non-finite values; ``""`` when none applies."""
    reasons = []
    problems = [label for label in run.labels if label != "healthy"]
    if problems:
        reasons.append("labelled " + ", ".join(problems))
    if any(event.role in DIVERGED.get(event.kind, ()) for event in run.events):
        reasons.append("diverged")
    if measured(run)["non_finite_validation"]:
        reasons.append("non-finite validation values")
    return "; ".join(reasons)


def sweep_numbers(curves: Mapping[str, Curve]) -> dict[str, float]:
    """What a sweep compares of a run, from its role curves: ``best_val_loss`` and ``best_val_acc`` (of the
    curves smoothed with ``SMOOTHING``; NaN when not logged) and ``non_finite_validation`` (1.0 when a
    validation curve holds a NaN or an infinity). The audit measures them while the curves are in memory,
    so that a sweep of a thousand runs reads none again."""
    non_finite = any(
        len(curve) and not np.isfinite(np.asarray(curve.values, dtype=np.float64)).all()
        for curve in (curves.get("val_loss"), curves.get("val_acc"))
        if curve is not None
    )
    return {
        "best_val_loss": _smoothed_extreme(curves.get("val_loss"), np.min),
        "best_val_acc": _smoothed_extreme(curves.get("val_acc"), np.max),
        "non_finite_validation": float(non_finite),
    }


def measured(run: RunReport) -> dict[str, float]:
    """``sweep_numbers`` of the run: as the audit measured them, else from its curves read again."""
    return run.sweep if run.sweep is not None else sweep_numbers(run.curves)


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


def sweep_group(table: pd.DataFrame, hparam: str) -> str | None:
    """The hyperparameter whose values should not be pooled into one median line with ``hparam``: a data
    set or task when one varies, else the first other varying one that is no seed; None when only seeds
    (or nothing) vary besides ``hparam``."""
    others = [column for column in sweep_axes(table) if column != hparam]
    data = [column for column in others if _DATA_HPARAM.search(column.removeprefix(HPARAM_PREFIX))]
    kept = [column for column in others if not _SEED_HPARAM.search(column.removeprefix(HPARAM_PREFIX))]
    return (data or kept or [None])[0]


def sweep_profile(table: pd.DataFrame, hparam: str, metric: str, by: str | None = None) -> pd.DataFrame | None:
    """The median and best ``metric`` at each value of ``hparam``, a line per value of the hyperparameter
    ``by`` in which several runs share a value (columns ``group, value, median, best, runs``, sorted by
    group and value; ``group`` is ``""`` without ``by``), or None when no runs share a value."""
    data = _sweep_rows(table, hparam, metric)
    group = data[by].astype(str) if by is not None else pd.Series("", index=data.index)
    data = data.assign(group=group)
    shared = data.loc[data.duplicated(["group", hparam]), "group"]
    data = data[data["group"].isin(shared)]  # a group whose runs each have their own value has no median
    if data.empty:
        return None
    direction = METRICS[metric][0]
    grouped = data.groupby(["group", hparam], sort=True)[metric]
    profile = pd.DataFrame(
        {"median": grouped.median(), "best": grouped.min() if direction == "min" else grouped.max(), "runs": grouped.size()}
    ).reset_index()
    return profile.rename(columns={hparam: "value"})[["group", "value", "median", "best", "runs"]]


@dataclass(frozen=True)
class Range:
    """The part of a metric's axis to draw: ``low`` to ``high``, and how many of the values lie outside it."""

    low: float
    high: float
    off: int


def metric_range(values: Iterable[float]) -> Range | None:
    """Where to cut a metric's axis so that one far outlier (a run at 1e+200) does not flatten the others:
    beyond ``OUTLIER_FENCE`` interquartile ranges from the quartiles (of the logarithms when every value is
    positive). None when no value lies that far out."""
    numbers = np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)
    if len(numbers) < 4:
        return None
    positive = bool((numbers > 0).all())
    scaled = np.log10(numbers) if positive else numbers
    q1, q3 = np.percentile(scaled, [25, 75])
    floor = 1.0 if positive else 0.1 * max(abs(q1), abs(q3))  # a decade, or a tenth: close values stay in
    reach = max(OUTLIER_FENCE * (q3 - q1), floor)
    inside = (scaled >= q1 - reach) & (scaled <= q3 + reach)
    if inside.all():
        return None
    kept = numbers[inside]
    return Range(float(kept.min()), float(kept.max()), int((~inside).sum()))


@dataclass(frozen=True)
class SweepBest:
    """The best run of a sweep by one metric among those without a ``caveat``, and where its hyperparameter
    lies in the range searched."""

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
    set_aside: int = 0
    """How many runs with a caveat were left out of the choice."""
    caveat: str = ""
    """The best run's own caveat: set only when every run has one."""

    def describe(self) -> str:
        """For people: the best run, its setting, whether it sits at an edge of the range, what was set aside."""
        name = self.hparam.removeprefix(HPARAM_PREFIX)
        text = f"Best run by {METRICS[self.metric][1]}: {self.run} ({self.value:.4g}), with {name} = {_show(self.setting)}"
        if self.low is None:
            text += "."
        else:
            text += f" ({self.values} values searched, from {_show(self.low)} to {_show(self.high)})."
        if self.edge == "low" and self.setting > 0:
            text += f" At the low edge of the range: the good region may lie below it; try smaller values of {name}."
        elif self.edge == "low":
            text += " At the low edge of the range."
        elif self.edge == "high":
            text += f" At the high edge of the range: the good region may lie above it; try larger values of {name}."
        elif self.low is not None:
            text += " It lies inside the range searched."
        if self.caveat:
            return text + f" Every run has a problem; this one is {self.caveat}."
        if self.set_aside:
            runs = "run" if self.set_aside == 1 else "runs"
            text += f" {self.set_aside} {runs} with a problem label, a divergence or non-finite validation values set aside."
        return text


@validate_params({"metric": [Options(tuple(METRICS))]})
def sweep_best(table: pd.DataFrame, hparam: str, metric: str) -> SweepBest | None:
    """The run with the best ``metric`` among those with a value of ``hparam`` and no ``caveat`` (when every
    run has one, the best of them, its caveat said); None when no run has both values."""
    data = _sweep_rows(table, hparam, metric)
    if data.empty:
        return None
    clean = data[data["caveat"] == ""]
    pool = clean if len(clean) else data
    best = pool.loc[pool[metric].idxmin() if METRICS[metric][0] == "min" else pool[metric].idxmax()]
    found = {"set_aside": len(data) - len(clean), "caveat": "" if len(clean) else best["caveat"]}
    numeric = hparam_scale(hparam, data[hparam]).scale != "nominal"
    distinct = data[hparam].nunique()
    if not numeric:
        return SweepBest(best["run"], metric, float(best[metric]), hparam, best[hparam], None, None, distinct, None, **found)
    low, high = data[hparam].min(), data[hparam].max()
    edge = None
    if distinct >= 3:
        edge = "low" if best[hparam] == low else "high" if best[hparam] == high else None
    return SweepBest(best["run"], metric, float(best[metric]), hparam, best[hparam], low, high, distinct, edge, **found)


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
    """Numbers as float64 when every value is one or reads as one (``"3e-5"``, ``"1E-3"``; bools are not);
    text otherwise."""
    present = series.dropna()
    if len(present) and all(_is_number(v) or _NUMBER_TEXT.fullmatch(str(v).strip()) for v in present):
        # 12 significant digits: 0.0003 and 0.00030000000000000003 are one setting of a sweep
        return series.map(lambda v: v if v is None else float(f"{float(str(v).strip()):.12g}")).astype("float64")
    return series.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)).astype(object)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _smoothed_extreme(curve: Curve | None, how) -> float:
    if curve is None:
        return math.nan
    finite = curve.finite()
    return float(how(smooth(finite.values, SMOOTHING))) if len(finite) else math.nan


def _number(value: float | int | None) -> float:
    return math.nan if value is None else float(value)


def _show(value: Any) -> str:
    return f"{value:.4g}" if _is_number(value) else str(value)


def parallel_frame(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Every varying hyperparameter and ``metric`` as parallel axes, a line per run: columns ``run,
    primary_label, axis, position, shown`` (one row per run and axis). ``position`` places the value
    on its axis from 0 (lowest) to 1 (highest): on a log scale for the axes ``hparam_scale`` draws so,
    in sorted order for text; ``shown`` is the value as text. Axes in ``sweep_axes`` order, the metric
    last; runs without a value of ``metric`` are left out."""
    if metric not in table:
        raise InvalidParameterError(f"The sweep table has no column {metric!r}.")
    data = table[table[metric].notna()]
    rows = []
    for column in [*sweep_axes(table), metric]:
        values = data[column]
        scale = hparam_scale(column if column != metric else "", values.dropna()).scale
        position = _positions(values, scale)
        name = column.removeprefix(HPARAM_PREFIX) if column != metric else METRICS[metric][1]
        rows.append(
            pd.DataFrame(
                {
                    "run": data["run"],
                    "primary_label": data["primary_label"],
                    "axis": name,
                    "position": position,
                    "shown": [("" if v is None or (isinstance(v, float) and math.isnan(v)) else _show(v)) for v in values],
                }
            )
        )
    columns = ["run", "primary_label", "axis", "position", "shown"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


def _positions(values: pd.Series, scale: str) -> np.ndarray:
    """Values placed from 0 to 1 on their axis (NaN where missing)."""
    if scale == "nominal":
        order = sorted({str(v) for v in values.dropna()})
        index = {v: i for i, v in enumerate(order)}
        spread = max(len(order) - 1, 1)
        return np.array([np.nan if v is None or v != v else index[str(v)] / spread for v in values], dtype=np.float64)
    numbers = values.astype("float64").to_numpy()
    if scale in ("log", "symlog"):
        positive = numbers[numbers > 0]
        floor = positive.min() / 10 if len(positive) else 1.0
        numbers = np.log10(np.where(numbers > 0, numbers, np.where(np.isnan(numbers), np.nan, floor)))
    if not np.isfinite(numbers).any():
        return numbers
    low, high = np.nanmin(numbers), np.nanmax(numbers)
    return (numbers - low) / (high - low) if high > low else np.where(np.isfinite(numbers), 0.5, np.nan)


def sweep_facets(table: pd.DataFrame, by: str) -> list[tuple[str, pd.DataFrame]]:
    """The sweep table cut by the values of the hyperparameter ``by`` (a data set, an optimizer): one
    chart each, so that runs of different settings are never read off one axis. Values in sorted order,
    as text; runs without a value of ``by`` are left out."""
    if by not in table:
        raise InvalidParameterError(
            f"The sweep table has no column {by!r}. Hyperparameters: {', '.join(sweep_axes(table)) or 'none'}."
        )
    values = table[by].dropna()
    return [(_show(value), table[table[by] == value].reset_index(drop=True)) for value in sorted(values.unique(), key=str)]


def grouped(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Runs that share the values of the hyperparameters ``by`` (the seeds of one setting) as one row, as
    W&B groups a run table: ``by``'s columns, ``runs``, ``labels`` (how many runs carry each strongest
    label), and the mean and standard deviation of each of ``METRICS`` (``best_val_loss_mean``,
    ``best_val_loss_std``, ...; NaN where no run of the group has it). Groups in sorted order."""
    missing = [column for column in by if column not in table]
    if missing or not by:
        raise InvalidParameterError(
            f"Group runs by hyperparameters of the sweep table ({', '.join(sweep_axes(table)) or 'none'}). "
            f"Got {', '.join(missing) or 'none'}."
        )
    keys = list(by)
    data = table.dropna(subset=keys)
    if data.empty:
        return pd.DataFrame(columns=[*keys, "runs", "labels", *(f"{m}_{stat}" for m in METRICS for stat in ("mean", "std"))])
    groups = data.groupby(keys, sort=True)
    counts = pd.crosstab([data[key] for key in keys], data["primary_label"])
    out = groups.size().rename("runs").to_frame()
    out["labels"] = [
        ", ".join(f"{label} {count}" for label, count in sorted(row.items(), key=lambda item: -item[1]) if count)
        for _, row in counts.loc[out.index].iterrows()
    ]
    for metric in METRICS:
        present = groups[metric].count()
        out[f"{metric}_mean"] = groups[metric].mean().astype("float64")
        out[f"{metric}_std"] = groups[metric].std(ddof=0).astype("float64").where(present > 1)
    out = out.reset_index()
    out[keys] = out[keys].map(_show)  # grouped in the values' order (1e-4 before 3e-4 before 1e-3), shown as text
    columns = [*keys, "runs", "labels", *(f"{metric}_{stat}" for metric in METRICS for stat in ("mean", "std"))]
    return out[columns]


def group_members(table: pd.DataFrame, by: Sequence[str]) -> dict[str, list[str]]:
    """The runs of each group of ``grouped``, named ``lr=0.1, optimizer=Adam``, in the same order."""
    keys = list(by)
    data = table.dropna(subset=keys)
    shown = data.assign(**{key: data[key].map(_show) for key in keys})
    return {
        ", ".join(
            f"{key.removeprefix(HPARAM_PREFIX)}={value}"
            for key, value in zip(keys, values if isinstance(values, tuple) else (values,))
        ): list(part["run"])
        for values, part in shown.groupby(keys, sort=True)
    }


def seedless(table: pd.DataFrame) -> list[str]:
    """The varying hyperparameters that are no seed, trial or repeat: what a group of runs shares."""
    return [column for column in sweep_axes(table) if not _SEED_HPARAM.search(column.removeprefix(HPARAM_PREFIX))]
