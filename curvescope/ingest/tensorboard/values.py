"""The summary values a decoder found in an event file, before TensorBoard's scalar rule.

Both decoders (``fast`` and ``slow``) return a :class:`Values`: every summary value that is
a number or holds a tensor, in write order, plus where each tag first carried metadata.
Which tensor values are scalars depends on that metadata, which may come later in the
file or in an earlier file of the run, so the rule is applied once a run is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...findings import Finding

SIMPLE = 0
"""A ``simple_value``: always a scalar."""
NUMBER = 1
"""A one-element numeric tensor: a scalar if its tag's plugin is ``scalars``."""
NOT_NUMBER = 2
"""A tensor that is not one number: skipped, and reported if its tag's plugin is ``scalars``."""


@dataclass
class Values:
    """Summary values of one file (or part of one) that may become scalar rows, in write order."""

    tags: list[str]
    tag: np.ndarray
    """Code into ``tags``."""
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    kind: np.ndarray
    record: np.ndarray
    """Index of the record each value came from: decoders split a file by record."""
    first_metadata: dict[str, tuple[int, bool]] = field(default_factory=dict)
    """For each tag: the record where it first carried metadata, and whether that metadata
    marks a scalar (plugin ``scalars`` or data class scalar)."""
    hparams: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.step)

    @classmethod
    def empty(cls) -> Values:
        return cls(
            tags=[],
            tag=np.zeros(0, dtype=np.int32),
            step=np.zeros(0, dtype=np.int64),
            wall_time=np.zeros(0, dtype=np.float64),
            value=np.zeros(0, dtype=np.float64),
            kind=np.zeros(0, dtype=np.int8),
            record=np.zeros(0, dtype=np.int64),
        )


def merge(parts: Sequence[Values]) -> Values:
    """One table from tables of disjoint records, rows ordered by record (stable within one)."""
    parts = [part for part in parts if part is not None]
    if len(parts) == 1:
        return parts[0]
    tags: dict[str, int] = {}
    codes = []
    for part in parts:
        remap = np.array([tags.setdefault(tag, len(tags)) for tag in part.tags], dtype=np.int32)
        codes.append(remap[part.tag] if len(part.tags) else part.tag)
    record = np.concatenate([part.record for part in parts])
    order = None if _ascending(record) else np.argsort(record, kind="stable")

    def joined(arrays):
        array = np.concatenate(arrays)
        return array if order is None else array[order]

    merged = Values(
        tags=list(tags),
        tag=joined(codes),
        step=joined([part.step for part in parts]),
        wall_time=joined([part.wall_time for part in parts]),
        value=joined([part.value for part in parts]),
        kind=joined([part.kind for part in parts]),
        record=record if order is None else record[order],
    )
    for part in parts:
        for tag, (record_index, scalar) in part.first_metadata.items():
            if tag not in merged.first_metadata or record_index < merged.first_metadata[tag][0]:
                merged.first_metadata[tag] = (record_index, scalar)
        merged.hparams.update(part.hparams)
        merged.findings.extend(part.findings)
    return merged


def _ascending(array: np.ndarray) -> bool:
    return len(array) < 2 or bool((array[1:] >= array[:-1]).all())
