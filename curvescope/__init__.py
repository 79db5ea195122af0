"""curvescope: audit machine-learning training runs."""

from .errors import CurvescopeError
from .findings import Finding, Severity

__version__ = "0.1.0.dev0"

__all__ = ["CurvescopeError", "Finding", "Severity", "__version__"]
