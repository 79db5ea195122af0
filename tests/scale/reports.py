"""Comparing whole reports, as the ways of auditing must agree."""

from __future__ import annotations

import curvescope


def assert_same(one: curvescope.Report, other: curvescope.Report) -> None:
    """Equal reports, run for run: the JSON form, every feature and every event (a float's repr is exact, and NaN
    equals NaN)."""
    assert one.to_dict() == other.to_dict()
    for a, b in zip(one, other, strict=True):
        assert repr(a.features) == repr(b.features)
        assert repr(a.events) == repr(b.events)
