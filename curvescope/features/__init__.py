"""Features: the measurements rules and the learned classifier judge, drawn from each run's curves.

>>> runs = curvescope.features.measure(curvescope.read("runs/"))   # doctest: +SKIP
>>> runs["exp1"].values   # FEATURES, in natural units
>>> runs["exp1"].events   # located events: explosions, spikes, plateaus, LR drops, best step, gap
>>> curvescope.features.table(runs.values())   # one row per run
"""

from .events import Curve, Event
from .extract import FEATURES, LOG_SCALED, measure, measure_run, role_curves, table
from .measured import RunContext
from .schedule import SCHEDULES, Schedule, lr_schedule
from .smoothing import align, rolling_mean, rolling_median, smooth

__all__ = [
    "FEATURES",
    "LOG_SCALED",
    "SCHEDULES",
    "Curve",
    "Event",
    "RunContext",
    "Schedule",
    "align",
    "lr_schedule",
    "measure",
    "measure_run",
    "role_curves",
    "rolling_mean",
    "rolling_median",
    "smooth",
    "table",
]
