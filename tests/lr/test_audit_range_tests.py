"""An audit recognises a range test: its designed divergence is no lr_too_high, it says so with the rates it
suggests, and the training runs beside it are judged as before."""

from __future__ import annotations

import pytest

import curvescope
from tests.conftest import FIXTURES

RANGE = FIXTURES / "lr_range"


@pytest.fixture(scope="module")
def report():
    return curvescope.audit(RANGE / "sweep", cache=False)


def test_a_range_test_is_not_judged_and_says_what_it_suggests(report):
    test = report["digits-mlp/lr_find"]
    assert test.labels == ()
    assert set(test.diagnosis.not_judged) == {"bad_init", "lr_too_high", "decay_too_early", "overfitting", "underfitting"}
    found = [f for f in test.findings if f.code == "CS022"]
    suggested = curvescope.lr_find(RANGE / "sweep")["digits-mlp/lr_find"].suggested
    assert len(found) == 1 and f"suggested rate {suggested:.3g}" in found[0].message


def test_the_trainings_beside_it_are_judged(report):
    for name in ("lr=0.001", "lr=0.01", "lr=0.1", "lr=1", "cyclic"):
        run = report[f"digits-mlp/{name}"]
        assert run.labels and not run.diagnosis.not_judged.get("lr_too_high")
        assert not [f for f in run.findings if f.code == "CS022"]


def test_the_sweep_beside_a_range_test_is_linked_to_it_with_its_rates(report):
    from curvescope.lr.links import range_test_links

    (link,) = range_test_links(report)
    assert link.test.run == "digits-mlp/lr_find"
    read = curvescope.read(RANGE / "sweep")
    peaks = {run: float(read.curve(run, "lr").max()) for run in read.runs if run != "digits-mlp/lr_find"}
    assert {run.run: run.rate for run in link.runs} == pytest.approx(peaks)
    best = min(link.runs, key=lambda run: report[run.run].numbers["best_val_loss"])
    assert link.best == best


def test_a_run_far_above_the_suggestion_that_did_not_train_is_said_to_have_too_high_a_rate(report):
    from curvescope.lr.links import range_test_links

    (link,) = range_test_links(report)
    for run, line in zip(link.runs, link.lines()[1:], strict=True):
        times = run.rate / link.test.suggested
        unhealthy = run.labels not in ((), ("healthy",))
        assert ("too high a rate is the likelier cause" in line) == (unhealthy and times >= 5)
        assert ("too low a rate is the likelier cause" in line) == (unhealthy and times <= 1 / 5)


def test_the_audits_json_and_table_carry_the_link(report):
    from curvescope.report.as_table import render

    document = report.to_dict()
    assert [link["range_test"]["run"] for link in document["range_tests"]] == ["digits-mlp/lr_find"]
    assert len(document["range_tests"][0]["runs"]) == 5
    assert "LR range test digits-mlp/lr_find suggests a rate of" in render(report, width=300)


def test_runs_of_another_folder_are_not_linked(tmp_path):
    import shutil

    shutil.copytree(RANGE / "sweep" / "digits-mlp" / "lr_find", tmp_path / "a" / "lr_find")
    shutil.copytree(RANGE / "sweep" / "digits-mlp" / "lr=0.1", tmp_path / "b" / "lr=0.1")
    from curvescope.lr.links import range_test_links

    (link,) = range_test_links(curvescope.audit(tmp_path, cache=False))
    assert link.runs == ()
    assert "range_tests" not in curvescope.audit(FIXTURES / "demo").to_dict()


def test_a_cyclic_run_beside_a_test_has_its_bounds_set_against_the_tests(report):
    from curvescope.lr.links import range_test_links

    (link,) = range_test_links(report)
    lr = curvescope.read(RANGE / "sweep" / "digits-mlp" / "cyclic").curve("cyclic", "lr")
    (cyclic,) = [run for run in link.runs if run.cyclic_low is not None]
    assert cyclic.run == "digits-mlp/cyclic"
    assert (cyclic.cyclic_low, cyclic.rate) == pytest.approx((lr.min(), lr.max()))
    (line,) = [line for line in link.lines() if "digits-mlp/cyclic" in line]
    # the test's base_lr and max_lr are both over 10x the run's bounds
    assert link.test.base_lr.value > 10 * cyclic.cyclic_low and link.test.max_lr.value > 10 * cyclic.rate
    assert "both bounds are" in line and "too low" in line


def test_the_html_and_markdown_reports_carry_the_link(report):
    from curvescope.lr.links import range_test_links
    from curvescope.report import render

    (link,) = range_test_links(report)
    markdown, page = render(report, "markdown"), report.to_html()
    assert "## LR range tests" in markdown and '<section class="range-tests">' in page
    for run in link.runs:
        assert f"- {run.run}: rate {run.rate:.3g}" in markdown
        assert f"<li>{run.run}: rate {run.rate:.3g}" in page
    demo = curvescope.audit(FIXTURES / "demo")
    assert "LR range tests" not in render(demo, "markdown") and "range-tests" not in demo.to_html()
