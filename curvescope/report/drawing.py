"""What a chart of a run shows, shared by the HTML report and the app: the same panels, series,
colours, thinning and evidence marks, whichever draws them.

- ``PANELS`` lays a run's curve roles out top to bottom; ``series_name`` names a curve in a legend;
  ``ROLE_COLOUR`` and ``MARK_COLOUR`` colour curves and evidence; ``UNSMOOTHED`` roles are drawn
  as logged;
- ``thin`` cuts a long curve to at most ``MAX_POINTS`` points, keeping spikes;
- ``curve_frame``, ``event_frame`` and ``overlay_frame`` give, as plain data, one run's curves
  (raw and smoothed with TensorBoard's smoothing), its evidence as marks placed on them, and one
  role of several runs on one step axis.

>>> report = curvescope.audit("fixtures/demo")                        # doctest: +SKIP
>>> curve_frame(report["keras/wine-mlp-tanh-sgd"], smoothing=0.6)     # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..diagnose.labels import LABELS, label_colour
from ..features.events import Curve
from ..features.smoothing import smooth
from ..params import Interval, Options, validate_params

if TYPE_CHECKING:
    from .result import Report, RunReport

MAX_POINTS = 2000
"""Curves longer than this are thinned for drawing (each bucket keeps its lowest and highest point)."""
LOG_DECADES = 2.0
"""Positive values spanning more decades than this are drawn on a log axis: a curve in the HTML
report, a hyperparameter (whatever its name) or a metric on a sweep's chart."""

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

ROLE_COLOUR = {"train_loss": "#1f77b4", "val_loss": "#ff7f0e", "train_acc": "#1f77b4", "val_acc": "#ff7f0e", "lr": "#546e7a"}
OTHER_COLOUR = "#546e7a"
"""The colour of a curve whose role has none of its own."""
MARK_COLOUR = {
    "plateau": "#9e9e9e",
    "frozen": "#37474f",
    "explosion": "#d32f2f",
    "non_finite": "#8e0000",
    "spike": "#212121",
    "lr_drop": "#7b1fa2",
    "best_step": "#00838f",
    "gap": "#6d4c41",
    "initial_loss": "#616161",
}
"""Each kind of evidence's colour on a chart."""
MARK_SHAPE = {"explosion": "triangle-up", "spike": "circle", "best_step": "diamond", "initial_loss": "square"}
"""The shape of each kind's ``point`` marks in ``event_frame`` (Vega-Lite's names)."""
MARK_KEY = {
    "plateau": "shaded: plateau",
    "frozen": "dark shading: the curve stopped moving",
    "explosion": "red triangles: explosion onset and peak",
    "non_finite": "dark red rule: first non-finite value",
    "spike": "black circle: spike",
    "lr_drop": "purple rule: learning-rate drop (dashed: read off the loss)",
    "best_step": "teal dashed rule and diamond: best validation step",
    "gap": "brown segment: train/validation gap",
    "initial_loss": "grey square and line: first loss and the chance-level loss",
}
"""What each kind's marks in ``event_frame`` look like, drawn in ``MARK_COLOUR`` and ``MARK_SHAPE``."""
MARK_MEANING = {
    "plateau": "plateau: the curve stopped improving",
    "frozen": "frozen: the curve stopped moving at all",
    "explosion": "explosion: the loss blew up (its onset and peak)",
    "non_finite": "the first non-finite value (NaN or infinity)",
    "spike": "spike: one point far off the trend",
    "lr_drop": "learning-rate drop",
    "best_step": "best validation step",
    "gap": "train/validation gap (both smoothed)",
    "initial_loss": "the first loss",
}
"""What each kind of mark means, in words, for a chart's tooltip."""
NO_VERDICT = "no verdict: context"
"""``event_frame``'s ``supports`` for a mark that backs no label."""


BADGE_HUES = (("red", 15), ("orange", 35), ("yellow", 70), ("green", 170), ("blue", 250), ("violet", 330), ("red", 360))
"""The named colours of badges (as Streamlit draws them) and the hue each ends at."""


def colour_name(colour: str) -> str:
    """The badge colour nearest ``#rrggbb``: by hue, gray when it has little colour."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    high, low = max(r, g, b), min(r, g, b)
    if high - low < 0.15:
        return "gray"
    if high == r:
        hue = 60 * (((g - b) / (high - low)) % 6)
    elif high == g:
        hue = 60 * ((b - r) / (high - low) + 2)
    else:
        hue = 60 * ((r - g) / (high - low) + 4)
    return next(name for name, end in BADGE_HUES if hue < end)


def badge_theme() -> dict[str, str]:
    """Streamlit theme options that make each label's badge its registry colour (``--theme.redColor`` for
    the label whose colour is nearest red), so that a badge and a chart show one colour per label."""
    return {f"--theme.{colour_name(label_colour(name))}Color": label_colour(name) for name in LABELS}


def series_name(curve: Curve, role: str) -> str:
    """A curve's name in a chart's legend: ``train: loss``."""
    return f"{ROLE_NAME.get(role, '')}: {curve.tag or role}"


@validate_params({"smoothing": [Interval(Real, 0.0, 1.0, closed="left")]})
def smoothing_weight(smoothing: float) -> float:
    """TensorBoard's smoothing weight, checked: a number in [0, 1)."""
    return float(smoothing)


def thin(steps: np.ndarray, values: np.ndarray, *alongside: np.ndarray, limit: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """At most ``limit`` points to draw: the curve cut in ``limit // 2`` buckets, each keeping its
    lowest and highest value, so that spikes and explosions survive. ``steps``, ``values`` and the
    arrays ``alongside`` them (a smoothed curve) keep the same points; arrays are returned as given
    when the curve is short enough."""
    n = len(values)
    if n <= limit:
        return (steps, values, *alongside)
    size = math.ceil(n / (limit // 2))
    padded = np.full(math.ceil(n / size) * size, np.nan)
    padded[:n] = values
    rows = padded.reshape(-1, size)
    start = np.arange(len(rows)) * size
    keep = np.unique(np.r_[start + np.nanargmin(rows, axis=1), start + np.nanargmax(rows, axis=1)])
    return tuple(array[keep] for array in (steps, values, *alongside))


# --- one run's curves and evidence -----------------------------------------------------------------


def panels(run: RunReport) -> list[str]:
    """The panels the run has a curve for, top to bottom."""
    return [name for name, roles in PANELS if any(len(run.curves.get(role, ())) for role in roles)]


def curve_frame(run: RunReport, smoothing: float = 0.6, *, log: bool = False, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """One row per point to draw of each of the run's curves.

    Columns ``panel, role, tag, series, step, value, smoothed``: ``smoothed`` is TensorBoard's
    smoothing of the whole curve with weight ``smoothing`` (the learning rate is not smoothed).
    Non-finite points are left out (the evidence marks where they began); with ``log``, so are
    values that a log axis cannot show. A curve longer than ``max_points`` is thinned, keeping
    each bucket's lowest and highest point so that spikes survive.
    """
    weight = smoothing_weight(smoothing)
    frames = []
    for role in ROLES:
        curve = run.curves.get(role)
        if curve is None or not len(curve):
            continue
        steps, values, smoothed = thin(*_drawn(curve, role, weight), limit=max_points)
        frames.append(
            pd.DataFrame(
                {
                    "panel": PANEL_OF[role],
                    "role": role,
                    "tag": curve.tag or role,
                    "series": series_name(curve, role),
                    "step": steps.astype(np.int64),
                    "value": values,
                    "smoothed": smoothed,
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


EVENT_COLUMNS = ["kind", "mark", "panel", "x", "x2", "y", "y2", "dashed", "description", "meaning", "supports", "numbers"]
"""``mark``: ``span`` (shade x to x2), ``rule`` (a vertical line at x; on every panel when ``panel`` is
None), ``point`` (at x, y), ``segment`` (vertical, at x from y to y2), ``level`` (a horizontal line at y).
``meaning`` says what the kind of mark is, ``supports`` the labels whose verdict it backs (``NO_VERDICT``
when none), ``numbers`` its steps and values as text (``.4g``)."""


def wide_range(run: RunReport) -> bool:
    """True when the run's losses span more than ``LOG_DECADES`` decades (a divergence to 2e+19): their
    chart starts on a log axis, as the HTML report draws it."""
    values = [run.curves[role].finite().values for role in PANELS[0][1] if role in run.curves]
    positive = np.concatenate([v[v > 0] for v in values]) if values else np.zeros(0)
    return len(positive) > 0 and math.log10(positive.max() / positive.min()) > LOG_DECADES


def event_frame(run: RunReport, smoothing: float = 0.6, *, log: bool = False) -> pd.DataFrame:
    """The run's located events as marks on its chart, placed on the curves as ``curve_frame`` draws
    them: plateaus shaded, explosion onset and peak on the smoothed curve, spikes on the raw one,
    learning-rate drops and the best validation step as rules through every panel (with the best
    value marked), the train/validation gap as a segment between the two curves, the chance-level
    loss as a level, the first non-finite value as a rule on its panel. With ``log``, marks at
    values a log axis cannot show are left out."""
    weight = smoothing_weight(smoothing)
    drawn = {role: _drawn(curve, role, weight) for role, curve in run.curves.items() if len(curve)}
    backing = _backing(run)
    rows: list[dict[str, Any]] = []
    supports = NO_VERDICT  # the labels the event being drawn backs, read by ``add``

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
                "meaning": MARK_MEANING[kind] if mark != "level" else "the chance-level loss",
                "supports": supports,
            }
        )

    for event in run.events:
        panel = PANEL_OF.get(event.role or "")
        text = event.description
        supports = ", ".join(backing.get((event.kind, event.start_step, event.end_step), ())) or NO_VERDICT
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
        if event.kind in ("plateau", "frozen"):
            add(event.kind, "span", panel, event.start_step, text, x2=event.end_step)
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
                y2=_at(event.end_step, raw_steps, smoothed),
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
    frame = frame[~bad].reset_index(drop=True)
    frame["numbers"] = [_numbers(row) for row in frame.itertuples()]
    return frame


def _backing(run: RunReport) -> dict[tuple[str, int, int], list[str]]:
    """The labels each located place backs, by (kind, start step, end step) of their verdicts' evidence."""
    backing: dict[tuple[str, int, int], list[str]] = {}
    for verdict in run.diagnosis.verdicts:
        for item in verdict.evidence:
            if item.start_step is None:
                continue
            labels = backing.setdefault((item.kind, item.start_step, item.end_step), [])
            if verdict.label not in labels:
                labels.append(verdict.label)
    return backing


def _numbers(mark) -> str:
    """A mark's steps and values as text, never cut short: ``step 120: 2.288e+19``."""
    if mark.mark == "span":
        return f"steps {_step(mark.x)} to {_step(mark.x2)}"
    if mark.mark == "rule":
        return f"step {_step(mark.x)}"
    if mark.mark == "level":
        return f"{mark.y:.4g}"
    if mark.mark == "segment":
        return f"step {_step(mark.x)}: train {mark.y:.4g}, validation {mark.y2:.4g}, gap {mark.y2 - mark.y:.4g}"
    return f"step {_step(mark.x)}: {mark.y:.4g}"


def _step(step: float) -> str:
    return f"{step:,.0f}" if float(step).is_integer() else f"{step:,.1f}"


def _drawn(curve: Curve, role: str, weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The finite points of a curve and their smoothed values, as ``curve_frame`` draws them."""
    values = np.asarray(curve.values, dtype=np.float64)
    smoothed = values.copy() if role in UNSMOOTHED else smooth(values, weight)
    keep = np.isfinite(values)
    return curve.steps[keep], values[keep], smoothed[keep]


def _at(step: float, steps: np.ndarray, values: np.ndarray) -> float:
    return float(np.interp(step, steps, values)) if len(steps) else math.nan


# --- several runs ----------------------------------------------------------------------------------


@validate_params({"role": [Options(ROLES)]})
def overlay_frame(
    report: Report, runs: Sequence[str], role: str, smoothing: float = 0.6, *, log: bool = False, max_points: int = MAX_POINTS
) -> pd.DataFrame:
    """One curve role of several runs on one step axis: columns ``run, tag, step, value, smoothed``,
    drawn as ``curve_frame`` draws one run (a run without that curve has no rows)."""
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
