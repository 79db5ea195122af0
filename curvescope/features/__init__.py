"""Features: the measurements rules and the learned classifier judge, drawn from each run's curves.

>>> table = curvescope.features.features(curvescope.read("runs/"))   # doctest: +SKIP
>>> table.frame          # one row per run: FEATURES and the lr schedule's kind
>>> table.events["exp1"] # located events: explosions, spikes, plateaus, LR drops, best step, gap
"""

from .events import Curve, Event
from .extract import FEATURES, LOG_SCALED, FeatureTable, RunFeatures, features, role_curves, run_features
from .schedule import SCHEDULES, Schedule, lr_schedule
from .smoothing import align, rolling_mean, rolling_median, smooth

__all__ = [
    "FEATURES",
    "LOG_SCALED",
    "SCHEDULES",
    "Curve",
    "Event",
    "FeatureTable",
    "RunFeatures",
    "Schedule",
    "align",
    "features",
    "lr_schedule",
    "role_curves",
    "rolling_mean",
    "rolling_median",
    "run_features",
    "smooth",
]
