"""``curvescope.lr_find``: every LR range test below a path, read."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from ..assemble.read import ReadResult, read
from ..features.extract import role_curves
from ..findings import Finding
from .range_test import RangeTest, analyse, recognise

SMOOTHED_BY_TOOL = (
    "the loss of an LR finder's history is smoothed by the tool already (an exponential moving average of weight "
    "0.95-0.98), whose lag moves the curve to higher rates: prefer the low end of each range"
)
"""The note on a range test read from an LR finder's saved history (the ``lr_finder_json`` format)."""


@dataclass(frozen=True)
class RangeTests:
    """The range tests found below a path, the runs that are not range tests, and what reading met."""

    tests: tuple[RangeTest, ...]
    other_runs: tuple[str, ...]
    findings: tuple[Finding, ...]

    def __iter__(self):
        return iter(self.tests)

    def __len__(self) -> int:
        return len(self.tests)

    def __getitem__(self, run: str) -> RangeTest:
        for test in self.tests:
            if test.run == run:
                return test
        raise KeyError(f"no range test named {run!r}; range tests: {', '.join(t.run for t in self.tests) or 'none'}")

    def to_dict(self) -> dict:
        return {
            "range_tests": [test.to_dict() for test in self.tests],
            "other_runs": list(self.other_runs),
            "findings": [f.to_dict() for f in self.findings],
        }


def lr_find(path: str | os.PathLike[str] | ReadResult) -> RangeTests:
    """Every LR range test below ``path`` (a log folder or file, or what ``curvescope.read`` gave), read:
    the rate of steepest descent, the minimum, the divergence point and the rates they suggest.

    >>> tests = curvescope.lr_find("fixtures/lr_range")    # doctest: +SKIP
    >>> [(t.run, t.suggested) for t in tests]              # doctest: +SKIP
    """
    result = path if isinstance(path, ReadResult) else read(path)
    curves = role_curves(result.scalars)
    tests, others = [], []
    for run in result.runs:
        found = curves.get(run, {})
        why = recognise(found.get("lr"), found.get("train_loss"))
        if why is None:
            others.append(run)
        else:
            test = analyse(run, found["lr"], found["train_loss"], why)
            if "lr_finder_json" in result.formats.get(run, ()):
                test = replace(test, notes=(*test.notes, SMOOTHED_BY_TOOL))
            tests.append(test)
    return RangeTests(tuple(tests), tuple(others), result.findings)
