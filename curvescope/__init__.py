"""curvescope: audit machine-learning training runs.

>>> import curvescope
>>> result = curvescope.read("runs/")        # doctest: +SKIP
>>> result.scalars                            # doctest: +SKIP
"""

from .errors import CurvescopeError, InvalidParameterError, LogdirNotFound, NoRunsFound, SchemaError
from .features import smooth
from .findings import KINDS as FINDING_KINDS
from .findings import Finding, Severity
from .read import ReadResult, read
from .roles import ROLE_PATTERNS, ROLES

__version__ = "0.1.0.dev0"

__all__ = [
    "FINDING_KINDS",
    "ROLES",
    "ROLE_PATTERNS",
    "CurvescopeError",
    "Finding",
    "InvalidParameterError",
    "LogdirNotFound",
    "NoRunsFound",
    "ReadResult",
    "SchemaError",
    "Severity",
    "__version__",
    "read",
    "smooth",
]
