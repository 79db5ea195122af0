"""The summary values a decoder found in event records, before TensorBoard's scalar rule.

Both decoders (``fast`` and ``slow``) return a :class:`Values`: every summary value that is
a number or holds a tensor, in write order, plus where tags carried metadata. Which tensor
values are scalars depends on the first metadata of their tag in the run, which may come
later in the file or in an earlier file of the run, so the rule is applied once runs are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SIMPLE = 0
"""A ``simple_value``: always a scalar."""
NUMBER = 1
"""A one-element numeric tensor: a scalar if its tag's plugin is ``scalars``."""
NOT_NUMBER = 2
"""A tensor that is not one number: skipped, and reported if its tag's plugin is ``scalars``."""


@dataclass
class Metadata:
    """Values that carried metadata (at least each tag's first in each file): tag, record, and
    whether the metadata marks a scalar (plugin ``scalars`` or data class scalar)."""

    tag: np.ndarray
    record: np.ndarray
    scalar: np.ndarray

    @classmethod
    def empty(cls) -> Metadata:
        return cls(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))


@dataclass
class Values:
    """Summary values of some records that may become scalar rows, in write order."""

    tags: list[str]
    tag: np.ndarray
    """Code into ``tags``."""
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    kind: np.ndarray
    record: np.ndarray
    """Index of the record each value came from."""
    metadata: Metadata = field(default_factory=Metadata.empty)
    hparams: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """The record and hyperparameters of each hparams session-start summary."""
    unparsed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Records that passed their checksum but are not valid events."""

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
    """One table from tables of disjoint records, rows ordered by record (stable within one).

    The parts are consumed: each column of theirs is released once joined, so that a large
    table is not held twice.
    """
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return Values.empty()
    tags: dict[str, int] = {}
    remaps = [np.array([tags.setdefault(tag, len(tags)) for tag in part.tags], dtype=np.int32) for part in parts]
    for part, remap in zip(parts, remaps):
        part.tag = remap[part.tag] if len(remap) else part.tag
        part.metadata.tag = remap[part.metadata.tag] if len(remap) else part.metadata.tag
    record = np.concatenate([part.record for part in parts])
    order = None if ascending(record) else np.argsort(record, kind="stable")

    def joined(column: str) -> np.ndarray:
        array = np.concatenate([getattr(part, column) for part in parts])
        for part in parts:
            setattr(part, column, None)
        return array if order is None else array[order]

    return Values(
        tags=list(tags),
        tag=joined("tag"),
        step=joined("step"),
        wall_time=joined("wall_time"),
        value=joined("value"),
        kind=joined("kind"),
        record=record if order is None else record[order],
        metadata=Metadata(
            np.concatenate([part.metadata.tag for part in parts]),
            np.concatenate([part.metadata.record for part in parts]),
            np.concatenate([part.metadata.scalar for part in parts]),
        ),
        hparams=sorted((entry for part in parts for entry in part.hparams), key=lambda entry: entry[0]),
        unparsed=np.concatenate([part.unparsed for part in parts]),
    )


def ascending(array: np.ndarray) -> bool:
    """Whether ``array`` never decreases."""
    return len(array) < 2 or bool((array[1:] >= array[:-1]).all())
