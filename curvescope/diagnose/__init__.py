"""Diagnose: from a measured run (a ``RunContext``, made by ``curvescope.features.measure``) to its
labels, each with a confidence, evidence and a fix.

Rules (``registry``, ``rules/``) judge the features with documented thresholds; the learned
model (``learned``) gives calibrated probabilities; ``combine`` merges both into one verdict
per label. ``engine.diagnose`` runs it all.
"""

from ..features.measured import RunContext
from ..params import Interval
from . import rules as _builtin_rules  # noqa: F401  (registers the built-in rules)
from .combine import THRESHOLD, combine
from .diagnosis import Diagnosis, Evidence, RuleFailure, RunDiagnosis, Verdict
from .engine import diagnose, model_codes
from .labels import HEALTHY, LABELS, PROBLEMS, Label, label, register_label
from .learned import LearnedModel, ModelUnavailable, shipped_model
from .registry import Rule, register, rules, select

__all__ = [
    "HEALTHY",
    "LABELS",
    "PROBLEMS",
    "THRESHOLD",
    "Diagnosis",
    "Evidence",
    "Interval",
    "Label",
    "LearnedModel",
    "ModelUnavailable",
    "Rule",
    "RuleFailure",
    "RunContext",
    "RunDiagnosis",
    "Verdict",
    "combine",
    "diagnose",
    "label",
    "model_codes",
    "register",
    "register_label",
    "rules",
    "select",
    "shipped_model",
]
