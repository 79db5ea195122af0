"""Learning-rate advice from the logs: LR range tests recognised and read (``range_test``), found below a path
(``find``, ``curvescope.lr_find``) and linked to the runs of the sweep beside them (``links``); a cyclic
schedule's step size against the epoch (``schedule_checks``); a gradient-norm spike ahead of a loss
explosion (``gradients``)."""

from .range_test import RangeTest, RateEstimate, analyse, recognise

__all__ = ["RangeTest", "RateEstimate", "analyse", "recognise"]
