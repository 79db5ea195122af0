"""What a chart of an LR range test shows: the loss against the rate, and the rates it suggests marked on it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lr.links import RangeTestLink, range_test_links
from ..lr.range_test import RangeTest
from .result import Report

MARKS = {
    "steepest": "suggested: the steepest descent",
    "minimum": "the minimum (a tenth of it is the other common choice)",
    "base_lr": "cyclic base_lr: the loss starts to fall",
    "max_lr": "cyclic and one-cycle max_lr: the loss stops falling",
    "divergence": "the loss diverges",
}
"""Each rate marked on the chart, and what it means."""


def range_tests(report: Report) -> tuple[RangeTestLink, ...]:
    """Every LR range test of the report, with the runs of its folder."""
    return range_test_links(report.runs)


def points_frame(test: RangeTest) -> pd.DataFrame:
    """One row per point of the test: ``step, lr, loss`` (as logged) and ``smoothed``."""
    return pd.DataFrame({"step": test.steps, "lr": test.lr, "loss": test.loss, "smoothed": test.smoothed})


def loss_domain(test: RangeTest) -> tuple[float, float]:
    """The loss axis a person reads a range test on: from just below its smoothed minimum to a third above where it
    started (the divergence climbs off the top, as in fastai's plot; what lies above is cut off, not rescaled)."""
    smoothed = np.asarray(test.smoothed, dtype=float)
    finite = smoothed[np.isfinite(smoothed)]
    if not len(finite):
        return (0.0, 1.0)
    low, start = float(finite.min()), float(finite[: max(len(finite) // 10, 1)].max())
    high = max(start, low) * 1.3
    return (low - 0.1 * (high - low), high)


def marks_frame(test: RangeTest) -> pd.DataFrame:
    """One row per rate the test shows: ``mark, meaning, lr, low, high, step, loss`` (the smoothed loss there)."""
    rows = [
        {"mark": name, "meaning": meaning, "lr": e.value, "low": e.low, "high": e.high, "step": e.step, "loss": e.loss}
        for name, meaning in MARKS.items()
        if (e := getattr(test, name)) is not None
    ]
    return pd.DataFrame(rows, columns=["mark", "meaning", "lr", "low", "high", "step", "loss"])


def sweep_frame(link: RangeTestLink) -> pd.DataFrame:
    """The runs beside the test: ``run, rate, times_suggested, labels, best_val_loss``."""
    suggested = link.test.suggested
    rows = [
        {
            "run": run.run,
            "rate": run.rate,
            "times_suggested": None if suggested is None else run.times(suggested),
            "labels": ", ".join(run.labels) or "not judged",
            "best_val_loss": run.best_val_loss,
        }
        for run in link.runs
    ]
    return pd.DataFrame(rows, columns=["run", "rate", "times_suggested", "labels", "best_val_loss"])
