"""Diagnose: from a run's features to its labels, each with a confidence, evidence and a fix.

Rules (``registry``, ``rules/``) judge the features with documented thresholds; the learned
model (``learned``) gives calibrated probabilities; ``combine`` merges both into one verdict
per label. ``engine.diagnose`` runs it all.
"""

from . import rules as _builtin_rules  # noqa: F401  (registers the built-in rules)
from .combine import THRESHOLD, combine
from .context import RunContext
from .diagnosis import Diagnosis, Evidence, RuleFailure, RunDiagnosis, Verdict
from .engine import MODEL_CODES, contexts, diagnose
from .labels import FIX, HEALTHY, LABELS, MEANING, PROBLEMS
from .learned import LearnedModel, ModelUnavailable, shipped_model
from .registry import Interval, Rule, register, rules, select

__all__ = [
    "FIX",
    "HEALTHY",
    "LABELS",
    "MEANING",
    "MODEL_CODES",
    "PROBLEMS",
    "THRESHOLD",
    "Diagnosis",
    "Evidence",
    "Interval",
    "LearnedModel",
    "ModelUnavailable",
    "Rule",
    "RuleFailure",
    "RunContext",
    "RunDiagnosis",
    "Verdict",
    "combine",
    "contexts",
    "diagnose",
    "register",
    "rules",
    "select",
    "shipped_model",
]
