"""The app's filters in the URL: they round-trip, and a bad query says what was ignored."""

from __future__ import annotations

import sys

from curvescope.report import views
from tests.conftest import ROOT

if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))  # the app puts its own folder on the path, as here

import url_state  # noqa: E402


def test_filters_round_trip_through_the_url():
    filters = views.Filters(labels=("overfitting", "bad_init"), min_confidence=0.85, name="keras")
    query = url_state.to_query(filters)
    assert query == {"label": ["overfitting", "bad_init"], "min_confidence": "0.85", "q": "keras"}
    assert url_state.from_query(query) == (filters, [])
    assert url_state.to_query(views.Filters()) == {}
    assert url_state.from_query({"label": "healthy"})[0].labels == ("healthy",)


def test_filters_from_a_bad_url_say_what_was_ignored():
    filters, problems = url_state.from_query({"label": ["healthy", "nonsense"], "min_confidence": "lots"})
    assert filters == views.Filters(labels=("healthy",))
    assert problems[0].startswith("label=nonsense: not a label")
    assert problems[1] == "min_confidence=lots: not a number between 0 and 1; ignored."
    _, problems = url_state.from_query({"min_confidence": "1.5"})
    assert problems == ["min_confidence=1.5: not a number between 0 and 1; ignored."]
