"""Gradient signals as evidence about the rate: a spike in the norm of the gradients before the loss blows up, and
the update-to-weight ratio against CS231n's rule of thumb.

A rate too high for the loss surface shows first in the gradients: their norm jumps several times above
its typical level steps before the loss itself explodes. ``spike_before_explosion`` finds the loss's
explosion (the first non-finite value, or the first loss ``EXPLODED`` times its running minimum) and the
first gradient norm ``SPIKE`` times the median of the norms before it, when that came earlier.

``update_ratio_reading``: the median ratio of a step's update to the weights over the run, set against the
1e-3 CS231n calls about right; ``RATIO_FAR`` times off or more, it says which way the rate may be off. It is a
rule of thumb, not a measurement of the right rate, and is read as a note, never as a label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..features.events import Curve

EXPLODED = 10.0
"""A loss this many times its running minimum has exploded (the explosion detector's factor)."""
SPIKE = 3.0
"""A gradient norm this many times the median of the norms before it is a spike."""
MIN_BEFORE = 5
"""Norms needed before a point to judge it a spike."""


@dataclass(frozen=True)
class GradientSpike:
    """The first gradient-norm spike before the loss exploded: where, how large, and how far ahead."""

    spike_step: int
    spike_norm: float
    typical_norm: float
    explosion_step: int

    @property
    def lead(self) -> int:
        """Steps from the spike to the explosion."""
        return self.explosion_step - self.spike_step

    def describe(self) -> str:
        return (
            f"the gradient norm rose to {self.spike_norm:.3g}, {self.spike_norm / self.typical_norm:.2g}x its median "
            f"{self.typical_norm:.3g}, at step {self.spike_step}, {self.lead} steps before the loss exploded "
            f"(step {self.explosion_step}): the earliest sign that the rate is too high; lower it 3-10x, or clip "
            f"the gradients' norm near {self.typical_norm:.2g}"
        )


def explosion_step(loss: Curve) -> int | None:
    """The step where the loss exploded: its first non-finite value, or its first value ``EXPLODED`` times the
    lowest before it (a positive loss); None when it never did."""
    values = loss.values
    bad = np.flatnonzero(~np.isfinite(values))
    first_bad = int(loss.steps[bad[0]]) if len(bad) else None
    upto = bad[0] if len(bad) else len(values)
    finite = values[:upto]
    if len(finite) and finite.min() > 0:
        lowest = np.minimum.accumulate(finite)
        blown = np.flatnonzero(finite >= EXPLODED * lowest)
        if len(blown):
            return int(loss.steps[blown[0]])
    return first_bad


def spike_before_explosion(grad_norm: Curve | None, loss: Curve | None) -> GradientSpike | None:
    """The first gradient-norm spike before the loss's explosion, or None (no explosion, no spike ahead of it)."""
    if grad_norm is None or loss is None:
        return None
    exploded = explosion_step(loss)
    if exploded is None:
        return None
    norms = grad_norm.finite()
    before = norms.steps < exploded
    steps, values = norms.steps[before], norms.values[before]
    for i in range(MIN_BEFORE, len(values)):
        typical = float(np.median(values[:i]))
        if typical > 0 and values[i] >= SPIKE * typical:
            return GradientSpike(int(steps[i]), float(values[i]), typical, exploded)
    return None


TYPICAL_RATIO = 1e-3
"""CS231n's rule of thumb for the ratio of a step's update to the weights where the rate is about right."""
RATIO_FAR = 10.0
"""A median ratio this many times off ``TYPICAL_RATIO`` (either way) is far from it."""


@dataclass(frozen=True)
class UpdateRatio:
    """The median update-to-weight ratio of a run, and which way it sits from ``TYPICAL_RATIO``."""

    median: float
    points: int
    tag: str

    @property
    def times(self) -> float:
        return self.median / TYPICAL_RATIO

    @property
    def direction(self) -> str:
        return "high" if self.times >= 1 else "low"

    def describe(self) -> str:
        rate = "lower" if self.direction == "high" else "higher"
        return (
            f"{self.tag or 'the update-to-weight ratio'} has a median of {self.median:.2g} over {self.points} points, "
            f"{self.times:.2g}x the 1e-3 CS231n calls about right: by that rule of thumb the rate may be too "
            f"{self.direction}; if the loss agrees (unstable when high, slow when low), try it 3-10x {rate}"
        )


def update_ratio_reading(ratio: Curve | None) -> UpdateRatio | None:
    """The run's median update-to-weight ratio when it is ``RATIO_FAR`` times off ``TYPICAL_RATIO`` or more; None
    otherwise (or with fewer than five positive finite points)."""
    if ratio is None:
        return None
    values = ratio.finite().values
    values = values[values > 0]
    if len(values) < MIN_BEFORE:
        return None
    median = float(np.median(values))
    far = median >= RATIO_FAR * TYPICAL_RATIO or median <= TYPICAL_RATIO / RATIO_FAR
    return UpdateRatio(median, len(values), ratio.tag) if far else None
