"""Every scalar a run logged, browsed as in TensorBoard: all its tags (not only the five role curves),
narrowed by a pattern, against step, epoch, time or the fraction of training, smoothed, with the
axis free of outliers if asked, and downloadable as logged.

- ``run_scalars`` gives one run's points as logged (``tag, step, wall_time, value``);
- ``tags_of`` and ``matching_tags`` list the tags of some runs, and those a regular expression keeps;
- ``scalar_frame`` gives the points to draw (a chart per tag, a line per run) on one of ``X_AXES``
  (``default_x`` aligns runs by the fraction of training when their step scales differ);
  ``hover_frame`` every run's value at each x of a tag, for a tooltip that shows them all;
- ``value_domain`` is the y-range that leaves the outliers out (TensorBoard's "ignore outliers");
- ``band_frame`` draws a group of runs (the seeds of one setting) as its mean and the band around it;
- ``raw_scalars`` and ``export`` give the runs and tags shown, as logged, as CSV or Parquet bytes.

>>> report = curvescope.audit("fixtures/demo")                                     # doctest: +SKIP
>>> scalar_frame(report, ["keras/wine-mlp-tanh-sgd"], ["loss", "val_loss"], x="epoch")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError
from ..features.smoothing import smooth
from ..params import Options, validate_params
from .drawing import MAX_POINTS, smoothing_weight, thin

if TYPE_CHECKING:
    from .result import Report, RunReport

X_AXES: dict[str, str] = {
    "step": "step",
    "epoch": "epoch",
    "fraction": "fraction of training",
    "relative": "relative time (hours)",
    "wall": "wall time",
}
"""What a scalar can be drawn against, and the axis's title. ``fraction`` (0 at a run's first step, 1 at
its last) and ``epoch`` align runs whose step scales differ."""
EXPORT_FORMATS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
"""The formats ``export`` writes, and their media types."""
OUTLIER_QUANTILES = (0.05, 0.95)
"""``value_domain`` with outliers ignored spans these quantiles of the values (TensorBoard's choice),
widened by a tenth of that span on each side."""
RAW_COLUMNS = ["run", "tag", "step", "wall_time", "value"]
FRAME_COLUMNS = ["run", "tag", "step", "x", "value", "smoothed"]

_EPOCH_TAG = re.compile(r"(^|[/._\-])epoch$", re.IGNORECASE)
"""A tag that counts epochs: ``epoch``, ``train/epoch`` (Lightning, the Hugging Face Trainer)."""
_PER_EPOCH_FORMATS = ("keras_csv",)
"""Formats whose steps are epochs (Keras' CSVLogger writes a row per epoch)."""
_PER_EPOCH_TAG = re.compile(r"(^|/)epoch_")
"""A tag whose steps are epochs: Keras' TensorBoard callback logs ``train/epoch_loss`` once per epoch."""


def run_scalars(run: RunReport) -> pd.DataFrame:
    """Every point the run logged, of every tag: columns ``tag, step, wall_time, value`` (``wall_time``
    NaN where the log keeps no time). A report built from curves in memory has only its role curves."""
    read = getattr(run.curves, "scalars", None)
    if read is not None:
        frame = read()
        return pd.DataFrame(
            {
                "tag": frame["tag"].astype("str").to_numpy(),
                "step": frame["step"].to_numpy(dtype=np.int64),
                "wall_time": frame["wall_time"].to_numpy(dtype=np.float64),
                "value": frame["value"].to_numpy(dtype=np.float64),
            }
        )
    parts = [
        pd.DataFrame({"tag": curve.tag or role, "step": curve.steps, "wall_time": math.nan, "value": curve.values})
        for role, curve in run.curves.items()
        if len(curve)
    ]
    if not parts:
        return pd.DataFrame({"tag": pd.Series(dtype="str"), "step": pd.Series(dtype="int64"), "wall_time": [], "value": []})
    return pd.concat(parts, ignore_index=True).astype({"tag": "str", "step": "int64", "wall_time": "float64"})


def tags_of(report: Report, runs: Sequence[str]) -> list[str]:
    """The tags at least one of ``runs`` logged, sorted (case-insensitive)."""
    found = {tag for name in runs for tag in run_scalars(report[name])["tag"].unique()}
    return sorted(found, key=lambda tag: (tag.casefold(), tag))


def matching_tags(tags: Sequence[str], pattern: str) -> list[str]:
    """The tags a regular expression finds anywhere in (case-insensitive; all when blank). A pattern that
    does not compile raises ``InvalidParameterError`` saying why in one line."""
    if not pattern.strip():
        return list(tags)
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise InvalidParameterError(f"{pattern!r} is not a regular expression: {error}") from None
    return [tag for tag in tags if regex.search(tag)]


def epoch_at(run: RunReport, scalars: pd.DataFrame, steps: np.ndarray) -> np.ndarray | None:
    """The epoch at each step: read off the run's epoch tag, or the steps themselves when its format logs a
    row per epoch; None when the run says nothing of its epochs."""
    tags = [tag for tag in scalars["tag"].unique() if _EPOCH_TAG.search(tag)]
    if tags:
        epochs = scalars[scalars["tag"] == tags[0]].sort_values("step")
        finite = epochs[np.isfinite(epochs["value"])]
        if len(finite):
            return np.interp(steps, finite["step"].to_numpy(np.float64), finite["value"].to_numpy(np.float64))
    per_epoch = all(_PER_EPOCH_TAG.search(tag) for tag in scalars["tag"].unique())
    if per_epoch or (run.formats and all(fmt in _PER_EPOCH_FORMATS for fmt in run.formats)):
        return steps.astype(np.float64)
    return None


@validate_params({"x": [Options(tuple(X_AXES))]})
def scalar_frame(
    report: Report,
    runs: Sequence[str],
    tags: Sequence[str],
    *,
    x: str = "step",
    smoothing: float = 0.6,
    log: bool = False,
    max_points: int = MAX_POINTS,
) -> pd.DataFrame:
    """The points to draw of ``tags`` of ``runs``: columns ``run, tag, step, x, value, smoothed``, a row per
    point (each curve thinned to ``max_points``, keeping spikes). ``x`` is the step, the epoch, the fraction
    of the run's steps done, the hours since the run's first point or the wall time (milliseconds since
    1970, for a time axis). A run that cannot be placed on ``x`` (no epoch or no time logged) has no rows;
    with ``log``, values a log axis cannot show are left out."""
    weight = smoothing_weight(smoothing)
    wanted = set(tags)
    frames = []
    for name in runs:
        run = report[name]
        scalars = run_scalars(run)
        if scalars.empty:
            continue
        first, last = int(scalars["step"].min()), int(scalars["step"].max())
        for tag, rows in scalars[scalars["tag"].isin(wanted)].groupby("tag", sort=True):
            rows = rows.sort_values("step", kind="stable").drop_duplicates("step", keep="last")
            rows = rows[np.isfinite(rows["value"])]
            if rows.empty:
                continue
            steps = rows["step"].to_numpy(np.int64)
            values = rows["value"].to_numpy(np.float64)
            place = _placed(run, scalars, rows, x, first, last)
            if place is None:
                continue
            smoothed = smooth(values, weight)
            steps, values, smoothed, place = thin(steps, values, smoothed, place, limit=max_points)
            frames.append(
                pd.DataFrame({"run": name, "tag": tag, "step": steps, "x": place, "value": values, "smoothed": smoothed})
            )
    if not frames:
        return pd.DataFrame(
            {column: pd.Series(dtype="str" if column in ("run", "tag") else "float64") for column in FRAME_COLUMNS}
        )
    frame = pd.concat(frames, ignore_index=True).astype({"run": "str", "tag": "str", "x": "float64"})
    frame = frame[np.isfinite(frame["x"])]
    if log:
        frame = frame.assign(
            value=frame["value"].where(frame["value"] > 0), smoothed=frame["smoothed"].where(frame["smoothed"] > 0)
        )
        frame = frame[frame["value"].notna() | frame["smoothed"].notna()]
    return frame.reset_index(drop=True)[FRAME_COLUMNS]


def _placed(run: RunReport, scalars: pd.DataFrame, rows: pd.DataFrame, x: str, first: int, last: int) -> np.ndarray | None:
    steps = rows["step"].to_numpy(np.int64)
    if x == "step":
        return steps.astype(np.float64)
    if x == "fraction":
        return (steps - first) / (last - first) if last > first else np.zeros(len(steps))
    if x == "epoch":
        return epoch_at(run, scalars, steps)
    times = rows["wall_time"].to_numpy(np.float64)
    if not np.isfinite(times).any():
        return None
    if x == "wall":
        return times * 1000.0
    start = np.nanmin(scalars["wall_time"].to_numpy(np.float64))
    return (times - start) / 3600.0


SCALE_RATIO = 4.0
"""Runs whose last steps differ by more than this factor count steps on different scales."""


def default_x(report: Report, runs: Sequence[str]) -> str:
    """``step``, unless the runs' last steps differ more than ``SCALE_RATIO``-fold (a run logged per epoch
    beside one logged per batch): then ``epoch`` when every run says which epoch each step is in, else
    ``fraction``, so that they are compared at the same point of training."""
    logged = [(report[name], frame) for name in runs if len(frame := run_scalars(report[name]))]
    lasts = [int(frame["step"].max()) for _, frame in logged]
    if len(lasts) < 2 or max(lasts) <= max(min(lasts), 0) * SCALE_RATIO:
        return "step"
    epochs = all(epoch_at(run, frame, frame["step"].to_numpy(np.int64)[:1]) is not None for run, frame in logged)
    return "epoch" if epochs else "fraction"


def hover_frame(frame: pd.DataFrame, column: str = "smoothed") -> tuple[pd.DataFrame, dict[str, str]]:
    """For a tooltip that shows every run at the hovered x: a row per tag and x of ``frame`` (columns
    ``tag, x`` and one column ``s0, s1, ...`` per run holding that run's ``column`` at its last point at or
    before x, NaN before its first), and the run each column stands for."""
    names = list(dict.fromkeys(frame["run"]))
    keys = {name: f"s{index}" for index, name in enumerate(names)}
    parts = []
    for tag, rows in frame.groupby("tag", sort=False):
        grid = np.unique(rows["x"].to_numpy(np.float64))
        wide = {"tag": tag, "x": grid}
        for name, one in rows.groupby("run", sort=False):
            one = one.sort_values("x")
            xs, ys = one["x"].to_numpy(np.float64), one[column].to_numpy(np.float64)
            at = np.searchsorted(xs, grid, side="right") - 1
            wide[keys[name]] = np.where(at >= 0, ys[np.clip(at, 0, None)], np.nan)
        parts.append(pd.DataFrame(wide))
    columns = ["tag", "x", *keys.values()]
    hover = pd.concat(parts, ignore_index=True).reindex(columns=columns) if parts else pd.DataFrame(columns=columns)
    return hover.astype({"tag": "str"}), {key: name for name, key in keys.items()}


def value_domain(values, *, ignore_outliers: bool) -> tuple[float, float] | None:
    """The y-range to draw: with ``ignore_outliers``, the ``OUTLIER_QUANTILES`` of the finite values widened
    by a tenth of their span (a spike to 1e+9 no longer flattens the rest); None (the chart's own range)
    otherwise, or when there are no values."""
    numbers = np.asarray(values, dtype=np.float64)
    numbers = numbers[np.isfinite(numbers)]
    if not ignore_outliers or not len(numbers):
        return None
    low, high = np.quantile(numbers, OUTLIER_QUANTILES)
    margin = 0.1 * (high - low) or 0.05 * abs(high) or 1.0
    return float(low - margin), float(high + margin)


def raw_scalars(report: Report, runs: Sequence[str], tags: Sequence[str]) -> pd.DataFrame:
    """The points of ``tags`` of ``runs`` as logged, every one (none thinned, NaNs kept): columns
    ``run, tag, step, wall_time, value``."""
    wanted = set(tags)
    parts = []
    for name in runs:
        scalars = run_scalars(report[name])
        parts.append(scalars[scalars["tag"].isin(wanted)].assign(run=name))
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype="str" if column in ("run", "tag") else "float64") for column in RAW_COLUMNS})
    return pd.concat(parts, ignore_index=True).astype({"run": "str", "tag": "str"})[RAW_COLUMNS]


@validate_params({"fmt": [Options(tuple(EXPORT_FORMATS))]})
def export(frame: pd.DataFrame, fmt: str) -> bytes:
    """A frame of scalars as a file's bytes: ``csv`` (UTF-8, no index) or ``parquet`` (needs pyarrow)."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except ImportError as error:
        raise InvalidParameterError(f"Parquet needs pyarrow: pip install 'curvescope[parquet]' ({error}).") from None
    return buffer.getvalue()


BAND_POINTS = 200
"""Points along the fraction of training at which ``band_frame`` compares a group's runs."""


def band_frame(
    report: Report, groups: Mapping[str, Sequence[str]], tag_of: Callable[[RunReport], str | None], smoothing: float = 0.6
) -> pd.DataFrame:
    """A curve per group of runs (the seeds of one setting), as W&B draws a group: at each fraction of
    training, the mean of the runs' smoothed values and the band from their lowest to their highest.
    ``tag_of(run)`` names the tag to read of each run (None: the run is left out). Columns ``group, x,
    mean, low, high, runs``; a group none of whose runs has the tag has no rows."""
    weight = smoothing_weight(smoothing)
    grid = np.linspace(0.0, 1.0, BAND_POINTS)
    parts = []
    for group, names in groups.items():
        curves = []
        for name in names:
            run = report[name]
            tag = tag_of(run)
            scalars = run_scalars(run) if tag is not None else None
            if scalars is None or scalars.empty:
                continue
            rows = (
                scalars[(scalars["tag"] == tag) & np.isfinite(scalars["value"])]
                .sort_values("step")
                .drop_duplicates("step", keep="last")
            )
            if len(rows) < 2:
                continue
            first, last = int(scalars["step"].min()), int(scalars["step"].max())
            place = (rows["step"].to_numpy(np.float64) - first) / max(last - first, 1)
            curves.append(np.interp(grid, place, smooth(rows["value"].to_numpy(np.float64), weight), left=np.nan, right=np.nan))
        if not curves:
            continue
        stack = np.vstack(curves)
        seen = np.isfinite(stack).any(axis=0)
        with np.errstate(all="ignore"):
            parts.append(
                pd.DataFrame(
                    {
                        "group": group,
                        "x": grid[seen],
                        "mean": np.nanmean(stack[:, seen], axis=0),
                        "low": np.nanmin(stack[:, seen], axis=0),
                        "high": np.nanmax(stack[:, seen], axis=0),
                        "runs": len(curves),
                    }
                )
            )
    columns = ["group", "x", "mean", "low", "high", "runs"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
