"""The LR finder page: a range test's loss against its rate with the library's suggested rates marked, and the
sweep beside it; a folder without a test says so."""

from __future__ import annotations

import pytest

import curvescope
from curvescope.report import range_tests
from tests.app.conftest import assert_clean, page
from tests.app.test_app_pages import chart
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # each test runs the app's script

SWEEP = FIXTURES / "lr_range" / "sweep"


def test_a_folder_without_a_range_test_says_so(start):
    at = page(start(), "lr_find")
    assert_clean(at)
    assert at.title[0].value == "LR finder"
    assert "No LR range test here" in at.info[0].value


def test_the_test_is_drawn_on_a_log_rate_axis_with_the_librarys_rates_marked(start):
    at = page(start(SWEEP), "lr_find")
    assert_clean(at)
    (link,) = range_tests.range_tests(curvescope.audit(SWEEP))
    spec, datasets = chart(at)
    assert spec["layer"][1]["encoding"]["x"]["scale"]["type"] == "log"
    drawn = {row["mark"]: row["lr"] for row in datasets["marks"]}
    expected = range_tests.marks_frame(link.test)
    assert drawn == pytest.approx(dict(zip(expected["mark"], expected["lr"])))
    assert "steepest" in drawn and len(datasets["points"]) == len(link.test.steps)
    low, high = spec["layer"][1]["encoding"]["y"]["scale"]["domain"]  # the divergence climbs off the top
    first = float(link.test.smoothed[0])
    assert low < min(link.test.smoothed) and first < high < max(link.test.loss)
    assert f"{link.test.suggested:.3g}" in at.success[0].value


def test_the_runs_beside_the_test_are_listed_with_their_rates(start):
    at = page(start(SWEEP), "lr_find")
    (table,) = [t.value for t in at.dataframe if "times_suggested" in t.value.columns]
    read = curvescope.read(SWEEP)
    assert sorted(table["run"]) == sorted(run for run in read.runs if not run.endswith("lr_find"))
    for run, rate in zip(table["run"], table["rate"], strict=True):
        assert rate == pytest.approx(read.curve(run, "lr").max())
