"""Learning-rate advice from the logs: LR range tests recognised and read (``range_test``), found below a path (``find``)."""

from .find import RangeTests, lr_find
from .range_test import RangeTest, RateEstimate, analyse, recognise

__all__ = ["RangeTest", "RangeTests", "RateEstimate", "analyse", "lr_find", "recognise"]
