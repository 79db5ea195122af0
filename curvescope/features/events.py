"""Located events: what a detector found on a curve, where, and how big.

Every event names the steps it spans and the number behind it, so that a diagnosis can point
at the curve and a reader can check it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KINDS = ("initial_loss", "plateau", "frozen", "explosion", "non_finite", "spike", "lr_drop", "best_step", "gap")
"""Every kind of located event the detectors report."""


@dataclass(frozen=True)
class Curve:
    """One curve of a run: finite or not, one value per step, steps ascending."""

    steps: np.ndarray
    values: np.ndarray
    role: str | None = None
    tag: str | None = None

    @classmethod
    def of(cls, steps, values, role: str | None = None, tag: str | None = None) -> Curve:
        """A curve from any steps and values: sorted by step, the last write of a step kept."""
        s = np.asarray(steps, dtype=np.int64)
        y = np.asarray(values, dtype=np.float64)
        order = np.argsort(s, kind="stable")
        s, y = s[order], y[order]
        last = np.r_[s[1:] != s[:-1], True] if len(s) else np.zeros(0, bool)
        return cls(s[last], y[last], role, tag)

    def __len__(self) -> int:
        return len(self.steps)

    def finite(self) -> Curve:
        keep = np.isfinite(self.values)
        return Curve(self.steps[keep], self.values[keep], self.role, self.tag)


@dataclass(frozen=True)
class Event:
    """Something found on a curve: its kind, the steps it spans, its size and a one-line account."""

    kind: str
    start_step: int
    end_step: int
    magnitude: float
    description: str
    role: str | None = None
    tag: str | None = None
    inferred: bool = False
    """True when read off the shape of another curve (an LR drop seen in the loss), not measured."""
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "role": self.role,
            "tag": self.tag,
            "start_step": self.start_step,
            "end_step": self.end_step,
            "magnitude": self.magnitude,
            "description": self.description,
            "inferred": self.inferred,
            "details": dict(self.details),
        }
