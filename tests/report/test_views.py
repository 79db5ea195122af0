"""report.views: which runs pass a filter, and the overview's tables of them."""

from __future__ import annotations

from dataclasses import replace

import pytest

import curvescope
from curvescope.report import views
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"


@pytest.fixture(scope="module")
def report():
    return curvescope.audit(DEMO)


def test_filters_choose_runs_by_label_confidence_and_name(report):
    label = report.runs[0].primary_label
    by_label = views.Filters(labels=(label,)).apply(report)
    assert [run.run for run in by_label] == [run.run for run in report if label in run.labels]
    assert len(views.Filters(min_confidence=1.0).apply(report)) == len(report.filter(min_confidence=1.0))
    name = report.runs[1].run
    assert [run.run for run in views.Filters(name=name.upper()).apply(report)] == [name]
    assert [run.run for run in views.Filters(name="keras/").apply(report)] == [r.run for r in report if "keras/" in r.run]
    assert views.Filters().apply(report) is report


def test_filters_keep_unjudged_runs_unless_a_label_is_asked_for(report):
    unjudged = replace(report.runs[0], diagnosis=replace(report.runs[0].diagnosis, labels=(), verdicts=()))
    mixed = replace(report, runs=(unjudged, *report.runs[1:]))
    assert unjudged in views.Filters().apply(mixed).runs
    assert unjudged in views.Filters(name=unjudged.run).apply(mixed).runs
    assert unjudged not in views.Filters(min_confidence=0.1).apply(mixed).runs
    assert views.label_text(unjudged) == views.NOT_JUDGED
    assert views.overview_frame(mixed)["labels"].iloc[0] == [views.NOT_JUDGED]
    assert views.label_counts(mixed).set_index("label")["runs"][views.NOT_JUDGED] == 1


def test_filters_refuse_bad_values():
    with pytest.raises(curvescope.InvalidParameterError, match="'labels'"):
        views.Filters(labels=("nonsense",))
    with pytest.raises(curvescope.InvalidParameterError, match="'min_confidence'"):
        views.Filters(min_confidence=2.0)


def test_overview_frame_adds_label_text_to_the_report_frame(report):
    frame = views.overview_frame(report)
    assert list(frame["run"]) == [run.run for run in report]
    for row, run in zip(frame.itertuples(), report):
        assert row.labels == list(run.labels)
        assert row.label_text == ", ".join(f"{label} {c:.0%}" for label, c in run.label_confidences().items())
    healthy = [run for run in report if not run.diagnosis.verdicts]
    assert (frame.set_index("run").loc[[run.run for run in healthy], ["driver", "fix", "not_judged"]] == "").all().all()
    assert not frame[["driver", "fix", "not_judged"]].isna().any().any()
    counts = views.label_counts(report)
    assert dict(zip(counts["label"], counts["runs"])) == report.counts()


def test_only_keeps_the_named_runs_in_order(report):
    names = [report.runs[2].run, report.runs[0].run, "missing"]
    assert [run.run for run in views.only(report, names)] == names[:2]


def test_matching_keeps_the_runs_whose_name_matches_a_regular_expression(report):
    assert [run.run for run in views.matching(report, r"^keras/(wine|digits)")] == [
        r.run for r in report if r.run in ("keras/wine-mlp-tanh-sgd", "keras/digits-mlp-tanh-sgd")
    ]
    assert [run.run for run in views.matching(report, "SGD$")] == [r.run for r in report if r.run.endswith("sgd")]
    assert views.matching(report, "  ") is report
    assert "name matches 'tensorboard/'" in views.matching(report, "tensorboard/").hidden_note()
    with pytest.raises(curvescope.InvalidParameterError, match=r"^'keras/\(' is not a regular expression: missing \)"):
        views.matching(report, "keras/(")


def test_by_severity_puts_problems_first_then_uncertain_healthy_and_unjudged_most_confident_first(report):
    healthy = next(run for run in report if run.labels == ("healthy",))
    problem = next(run for run in report if run.labels != ("healthy",))

    def variant(run, name, confidence, **diagnosis):
        return replace(run, run=name, diagnosis=replace(run.diagnosis, confidence=confidence, **diagnosis))

    runs = (
        variant(healthy, "unjudged", 0.0, labels=(), verdicts=()),
        variant(healthy, "healthy", 0.9),
        variant(healthy, "uncertain", 0.6, uncertain=("overfitting", "healthy")),
        variant(problem, "weak problem", 0.5),
        variant(healthy, "surer healthy", 0.95),
        variant(problem, "strong problem", 0.99),
    )
    ordered = views.by_severity(replace(report, runs=runs))
    assert [run.run for run in ordered] == ["strong problem", "weak problem", "uncertain", "surer healthy", "healthy", "unjudged"]
    assert [views.severity(run) for run in ordered] == [0, 0, 1, 2, 2, 3]
