"""The sidebar's filters in the URL's query, so that a link shows the runs it was copied with:
``?label=overfitting&label=bad_init&min_confidence=0.8&q=keras``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from curvescope.diagnose.labels import LABELS
from curvescope.report.views import Filters

QUERY_LABEL, QUERY_MIN_CONFIDENCE, QUERY_NAME = "label", "min_confidence", "q"
"""The URL query keys of the filters."""


def to_query(filters: Filters) -> dict[str, str | list[str]]:
    """The filters as URL query parameters; defaults are left out."""
    query: dict[str, str | list[str]] = {}
    if filters.labels:
        query[QUERY_LABEL] = list(filters.labels)
    if filters.min_confidence > 0:
        query[QUERY_MIN_CONFIDENCE] = f"{filters.min_confidence:g}"
    if filters.name.strip():
        query[QUERY_NAME] = filters.name
    return query


def from_query(query: Mapping[str, str | Sequence[str]]) -> tuple[Filters, list[str]]:
    """Filters read from URL query parameters, and a sentence for each one that could not be used
    (it is then left at its default)."""
    problems: list[str] = []
    labels = query.get(QUERY_LABEL, ())
    labels = [labels] if isinstance(labels, str) else list(labels)
    known = tuple(dict.fromkeys(label for label in labels if label in LABELS))
    unknown = [label for label in labels if label not in LABELS]
    if unknown:
        problems.append(f"{QUERY_LABEL}={', '.join(unknown)}: not a label (labels: {', '.join(LABELS)}); ignored.")
    confidence = 0.0
    raw = _last(query.get(QUERY_MIN_CONFIDENCE))
    if raw:
        try:
            confidence = float(raw)
        except ValueError:
            confidence = math.nan
        if not 0.0 <= confidence <= 1.0:
            problems.append(f"{QUERY_MIN_CONFIDENCE}={raw}: not a number between 0 and 1; ignored.")
            confidence = 0.0
    return Filters(known, confidence, _last(query.get(QUERY_NAME)) or ""), problems


def _last(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value[-1] if len(value) else None
