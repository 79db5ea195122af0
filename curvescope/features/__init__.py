"""Features: the measurements rules and the learned classifier judge, drawn from each run's curves."""

from .smoothing import align, rolling_mean, rolling_median, smooth

__all__ = ["align", "rolling_mean", "rolling_median", "smooth"]
