"""curvescope: audit machine-learning training runs.

>>> import curvescope
>>> report = curvescope.audit("runs/")        # doctest: +SKIP
>>> report.to_frame()                          # doctest: +SKIP
>>> result = curvescope.read("runs/")          # doctest: +SKIP
>>> result.scalars                             # doctest: +SKIP
>>> curvescope.lr_find("runs/lr_find/").tests   # doctest: +SKIP
>>> for change in curvescope.watch("runs/"):    # doctest: +SKIP
...     print(change.run, change.labels)
"""

from .assemble.read import ReadResult, read, read_frame
from .assemble.roles import ROLE_PATTERNS, ROLES
from .audit import audit
from .diagnose import LABELS, Diagnosis, Evidence, Rule, RuleFailure, RunDiagnosis, Verdict
from .errors import CurvescopeError, InvalidParameterError, LogdirNotFound, NoRunsFound, SchemaError
from .features import smooth
from .findings import KINDS as FINDING_KINDS
from .findings import Finding, Severity
from .lr.find import RangeTests, lr_find
from .lr.range_test import RangeTest
from .report import Report, RunReport
from .version import __version__
from .watch import Change, ChangeKind, watch

__all__ = [
    "FINDING_KINDS",
    "LABELS",
    "ROLES",
    "ROLE_PATTERNS",
    "Change",
    "ChangeKind",
    "CurvescopeError",
    "Diagnosis",
    "Evidence",
    "Finding",
    "InvalidParameterError",
    "LogdirNotFound",
    "NoRunsFound",
    "RangeTest",
    "RangeTests",
    "ReadResult",
    "Report",
    "Rule",
    "RuleFailure",
    "RunDiagnosis",
    "RunReport",
    "SchemaError",
    "Severity",
    "Verdict",
    "__version__",
    "audit",
    "lr_find",
    "read",
    "read_frame",
    "smooth",
    "watch",
]
