"""All features of a run: a fixed vector of named numbers in natural units, and located events.

``measure_run`` measures one run from its role curves into a ``RunContext``; ``measure`` does
every run of a ``ReadResult``, and ``table`` lays runs' features out one row per run. A run
missing a role gets NaN for what needs it, never a made-up number. The rules read the values as
they are; the learned classifier reads them too, the ``LOG_SCALED`` ones as log10. The events are
what the rules cite and the report draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from . import detectors
from .events import Curve, Event
from .measured import RunContext, loss_start
from .schedule import Schedule, inferred_drops, lr_schedule, progress_around

FEATURES: dict[str, str] = {
    "points": "the number of training-loss points",
    "has_val": "1 when a validation loss (or accuracy) was logged, else 0",
    "has_lr": "1 when a learning-rate curve was logged, else 0",
    "train_drop": "the training loss's level at the end over its level at the start (medians of the last and first "
    "points; below 1: it fell)",
    "train_early_progress": "share of the smoothed training loss's whole fall made in the run's first quarter",
    "initial_collapse": "the training loss's starting level over its level a tenth into the run",
    "peak_vs_start": "the highest smoothed training loss after the first tenth of the run over its starting level",
    "non_finite_fraction": "share of training-loss points that are NaN or infinite",
    "explosion_ratio": "the largest rise of the smoothed training loss over its running minimum",
    "explosion_onset": "where that rise began (fraction of the run) when it reached 10x, else NaN",
    "start_rise": "the highest training-loss point in the run's first tenth over the first point (above 1: it overshot at once)",
    "spike_rate": "training-loss spikes (robust z > 6 around the rolling median) per 100 points",
    "spike_size": "largest robust z of a training-loss point around its rolling median",
    "noise": "robust spread of the training loss around its trend, over the trend's range",
    "start_plateau": "fraction of the run the smoothed training loss stays flat from the start",
    "end_plateau": "fraction of the run the smoothed training loss stays flat up to the end",
    "plateau_level": "level of the longest plateau after progress: 1 = the starting level, 0 = the best",
    "best_position": "where validation was best (fraction of the run)",
    "rise_since_best": "validation's drift from its best to the end, over the improvement before the best",
    "worse_since_best": "validation's drift from its best to the end, over the best value",
    "still_improving": "1 when validation is best at (or next to) its last points, else 0",
    "gap_end": "validation minus training loss at the last common step, over the training loss's range",
    "gap_growth": "growth of that gap since validation was best, over the training loss's range",
    "train_since_best": "the training loss's level at the end over its level when validation was best (below 1: it kept falling)",
    "lr_drops": "abrupt learning-rate drops (from the lr curve, or inferred from the loss)",
    "first_drop_position": "where the first drop happened (fraction of the run)",
    "drop_inferred": "1 when drops were inferred from the loss because no lr was logged, else 0",
    "lr_half_position": "where the learning rate first fell below half its peak (fraction of the run)",
    "lr_total_decay": "the peak learning rate over the last",
    "slope_before": "training-loss slope before the first drop (or where a smooth decay halved the rate), in ranges per run",
    "slope_after": "training-loss slope after that point, in loss ranges per run",
    "fall_vs_promised": "fall of the training loss after that point over what the earlier slope promised",
    "initial_loss_vs_chance": "first training loss over ln(classes), the loss of a uniform guess",
    "initial_loss": "the training loss's starting level: absolute, as cross-entropy starts near ln(classes)",
    "loss_left": "the training loss's level at the end over where it started: its first point or first level, or "
    "ln(classes) when higher",
    "train_acc_final": "last training accuracy",
    "val_acc_final": "last validation accuracy",
}
"""The feature vector, in order: name and one-line meaning (natural units)."""

ACCURACY = re.compile(r"acc|top-?1", re.IGNORECASE)
"""A metric whose first value may sit at chance, 1/C: an accuracy (not a ROUGE, an F1 or a mAP, which share its role)."""

LOG_SCALED = frozenset(
    {"points", "initial_collapse", "peak_vs_start", "explosion_ratio", "start_rise", "lr_total_decay", "initial_loss"}
)
"""The features the learned model reads as log10 (x > 0: log10(x), else NaN): counts and ratios that span decades."""


def measure_run(run: str, curves: Mapping[str, Curve], *, classes: int | None = None) -> RunContext:
    """Every feature and event of one run, from its curves by role."""
    values = dict.fromkeys(FEATURES, math.nan)
    events: list[Event] = []
    train, val_loss, val_acc = curves.get("train_loss"), curves.get("val_loss"), curves.get("val_acc")
    lr, train_acc = curves.get("lr"), curves.get("train_acc")
    values["has_val"] = float(val_loss is not None or val_acc is not None)
    values["has_lr"] = float(lr is not None)
    if classes is None:
        accuracies = (a for a in (train_acc, val_acc) if a is not None and ACCURACY.search(a.tag or a.role or ""))
        classes = next((c for c in map(detectors.chance_classes, accuracies) if c), None)
    if train is not None:
        _measure_training(train, values, events, classes)
    validation = val_loss if val_loss is not None else val_acc
    if validation is not None:
        numbers, found = detectors.best_step(validation, higher_is_better=val_loss is None)
        values.update(numbers)
        events += found
    if val_loss is not None:  # a validation loss blows up too: its events only, the features stay the training loss's
        events += detectors.divergence(val_loss)[1] + detectors.frozen(val_loss)
    if train is not None and val_loss is not None:
        numbers, found = detectors.gap(train, val_loss)
        values.update(numbers)
        events += found
    best = next((e for e in events if e.kind == "best_step"), None)
    if train is not None and best is not None:
        values["train_since_best"] = _since(train, best.end_step)
    schedule = lr_schedule(lr) if lr is not None else None
    _measure_drops(train, schedule, values, events)
    for role, name in (("train_acc", "train_acc_final"), ("val_acc", "val_acc_final")):
        finite = curves[role].finite() if role in curves else None
        if finite is not None and len(finite):
            values[name] = float(finite.values[-1])
    return RunContext(run, values, tuple(events), curves, schedule, classes)


def _measure_training(train: Curve, values: dict, events: list, classes: int | None) -> None:
    finite = train.finite()
    values["points"] = float(len(train))
    if len(finite) >= 2:
        smoothed = detectors.trend(finite)
        # levels at the start and the end are medians of the first and last few points: a noisy
        # point (or the few an exponential average weighs) must not decide them
        first = float(np.median(finite.values[: max(3, len(finite) // 50)]))
        last = float(np.median(finite.values[-max(5, len(finite) // 20) :]))
        best = float(min(smoothed.min(), first))
        broken = not np.isfinite(train.values[-1])  # it ended NaN or infinite: nothing fell
        values["initial_loss"] = first
        values["train_drop"] = math.inf if broken else last / first if first > 0 and last >= 0 else math.nan
        tenth = len(finite) // 10
        if first > 0 and tenth >= 2:
            around = float(np.median(finite.values[tenth // 2 : tenth + tenth // 2 + 1]))
            values["initial_collapse"] = first / around if around > 0 else math.nan
            values["peak_vs_start"] = float(smoothed[tenth:].max()) / first
        quarter = finite.steps[0] + (finite.steps[-1] - finite.steps[0]) / 4
        early = float(smoothed[finite.steps <= quarter].min())
        values["train_early_progress"] = (first - early) / (first - best) if first > best else math.nan
    numbers, found = detectors.divergence(train)
    values.update(numbers)
    numbers, at_start = detectors.blow_up_at_start(train)
    values.update(numbers)
    events += found + at_start
    for detector in (detectors.spikes, detectors.plateaus):
        numbers, found = detector(train)
        values.update(numbers)
        events += found
    events += detectors.frozen(train)
    values["noise"] = detectors.noise(train)
    numbers, found = detectors.initial_loss_vs_chance(train, classes)
    values.update(numbers)
    events += found
    first, drop = values.get("initial_loss", math.nan), values.get("train_drop", math.nan)
    # measured from the very first point when it sits higher than the opening median: a fine-tune that falls 40%
    # within its first steps has fallen, though the median of its first three already sits low
    opening = max(first, float(finite.values[0])) if len(finite) else first
    values["loss_left"] = drop * first / loss_start(opening, classes) if first > 0 and math.isfinite(drop) else drop


def _since(train: Curve, step: int) -> float:
    """The training loss's level at the end (median of the last points) over its smoothed level at ``step``."""
    finite = train.finite()
    if len(finite) < 3 or not np.isfinite(train.values[-1]):
        return math.nan
    smoothed = detectors.trend(finite)
    at = float(smoothed[max(int(np.searchsorted(finite.steps, step, side="right")) - 1, 0)])
    # a short run (a few epochs) ends at its last point: a median of its last five would reach back past the best
    end = float(np.median(finite.values[-max(5, len(finite) // 20) :])) if len(finite) >= 10 else float(finite.values[-1])
    return end / at if at > 0 and end >= 0 else math.nan


def _measure_drops(train: Curve | None, schedule: Schedule | None, values: dict, events: list) -> None:
    if schedule is not None:
        drops, inferred = schedule.drops, False
        values["lr_half_position"] = schedule.half_position
        values["lr_total_decay"] = schedule.total_decay
    else:
        drops, inferred = (inferred_drops(train) if train is not None else ()), True
    if schedule is None and train is None:
        return
    values["lr_drops"] = float(len(drops))
    values["drop_inferred"] = float(inferred)
    events += drops
    if train is None or not len(train):
        return
    if drops:
        first, last = int(train.steps[0]), int(train.steps[-1])
        at = drops[0].end_step
        values["first_drop_position"] = (at - first) / (last - first) if last > first else math.nan
        values.update(progress_around(train, at))
    elif schedule is not None and schedule.half_step is not None:  # a smooth decay: judge where the rate halved
        values.update(progress_around(train, schedule.half_step))


def role_curves(scalars: pd.DataFrame) -> dict[str, dict[str, Curve]]:
    """Each run's curves by role, from a tidy scalars frame."""
    with_role = scalars[scalars["role"].notna()]
    run, role = pd.Categorical(with_role["run"]), pd.Categorical(with_role["role"])
    width = max(len(role.categories), 1)
    key = run.codes.astype(np.int64) * width + role.codes
    order = np.argsort(key, kind="stable")
    key, steps, values = key[order], with_role["step"].to_numpy()[order], with_role["value"].to_numpy()[order]
    tags = with_role["tag"].to_numpy(dtype=object)[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    curves: dict[str, dict[str, Curve]] = {}
    for start, end in zip(starts, [*starts[1:], len(key)]):
        name, kind = str(run.categories[key[start] // width]), str(role.categories[key[start] % width])
        curves.setdefault(name, {})[kind] = Curve.of(steps[start:end], values[start:end], kind, str(tags[start]))
    return curves


def measure(result, *, classes: int | Mapping[str, int] | None = None) -> dict[str, RunContext]:
    """Every run of a ``ReadResult``, measured: its ``RunContext`` by name, in the order read.

    ``classes`` is the number of classes of every run, or of each run by name (runs not named
    are inferred from their accuracy). (An audit measures runs in parallel by giving tasks of
    runs to workers, see ``curvescope.scale.backends``.)"""
    curves = role_curves(result.scalars)
    return {
        run: measure_run(run, curves.get(run, {}), classes=classes.get(run) if isinstance(classes, Mapping) else classes)
        for run in result.runs
    }


def table(runs: Iterable[RunContext]) -> pd.DataFrame:
    """The features of ``runs``, one row per run (index ``run``, a column per ``FEATURES`` name), in natural units."""
    runs = list(runs)
    rows = np.array([[run.values[name] for name in FEATURES] for run in runs], dtype=np.float64)
    return pd.DataFrame(
        rows.reshape(len(runs), len(FEATURES)),
        index=pd.Index([run.run for run in runs], name="run", dtype="str"),
        columns=list(FEATURES),
    )
