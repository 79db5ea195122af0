"""A range test and the sweep beside it: the rates the runs of its folder trained at, against the rate it suggests.

A range test is linked to the runs that share its folder (``sweep/model/lr_find`` to ``sweep/model/lr=0.1``; a
test at the top of the audit to every run): each run's rate is the peak of its logged ``lr`` curve. Said per
run: how many times the suggestion it is, whether it is beyond where the test diverged, and how it was labelled;
for a cyclic schedule, its bounds against the test's ``base_lr`` and ``max_lr``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from ..features.schedule import lr_schedule
from .range_test import RangeTest, analyse

RANGE_TEST_CODE = "CS022"
"""The finding a range test's report carries (``lr-range-test``)."""


@dataclass(frozen=True)
class SweepRun:
    """A run beside a range test: the rate it trained at (its logged peak) and what it came to."""

    run: str
    rate: float
    labels: tuple[str, ...]
    best_val_loss: float | None
    cyclic_low: float | None = None
    """The lowest rate of a cyclic schedule (its ``base_lr``; ``rate`` is its ``max_lr``); None for other schedules."""

    def times(self, suggested: float) -> float:
        return self.rate / suggested


@dataclass(frozen=True)
class RangeTestLink:
    """A range test, what it suggests, and the runs of its sweep."""

    test: RangeTest
    runs: tuple[SweepRun, ...]

    @property
    def best(self) -> SweepRun | None:
        """The run of the sweep with the lowest best validation loss (None: no run logged one)."""
        scored = [run for run in self.runs if run.best_val_loss is not None and math.isfinite(run.best_val_loss)]
        return min(scored, key=lambda run: run.best_val_loss) if scored else None

    def lines(self) -> list[str]:
        """The link in words: what the test suggests, then one line per run of the sweep."""
        test = self.test
        if test.steepest is None:
            return [f"LR range test {test.run}: it suggests no rate ({'; '.join(test.notes)})"]
        rate, (low, high) = test.suggested, test.suggested_range
        head = f"LR range test {test.run} suggests a rate of {rate:.3g} (range {low:.3g}-{high:.3g}, {test.suggested_by})"
        if test.divergence is not None:
            head += f"; the loss diverged from {test.divergence.value:.3g}"
        if not self.runs:
            return [head + "; no run beside it logged a rate"]
        lines = [head + f"; the {len(self.runs)} runs beside it:"]
        best = self.best
        for run in self.runs:
            where = "within its range" if low / 2 <= run.rate <= high * 2 else f"{run.times(rate):.2g}x the suggestion"
            if test.divergence is not None and run.rate >= test.divergence.value:
                where += ", beyond where the test diverged"
            loss = "" if run.best_val_loss is None else f", best validation loss {run.best_val_loss:.4g}"
            mark = " (the sweep's best)" if run is best else ""
            cause = _likely_cause(run, rate) + _cyclic_bounds(run, test)
            lines.append(f"  {run.run}: rate {run.rate:.3g}, {where}; {', '.join(run.labels) or 'not judged'}{loss}{mark}{cause}")
        return lines

    def to_dict(self) -> dict:
        return {
            "range_test": self.test.to_dict(),
            "runs": [
                {
                    "run": run.run,
                    "rate": run.rate,
                    "times_suggested": None if self.test.suggested is None else run.times(self.test.suggested),
                    "labels": list(run.labels),
                    "best_val_loss": run.best_val_loss,
                    "cyclic_low": run.cyclic_low,
                }
                for run in self.runs
            ],
            "best": None if self.best is None else self.best.run,
        }


FAR = 5.0
"""A run's rate this many times the suggestion (or this many times below it) is far from it."""


def _likely_cause(run: SweepRun, suggested: float) -> str:
    """What the rate says about a run that did not train well: a rate far above the suggestion stalls or kills
    a network as surely as a small model does."""
    if run.labels in ((), ("healthy",)):
        return ""
    if run.times(suggested) >= FAR:
        return f"; at {run.times(suggested):.2g}x the suggested rate, too high a rate is the likelier cause: try {suggested:.3g}"
    if run.times(suggested) <= 1 / FAR:
        return f"; at {run.times(suggested):.2g}x the suggested rate, too low a rate is the likelier cause: try {suggested:.3g}"
    return ""


def _cyclic_bounds(run: SweepRun, test: RangeTest) -> str:
    """A cyclic run's bounds against the test's (the CLR paper's base_lr and max_lr)."""
    if run.cyclic_low is None or test.base_lr is None or test.max_lr is None:
        return ""
    said = (
        f"; cyclic between {run.cyclic_low:.3g} and {run.rate:.3g}, where the test gives base_lr {test.base_lr.value:.3g} "
        f"and max_lr {test.max_lr.value:.3g}"
    )
    low, high = run.cyclic_low / test.base_lr.value, run.rate / test.max_lr.value
    if max(low, high) < 1 / 3:
        return said + f": both bounds are {1 / max(low, high):.2g}x or more too low"
    if min(low, high) > 3:
        return said + f": both bounds are {min(low, high):.2g}x or more too high"
    return said


def is_range_test(run) -> bool:
    """Whether a run's report says it is an LR range test."""
    return any(item.code == RANGE_TEST_CODE for item in run.findings)


def range_test_links(runs: Iterable) -> tuple[RangeTestLink, ...]:
    """Each range test among ``runs`` (``RunReport``s) with the runs of its folder; none when there is no test."""
    runs = list(runs)
    tests = [run for run in runs if is_range_test(run)]
    links = []
    for test in tests:
        curves = test.curves
        if "lr" not in curves or "train_loss" not in curves:
            continue
        folder = PurePosixPath(test.run).parent
        beside = [run for run in runs if not is_range_test(run) and _inside(run.run, folder)]
        links.append(RangeTestLink(analyse(test.run, curves["lr"], curves["train_loss"]), _sweep_runs(beside)))
    return tuple(links)


def _inside(run: str, folder: PurePosixPath) -> bool:
    return str(folder) == "." or PurePosixPath(run).parent == folder


def _sweep_runs(runs: Sequence) -> tuple[SweepRun, ...]:
    found = []
    for run in runs:
        curves = run.curves
        lr = curves["lr"].finite() if "lr" in curves else None
        if lr is None or not len(lr) or not np.max(lr.values) > 0:
            continue
        best = run.numbers.get("best_val_loss")
        schedule = lr_schedule(lr)
        low = float(np.min(lr.values)) if schedule is not None and schedule.kind == "cyclic" else None
        found.append(SweepRun(run.run, float(np.max(lr.values)), tuple(run.labels), None if best is None else float(best), low))
    return tuple(sorted(found, key=lambda run: run.rate))
