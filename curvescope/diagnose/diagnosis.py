"""What diagnosing a run produces: evidence, diagnoses, per-label verdicts and rule failures.

All plain frozen data: they pickle, travel between processes and turn into JSON with ``to_dict``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..features.events import Event

RULE = "rule"
MODEL = "model"


@dataclass(frozen=True)
class Evidence:
    """Where on the curves a diagnosis looked, and the number it judged there."""

    kind: str
    """An event kind (``explosion``, ``plateau``, ``lr_drop``, ``best_step``...) or a feature name."""
    description: str
    start_step: int | None = None
    end_step: int | None = None
    value: float | None = None
    threshold: float | None = None
    role: str | None = None
    tag: str | None = None

    @classmethod
    def of(cls, event: Event, threshold: float | None = None) -> Evidence:
        return cls(
            event.kind,
            event.description,
            event.start_step,
            event.end_step,
            _number(event.magnitude),
            threshold,
            event.role,
            event.tag,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "description": self.description,
            "start_step": self.start_step,
            "end_step": self.end_step,
            "value": _number(self.value),
            "threshold": self.threshold,
            "role": self.role,
            "tag": self.tag,
        }


@dataclass(frozen=True)
class Diagnosis:
    """One rule's (or the learned model's) judgement that a run shows a label."""

    code: str
    name: str
    label: str
    run: str
    confidence: float
    message: str
    """What was seen, with its steps and numbers."""
    fix: str
    """What to try, worded for this run."""
    evidence: tuple[Evidence, ...] = ()
    origin: str = RULE

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "label": self.label,
            "origin": self.origin,
            "confidence": round(self.confidence, 4),
            "message": self.message,
            "fix": self.fix,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class RuleFailure:
    """A rule that crashed on a run; the rest of the diagnosis went on."""

    code: str
    run: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "run": self.run, "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    """The combined judgement on one label: its confidence, what drove it, and its support."""

    label: str
    confidence: float
    rule_confidence: float
    """The strongest rule for the label (0 when none fired)."""
    model_confidence: float | None
    """The learned model's probability (None without a model)."""
    driver: str
    """``rules``, ``model`` or ``rules+model``: which side said yes."""
    diagnoses: tuple[Diagnosis, ...]
    """Rule diagnoses first (strongest first), then the model's."""

    @property
    def fix(self) -> str:
        return self.diagnoses[0].fix

    @property
    def located(self) -> bool:
        """True when some of its evidence names the steps it is based on."""
        return any(item.start_step is not None for item in self.evidence)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """Every diagnosis's evidence, each place once: a rule's item (with its threshold) before the model's
        account of the same steps."""
        seen, merged = set(), []
        for diagnosis in self.diagnoses:
            for item in diagnosis.evidence:
                key = (item.kind, item.start_step, item.end_step) if item.start_step is not None else item
                if key not in seen:
                    seen.add(key)
                    merged.append(item)
        return tuple(merged)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "driver": self.driver,
            "rule_confidence": round(self.rule_confidence, 4),
            "model_confidence": None if self.model_confidence is None else round(self.model_confidence, 4),
            "fix": self.fix,
            "diagnoses": [d.to_dict() for d in self.diagnoses],
        }


@dataclass(frozen=True)
class RunDiagnosis:
    """Everything said about one run: its labels (strongest first), each label's verdict, every
    diagnosis made (also those the combination overruled), what could not be judged and why,
    and what a stronger label explains."""

    run: str
    labels: tuple[str, ...]
    confidence: float
    verdicts: tuple[Verdict, ...]
    diagnoses: tuple[Diagnosis, ...]
    not_judged: dict[str, str] = field(default_factory=dict)
    failures: tuple[RuleFailure, ...] = ()
    explained: dict[str, str] = field(default_factory=dict)
    """Labels that reached the threshold but are explained by a stronger one: label -> that label."""
    suspicions: tuple[Verdict, ...] = ()
    """Labels that reached the threshold with nothing located on the curves to back them: shown below
    the verdict, never given."""
    scores: dict[str, float] = field(default_factory=dict)
    """Each judged problem label's combined confidence, given or not (what ``THRESHOLD`` is held against)."""
    uncertain: tuple[str, ...] = ()
    """When the signals disagree: the primary label and the one it could as well be (``overfitting``,
    ``healthy``); empty when the verdict is clear."""
    progress: str | None = None
    """Why a run none of whose labels could be judged is healthy: the progress its reward showed, or how a
    training loss too short to judge fell."""

    @property
    def primary_label(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def doubt(self) -> str | None:
        """``uncertain: overfitting or healthy`` when the signals disagree, else None."""
        return f"uncertain: {' or '.join(self.uncertain)}" if self.uncertain else None

    def suspected(self) -> list[str]:
        """Each suspicion in words: ``underfitting 80% (model): nothing located on the curves backs it``."""
        return [
            f"{s.label} {s.confidence:.0%} ({s.driver}): suspected, but nothing located on the curves backs it"
            for s in self.suspicions
        ]

    def verdict(self, label: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.label == label), None)


def _number(value: float | None) -> float | None:
    """JSON-safe: NaN and infinities become None, the rest is rounded for stable output."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")
