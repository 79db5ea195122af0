"""What the report app draws and filters, as plain data: the app only renders it.

The Streamlit app (``app/``) keeps no numbers of its own. Everything it shows that is not a
field of a ``Report`` comes from here, so that it can be tested without a browser and used from
a notebook:

- ``Filters`` selects runs by label, confidence and name, and round-trips through a URL's query;
- ``overview_frame``, ``curve_frame`` and ``event_frame`` give one run's table row, its curves
  (raw and smoothed with TensorBoard's smoothing) and the evidence as marks to draw on them;
- ``overlay_frame`` lines several runs up on one role; ``sweep_table``, ``sweep_axes``,
  ``hparam_scale``, ``sweep_profile`` and ``sweep_best`` show a metric against a hyperparameter.

>>> report = curvescope.audit("fixtures/demo")                        # doctest: +SKIP
>>> curve_frame(report["keras/wine-mlp-tanh-sgd"], smoothing=0.6)     # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .diagnose.labels import LABELS
from .errors import InvalidParameterError
from .features.events import Curve
from .features.smoothing import smooth
from .report.result import Report, RunReport

MAX_POINTS = 2000
"""Curves longer than this are thinned for drawing (each bucket keeps its lowest and highest point)."""

PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("loss", ("train_loss", "val_loss")),
    ("accuracy", ("train_acc", "val_acc")),
    ("learning rate", ("lr",)),
)
"""A run's chart, top to bottom: each panel's name and the roles drawn on it."""
PANEL_OF: dict[str, str] = {role: name for name, roles in PANELS for role in roles}
ROLES: tuple[str, ...] = tuple(role for _, roles in PANELS for role in roles)
ROLE_NAME = {"train_loss": "train", "val_loss": "val", "train_acc": "train", "val_acc": "val", "lr": "lr"}
UNSMOOTHED = frozenset({"lr"})
"""Roles drawn as logged: a learning rate is a setting, not a noisy measurement."""

NOT_JUDGED = "not judged"
"""What a run that could not be judged at all shows in place of labels."""

QUERY_LABEL, QUERY_MIN_CONFIDENCE, QUERY_NAME = "label", "min_confidence", "q"
"""The URL query keys of the filters (``?label=overfitting&label=bad_init&min_confidence=0.8&q=keras``)."""


# --- choosing runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which runs to show: one of ``labels`` (any when empty) with at least ``min_confidence``, and
    ``name`` in the run's name (case-insensitive; any when empty)."""

    labels: tuple[str, ...] = ()
    min_confidence: float = 0.0
    name: str = ""

    def __post_init__(self):
        unknown = sorted(set(self.labels) - set(LABELS))
        if unknown:
            raise InvalidParameterError(
                f"The 'labels' parameter of Filters must name labels among {', '.join(LABELS)}. Got {', '.join(unknown)} instead."
            )
        if isinstance(self.min_confidence, bool) or not 0.0 <= self.min_confidence <= 1.0:
            raise InvalidParameterError(
                f"The 'min_confidence' parameter of Filters must be a number in [0, 1]. Got {self.min_confidence!r} instead."
            )

    @property
    def active(self) -> bool:
        return bool(self.labels or self.min_confidence > 0 or self.name.strip())

    def apply(self, report: Report) -> Report:
        """The report with only the runs that pass (a run that could not be judged passes when no
        label or confidence is asked for)."""
        kept = (
            report.filter(labels=self.labels, min_confidence=self.min_confidence)
            if (self.labels or self.min_confidence > 0)
            else report
        )
        needle = self.name.strip().casefold()
        if needle:
            kept = replace(kept, runs=tuple(run for run in kept.runs if needle in run.run.casefold()))
        return kept

    def to_query(self) -> dict[str, str | list[str]]:
        """The filters as URL query parameters; defaults are left out."""
        query: dict[str, str | list[str]] = {}
        if self.labels:
            query[QUERY_LABEL] = list(self.labels)
        if self.min_confidence > 0:
            query[QUERY_MIN_CONFIDENCE] = f"{self.min_confidence:g}"
        if self.name.strip():
            query[QUERY_NAME] = self.name
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, str | Sequence[str]]) -> tuple[Filters, list[str]]:
        """Filters read from URL query parameters, and a sentence for each one that could not be used
        (it is then left at its default)."""
        problems: list[str] = []
        labels = query.get(QUERY_LABEL, ())
        labels = [labels] if isinstance(labels, str) else list(labels)
        known = tuple(dict.fromkeys(label for label in labels if label in LABELS))
        unknown = [label for label in labels if label not in LABELS]
        if unknown:
            problems.append(f"{QUERY_LABEL}={', '.join(unknown)}: not a label (labels: {', '.join(LABELS)}); ignored.")
        confidence = 0.0
        raw = _last(query.get(QUERY_MIN_CONFIDENCE))
        if raw:
            try:
                confidence = float(raw)
            except ValueError:
                confidence = math.nan
            if not 0.0 <= confidence <= 1.0:
                problems.append(f"{QUERY_MIN_CONFIDENCE}={raw}: not a number between 0 and 1; ignored.")
                confidence = 0.0
        return cls(known, confidence, _last(query.get(QUERY_NAME)) or ""), problems


def _last(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value[-1] if len(value) else None


# --- the overview ----------------------------------------------------------------------------------


def label_text(run: RunReport) -> str:
    """The run's labels with their confidence, strongest first: ``overfitting 98%, bad_init 61%``."""
    confidences = run.label_confidences()
    return ", ".join(f"{label} {confidence:.0%}" for label, confidence in confidences.items()) or NOT_JUDGED


def overview_frame(report: Report) -> pd.DataFrame:
    """``Report.to_frame`` with ``label_text`` (labels and confidences as text) and ``labels`` as a
    list of strings (``["not judged"]`` for a run that could not be judged)."""
    frame = report.to_frame()
    frame.insert(2, "label_text", [label_text(run) for run in report.runs])
    frame["labels"] = [list(run.labels) or [NOT_JUDGED] for run in report.runs]
    # to_frame writes a missing label, driver or fix as the text "None": here they stay missing
    verdicts = [run.diagnosis.verdicts[0] if run.diagnosis.verdicts else None for run in report.runs]
    frame["primary_label"] = pd.Series([run.primary_label for run in report.runs], dtype="str")
    frame["driver"] = pd.Series([v.driver if v else None for v in verdicts], dtype="str")
    frame["fix"] = pd.Series([run.fix for run in report.runs], dtype="str")
    return frame


def label_counts(report: Report) -> pd.DataFrame:
    """How many runs carry each label (in ``LABELS`` order; runs not judged counted last), columns ``label, runs``."""
    counts = report.counts()
    rows = [(label, counts[label]) for label in LABELS if counts.get(label)]
    unjudged = sum(not run.labels for run in report.runs)
    if unjudged:
        rows.append((NOT_JUDGED, unjudged))
    return pd.DataFrame(rows, columns=["label", "runs"])


# --- one run's curves and evidence -----------------------------------------------------------------


def curve_frame(run: RunReport, smoothing: float = 0.6, *, log: bool = False, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """One row per point to draw of each of the run's curves.

    Columns ``panel, role, tag, series, step, value, smoothed``: ``smoothed`` is TensorBoard's
    smoothing of the whole curve with weight ``smoothing`` (the learning rate is not smoothed).
    Non-finite points are left out (the evidence marks where they began); with ``log``, so are
    values that a log axis cannot show. A curve longer than ``max_points`` is thinned, keeping
    each bucket's lowest and highest point so that spikes survive.
    """
    weight = _weight(smoothing)
    frames = []
    for role in ROLES:
        curve = run.curves.get(role)
        if curve is None or not len(curve):
            continue
        values = np.asarray(curve.values, dtype=np.float64)
        smoothed = values.copy() if role in UNSMOOTHED else smooth(values, weight)
        keep = np.isfinite(values)
        steps, values, smoothed = curve.steps[keep], values[keep], smoothed[keep]
        index = _thin(values, max_points)
        frames.append(
            pd.DataFrame(
                {
                    "panel": PANEL_OF[role],
                    "role": role,
                    "tag": curve.tag or role,
                    "series": _series(curve, role),
                    "step": steps[index].astype(np.int64),
                    "value": values[index],
                    "smoothed": smoothed[index],
                }
            )
        )
    columns = ["panel", "role", "tag", "series", "step", "value", "smoothed"]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    if log:
        frame = frame.assign(
            value=frame["value"].where(frame["value"] > 0), smoothed=frame["smoothed"].where(frame["smoothed"] > 0)
        )
        frame = frame[frame["value"].notna() | frame["smoothed"].notna()].reset_index(drop=True)
    return frame[columns]


def panels(run: RunReport) -> list[str]:
    """The panels the run has a curve for, top to bottom."""
    return [name for name, roles in PANELS if any(len(run.curves.get(role, ())) for role in roles)]


EVENT_COLUMNS = ["kind", "mark", "panel", "x", "x2", "y", "y2", "dashed", "description"]
"""``mark``: ``span`` (shade x to x2), ``rule`` (a vertical line at x; on every panel when ``panel`` is
None), ``point`` (at x, y), ``segment`` (vertical, at x from y to y2), ``level`` (a horizontal line at y)."""


def event_frame(run: RunReport, smoothing: float = 0.6, *, log: bool = False) -> pd.DataFrame:
    """The run's located events as marks on its chart, placed on the curves as ``curve_frame`` draws
    them: plateaus shaded, explosion onset and peak on the smoothed curve, spikes on the raw one,
    learning-rate drops and the best validation step as rules through every panel (with the best
    value marked), the train/validation gap as a segment between the two curves, the chance-level
    loss as a level, the first non-finite value as a rule on its panel. With ``log``, marks at
    values a log axis cannot show are left out."""
    weight = _weight(smoothing)
    drawn = {role: _drawn(curve, role, weight) for role, curve in run.curves.items() if len(curve)}
    rows: list[dict[str, Any]] = []

    def add(kind, mark, panel, x, description, *, x2=None, y=None, y2=None, dashed=False):
        rows.append(
            {
                "kind": kind,
                "mark": mark,
                "panel": panel,
                "x": x,
                "x2": x2,
                "y": y,
                "y2": y2,
                "dashed": dashed,
                "description": description,
            }
        )

    for event in run.events:
        panel = PANEL_OF.get(event.role or "")
        text = event.description
        if event.kind == "lr_drop":
            inferred = event.inferred
            add(
                "lr_drop",
                "rule",
                None,
                (event.start_step + event.end_step) / 2 if inferred else event.end_step,
                text,
                dashed=inferred,
            )
            continue
        if event.kind == "best_step":
            add("best_step", "rule", None, event.end_step, text, dashed=True)
            if panel and math.isfinite(event.magnitude):
                add("best_step", "point", panel, event.end_step, text, y=float(event.magnitude))
            continue
        if panel is None or event.role not in drawn:
            continue
        raw_steps, raw_values, smoothed = drawn[event.role]
        if event.kind == "plateau":
            add("plateau", "span", panel, event.start_step, text, x2=event.end_step)
        elif event.kind == "explosion":
            for step in (event.start_step, event.end_step):
                add("explosion", "point", panel, step, text, y=_at(step, raw_steps, smoothed))
        elif event.kind == "spike":
            add("spike", "point", panel, event.start_step, text, y=_at(event.start_step, raw_steps, raw_values))
        elif event.kind == "non_finite":
            add("non_finite", "rule", panel, event.start_step, text)
        elif event.kind == "gap" and "train_loss" in drawn:
            train_steps, _, train_smoothed = drawn["train_loss"]
            add(
                "gap",
                "segment",
                panel,
                event.end_step,
                text,
                y=_at(event.end_step, train_steps, train_smoothed),
                y2=_at(event.end_step, raw_steps, raw_values),
            )
        elif event.kind == "initial_loss" and len(raw_values):
            first = float(raw_values[0])
            add("initial_loss", "point", panel, event.start_step, text, y=first)
            if event.magnitude > 0:
                add("initial_loss", "level", panel, event.start_step, f"chance level: {text}", y=first / event.magnitude)
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    for column in ("y", "y2"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    needs_y = frame["mark"].isin(["point", "level", "segment"])
    bad = needs_y & ~np.isfinite(frame["y"])
    bad |= (frame["mark"] == "segment") & ~np.isfinite(frame["y2"])
    if log:
        bad |= needs_y & ~(frame["y"] > 0)
        bad |= (frame["mark"] == "segment") & ~(frame["y2"] > 0)
    return frame[~bad].reset_index(drop=True)


def _drawn(curve: Curve, role: str, weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The finite points of a curve and their smoothed values, as ``curve_frame`` draws them."""
    values = np.asarray(curve.values, dtype=np.float64)
    smoothed = values.copy() if role in UNSMOOTHED else smooth(values, weight)
    keep = np.isfinite(values)
    return curve.steps[keep], values[keep], smoothed[keep]


def _at(step: float, steps: np.ndarray, values: np.ndarray) -> float:
    return float(np.interp(step, steps, values)) if len(steps) else math.nan


def only(report: Report, runs: Iterable[str]) -> Report:
    """The report with only the named runs, in the order given (names it does not hold are skipped)."""
    by_name = {run.run: run for run in report.runs}
    return replace(report, runs=tuple(by_name[name] for name in dict.fromkeys(runs) if name in by_name))


# --- several runs ----------------------------------------------------------------------------------


def roles_of(report: Report, runs: Iterable[str]) -> list[str]:
    """The roles (in ``ROLES`` order) that at least one of ``runs`` logged."""
    present = {role for name in runs for role, curve in report[name].curves.items() if len(curve)}
    return [role for role in ROLES if role in present]


def overlay_frame(
    report: Report, runs: Sequence[str], role: str, smoothing: float = 0.6, *, log: bool = False, max_points: int = MAX_POINTS
) -> pd.DataFrame:
    """One curve role of several runs on one step axis: columns ``run, tag, step, value, smoothed``,
    drawn as ``curve_frame`` draws one run (a run without that curve has no rows)."""
    if role not in ROLES:
        raise InvalidParameterError(
            f"The 'role' parameter of overlay_frame must be one of {', '.join(ROLES)}. Got {role!r} instead."
        )
    frames = []
    for name in runs:
        curve = report[name].curves.get(role)
        if curve is None or not len(curve):
            continue
        one = curve_frame(_only(report[name], role), smoothing, log=log, max_points=max_points)
        frames.append(one.assign(run=name)[["run", "tag", "step", "value", "smoothed"]])
    if not frames:
        return pd.DataFrame(
            {
                "run": pd.Series(dtype=str),
                "tag": pd.Series(dtype=str),
                "step": pd.Series(dtype="int64"),
                "value": pd.Series(dtype="float64"),
                "smoothed": pd.Series(dtype="float64"),
            }
        )
    return pd.concat(frames, ignore_index=True)


def _only(run: RunReport, role: str) -> RunReport:
    return replace(run, curves={role: run.curves[role]})


# --- sweeps ----------------------------------------------------------------------------------------

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
LOG_DECADES = 2.0
"""A positive hyperparameter spanning more decades than this is shown on a log axis, whatever its name."""


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


def sweep_best(table: pd.DataFrame, hparam: str, metric: str) -> SweepBest | None:
    """The run with the best ``metric`` among those with a value of ``hparam`` (None when there is none)."""
    if metric not in METRICS:
        raise InvalidParameterError(
            f"The 'metric' parameter of sweep_best must be one of {', '.join(METRICS)}. Got {metric!r} instead."
        )
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


# --- helpers ---------------------------------------------------------------------------------------


def _series(curve: Curve, role: str) -> str:
    return f"{ROLE_NAME[role]}: {curve.tag or role}"


def _weight(smoothing: float) -> float:
    if isinstance(smoothing, bool) or not isinstance(smoothing, int | float) or not 0.0 <= smoothing < 1.0:
        raise InvalidParameterError(
            f"The 'smoothing' parameter must be a float in the range [0.0, 1.0). Got {smoothing!r} instead."
        )
    return float(smoothing)


def _thin(values: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` points to draw: the curve cut in ``limit // 2`` buckets, each
    keeping its lowest and highest point (the HTML report thins the same way)."""
    n = len(values)
    if n <= limit:
        return np.arange(n)
    size = math.ceil(n / (limit // 2))
    padded = np.full(math.ceil(n / size) * size, np.nan)
    padded[:n] = values
    rows = padded.reshape(-1, size)
    start = np.arange(len(rows)) * size
    return np.unique(np.r_[start + np.nanargmin(rows, axis=1), start + np.nanargmax(rows, axis=1)])
