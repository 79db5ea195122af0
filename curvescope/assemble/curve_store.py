"""A run's curves, read again when a report or the app draws them.

A report of many runs holds their verdicts, not their points: each run report's ``curves`` is a
``StoredCurves`` that reads the run's files again (from the cache when it has them) when asked.
The last few runs read are kept in memory, keyed by the files' identities (path, size,
modification time and sampled digest, as the audit saw them), so that a log that grew is read anew by the next
audit instead of drawing the points of the last one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import pandas as pd

from ..features.events import Curve
from ..features.extract import role_curves
from ..ingest.discover import RunSource
from ..scale.cache import CacheLocation
from .read import ReadResult, read_sources

KEPT_RUNS = 16
"""How many runs' curves are kept in memory."""


@dataclass(frozen=True)
class RunLocator:
    """Where a run's scalars come from, and the identity of those files when the audit read them."""

    run: str
    sources: tuple[RunSource, ...]
    names: Callable[[str | None], str | None]
    overrides: tuple[tuple[str, tuple[str, ...]], ...]
    cache: CacheLocation | None
    identity: tuple


class StoredCurves(Mapping[str, Curve]):
    """A run's curves by role, read again when wanted."""

    def __init__(self, locator: RunLocator) -> None:
        self.locator = locator

    def _curves(self) -> dict[str, Curve]:
        return _read_run(self.locator)[0]

    def scalars(self) -> pd.DataFrame:
        """The run's tidy scalars, as read."""
        return _read_run(self.locator)[1]

    def __getitem__(self, role: str) -> Curve:
        return self._curves()[role]

    def __iter__(self) -> Iterator[str]:
        return iter(self._curves())

    def __len__(self) -> int:
        return len(self._curves())

    def __repr__(self) -> str:
        return f"StoredCurves({self.locator.run!r})"


@functools.lru_cache(maxsize=KEPT_RUNS)
def _read_run(locator: RunLocator) -> tuple[dict[str, Curve], pd.DataFrame]:
    reading = read_cached(locator.sources, locator.names, locator.overrides, locator.cache)
    curves = role_curves(reading.scalars).get(locator.run, {})
    return curves, reading.run(locator.run) if locator.run in reading.runs else reading.scalars.iloc[:0]


def read_cached(sources: tuple[RunSource, ...], names, overrides, location: CacheLocation | None) -> ReadResult:
    """``read_sources`` through the cache at ``location`` (read without it when it cannot be opened)."""
    cache = location.open() if location is not None else None
    try:
        return read_sources(sources, names, overrides=dict(overrides) or None, cache=cache)
    finally:
        if cache is not None:
            cache.close()
