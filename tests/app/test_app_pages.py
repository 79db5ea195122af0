"""Every page of the report app under AppTest: what the library reports is what the page shows,
filters and the run selector change it, the URL carries it, and bad input is a message."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

import curvescope
from curvescope.report import render, sweeps, views
from tests.app.conftest import DEMO, assert_clean, audited, copy_runs, page, scalars_tab, texts, unescape
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # each test runs the app's script, and most run it again after an interaction

PAGES = ("overview", "run", "compare", "sweep")


def labels_shown(at) -> dict[str, list[str]]:
    """The overview table's runs and their labels."""
    (frame,) = [table.value for table in at.dataframe if "labels" in table.value.columns]
    return dict(zip(frame["run"], frame["labels"]))


def badge_text(run) -> str:
    """A run's labels and confidences as its badges read."""
    return " ".join(f"{label} {confidence:.0%}" for label, confidence in run.label_confidences().items())


def chart(at) -> tuple[dict, dict[str, list[dict]]]:
    """The page's first chart: its Vega-Lite spec and its datasets (Streamlit sends those as Arrow)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    charts = at.get("vega_lite_chart")
    assert charts, "the page draws no chart"
    proto = charts[0].proto
    datasets = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data).to_dict("records") for d in proto.datasets}
    return json.loads(proto.spec), datasets


def chart_data(at) -> dict[str, list[dict]]:
    return chart(at)[1]


# --- every page --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_every_page_runs_on_the_demo_without_an_exception(start, name):
    at = start()
    assert_clean(at)
    page(at, name)
    assert_clean(at)
    assert at.title[0].value == name.capitalize()


def test_overview_shows_every_run_with_the_labels_the_library_gives(start, demo_report):
    at = start()
    assert labels_shown(at) == {run.run: list(run.labels) for run in demo_report}
    shown = texts(at)
    for label, runs in demo_report.counts().items():
        assert f"{label}] {runs} run" in shown
    assert "7 runs in demo/" in shown
    (frame,) = [table.value for table in at.dataframe if "labels" in table.value.columns]
    assert list(frame["run"]) == [run.run for run in views.by_severity(demo_report)], "problem runs first"
    assert list(frame.columns[:4]) == ["run", "labels", "label_text", "fix"], "the fix is seen without scrolling"
    link_texts = [unescape(link.label) for link in at.get("page_link")]  # labels are escaped Markdown
    links = {text.split(" ")[0]: text for text in link_texts if text.split(" ")[0] in {run.run for run in demo_report}}
    assert list(links) == [run.run for run in views.by_severity(demo_report)], "the runs as links, in the table's order"
    for run in demo_report:
        assert all(f"[{label} " in links[run.run] for label in run.labels), "each link shows the run's labels"
    assert frame.set_index("run")["best_val_step"].to_dict() == {r.run: r.numbers["best_val_step"] for r in demo_report}
    texts_only = frame[["label_text", "driver", "fix", "not_judged"]]
    assert not texts_only.isna().any().any(), "a table shows a missing text as None"


def test_overview_run_pattern_narrows_the_table_and_a_bad_one_is_a_warning(start, demo_report):
    at = start()
    at.text_input(key="overview_pattern").input("^keras/.*(wine|digits)").run()
    assert_clean(at)
    assert list(labels_shown(at)) == [
        r.run for r in views.by_severity(demo_report) if r.run in ("keras/wine-mlp-tanh-sgd", "keras/digits-mlp-tanh-sgd")
    ]
    assert "2 of 7 runs match" in texts(at)
    at.text_input(key="overview_pattern").input("keras/(").run()
    assert_clean(at)
    assert [unescape(w.value) for w in at.warning] == [
        "'keras/(' is not a regular expression: missing ), unterminated subpattern at position 6"
    ]
    assert len(labels_shown(at)) == len(demo_report)
    at.text_input(key="overview_pattern").input("").run()
    assert not at.warning and len(labels_shown(at)) == len(demo_report)


def test_overview_offers_the_report_in_three_formats(start):
    at = start()
    assert [button.proto.label for button in at.get("download_button")] == ["CSV", "JSON", "HTML"]


@pytest.mark.parametrize("fmt", ["csv", "json", "html", "markdown"])
def test_the_cached_report_renders_in_every_download_format(demo_report, fmt):
    cached = replace(demo_report, reading=None)  # the app caches the report without its scalars
    assert render(cached, fmt) == render(demo_report, fmt)


# --- filters -----------------------------------------------------------------------------------------


def test_label_filter_changes_the_rows_and_goes_into_the_url(start, demo_report):
    at = start()
    label = demo_report.runs[-1].primary_label
    at.sidebar.multiselect(key="filter_labels_widget").set_value([label]).run()
    assert_clean(at)
    expected = [run.run for run in views.by_severity(demo_report) if label in run.labels]
    assert list(labels_shown(at)) == expected and 0 < len(expected) < len(demo_report)
    assert at.query_params["label"] == label
    assert f"{len(expected)} of {len(demo_report)} runs" in texts(at)


def test_confidence_and_name_filters_change_the_rows(start, demo_report):
    at = start()
    threshold = sorted(run.confidence for run in demo_report)[3]
    at.sidebar.slider(key="filter_min_confidence_widget").set_value(threshold).run()
    expected = [run.run for run in views.by_severity(demo_report.filter(min_confidence=threshold))]
    assert list(labels_shown(at)) == expected and len(expected) < len(demo_report)
    assert float(at.query_params["min_confidence"]) == pytest.approx(threshold)
    at.sidebar.slider(key="filter_min_confidence_widget").set_value(0.0)
    at.sidebar.text_input(key="filter_name_widget").input("KERAS/").run()
    assert list(labels_shown(at)) == [run.run for run in views.by_severity(demo_report) if "keras/" in run.run]
    assert at.query_params["q"] == "KERAS/" and "min_confidence" not in at.query_params


def test_filters_come_from_the_url(start, demo_report):
    label = demo_report.runs[0].primary_label
    at = start(query={"label": label, "q": "digits"})
    assert_clean(at)
    assert at.sidebar.multiselect(key="filter_labels_widget").value == [label]
    assert list(labels_shown(at)) == [r.run for r in views.by_severity(demo_report) if label in r.labels and "digits" in r.run]


def test_a_bad_filter_in_the_url_is_a_warning_not_a_failure(start, demo_report):
    at = start(query={"label": ["overfitting", "no_such_label"], "min_confidence": "very"})
    assert_clean(at)
    warnings = [unescape(w.value) for w in at.sidebar.get("warning")]
    assert any(w.startswith("label=no_such_label: not a label") for w in warnings)
    assert "min_confidence=very: not a number between 0 and 1; ignored." in warnings
    assert list(labels_shown(at)) == [run.run for run in demo_report if "overfitting" in run.labels]


def test_no_run_passing_the_filters_is_said(start):
    at = start(query={"q": "no run is called this"})
    assert_clean(at)
    assert "No run matches the filters in the sidebar." in texts(at)
    for name in ("run", "compare"):
        assert "No run matches the filters in the sidebar." in texts(page(at, name))
        assert_clean(at)


# --- the run page ------------------------------------------------------------------------------------


def test_run_page_opens_the_run_in_the_url(start, demo_report):
    run = demo_report["keras/wine-mlp-tanh-sgd"]
    at = start(query={"run": run.run})
    page(at, "run")
    assert_clean(at)
    assert at.selectbox(key="run_widget").value == run.run
    shown = texts(at)
    assert badge_text(run) in shown.replace("]", "").replace(":", " ")
    for verdict in run.diagnosis.verdicts:
        assert f"**Fix:** {verdict.fix}" in shown
        assert f"{verdict.label} {verdict.confidence:.0%}" in shown
        for diagnosis in verdict.diagnoses:
            assert diagnosis.message in shown
    datasets = chart_data(at)
    assert {row["role"] for row in datasets["curves"]} == set(run.curves)
    assert {row["kind"] for row in datasets["events"]} == {event.kind for event in run.events}
    assert at.query_params["run"] == run.run


def test_run_selector_changes_the_run_shown(start, demo_report):
    first, other = demo_report.runs[0], demo_report["keras/digits-mlp-tanh-sgd"]
    at = page(start(), "run")
    assert at.selectbox(key="run_widget").value == first.run
    assert at.query_params["run"] == first.run
    at.selectbox(key="run_widget").select(other.run).run()
    assert_clean(at)
    assert at.query_params["run"] == other.run
    shown = texts(at)
    assert badge_text(other) in shown.replace("]", "").replace(":", " ")
    assert f"**Fix:** {other.fix}" in shown
    curves = chart_data(at)["curves"]
    assert {row["tag"] for row in curves} == {curve.tag for curve in other.curves.values()}
    page(at, "overview")
    assert page(at, "run").selectbox(key="run_widget").value == other.run  # the selection outlives a page change


def test_selecting_a_row_opens_its_run_and_keeps_the_filters(start, demo_report):
    at = start()
    at.sidebar.multiselect(key="filter_labels_widget").set_value(["overfitting", "healthy"]).run()
    shown = list(labels_shown(at))
    at.session_state["overview_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    assert at.title[0].value == "Run" and at.selectbox(key="run_widget").value == shown[1]
    assert at.query_params == {"label": ["overfitting", "healthy"], "run": shown[1]}
    assert at.sidebar.multiselect(key="filter_labels_widget").value == ["overfitting", "healthy"]


def test_run_page_smoothing_and_log_scale_redraw_the_curves(start, demo_report):
    run = demo_report["huggingface/digits-mlp-tanh-sgd"]
    at = page(start(query={"run": run.run}), "run")
    at.slider(key="run_smoothing").set_value(0.0).run()
    raw = [row for row in chart_data(at)["curves"] if row["role"] == "train_loss"]
    assert all(row["smoothed"] == row["value"] for row in raw)
    at.slider(key="run_smoothing").set_value(0.9).run()
    smoothed = [row["smoothed"] for row in chart_data(at)["curves"] if row["role"] == "train_loss"]
    assert smoothed == pytest.approx(list(curvescope.smooth(run.curves["train_loss"].values, 0.9)))
    at.toggle(key="run_log_scale").set_value(True).run()
    assert_clean(at)
    assert '"type": "log"' in json.dumps(chart(at)[0])
    assert page(page(at, "compare"), "run").slider(key="run_smoothing").value == 0.9


def test_run_page_draws_only_its_open_tab(start, demo_report):
    run = demo_report["lightning_logs/classification-mlp-tanh-adam"]
    at = page(start(query={"run": run.run}), "run")
    assert_clean(at)
    assert [tab.label for tab in at.tabs] == ["Diagnosis", "Every scalar"]
    assert len(at.get("vega_lite_chart")) == 1 and "curves" in chart_data(at), "the curves with their evidence alone"
    assert "run_scalars_tags" not in {box.key for box in at.text_input}
    assert not any(box.key.startswith("role_tag_") for box in at.selectbox)
    at = scalars_tab(at)
    assert_clean(at)
    assert len(at.get("vega_lite_chart")) == 1 and "curves" not in chart_data(at), "every scalar alone"
    assert {"Curves", "Diagnosis"}.isdisjoint(header.value for header in at.subheader)
    assert "run_scalars_tags" in {box.key for box in at.text_input}
    assert any(box.key.startswith("role_tag_") for box in at.selectbox)


def test_run_page_shows_findings_hyperparameters_and_what_was_not_judged(start, demo_report):
    run = demo_report["lightning_logs/classification-mlp-tanh-adam"]
    at = page(start(query={"run": run.run}), "run")
    hparams = at.dataframe[-1].value
    assert dict(zip(hparams["hyperparameter"], hparams["value"])) == {k: str(v) for k, v in run.hparams.items()}
    assert "Reading met no problem in this run's files." in texts(at)


def test_run_page_marks_say_what_they_mean_and_which_label_they_back(start, demo_report):
    run = demo_report["keras/wine-mlp-tanh-sgd"]
    at = page(start(query={"run": run.run}), "run")
    assert_clean(at)
    spec, datasets = chart(at)
    marks = [layer for view in spec["vconcat"] for layer in view["layer"] if layer.get("data", {}).get("name") == "events"]
    assert all(
        [t["field"] for t in layer["encoding"]["tooltip"]] == ["meaning", "supports", "numbers", "description"] for layer in marks
    )
    best = [row for row in datasets["events"] if row["kind"] == "best_step"]
    assert {row["supports"] for row in best} == {"overfitting"} and all(row["meaning"] for row in datasets["events"])


def test_a_run_whose_losses_span_decades_starts_on_a_log_axis(start, demo_report):
    wide, narrow = demo_report["keras/digits-mlp-tanh-sgd"], demo_report["keras/gaussian-quantiles-mlp-adam"]
    at = page(start(query={"run": wide.run}), "run")
    assert at.toggle(key="run_log_scale").value is True and '"type": "log"' in json.dumps(chart(at)[0])
    at.selectbox(key="run_widget").select(narrow.run).run()
    assert at.toggle(key="run_log_scale").value is False and '"type": "log"' not in json.dumps(chart(at)[0])
    at.toggle(key="run_log_scale").set_value(True).run()
    assert at.toggle(key="run_log_scale").value is True, "the person's choice holds for the run shown"


def test_run_page_shows_numbers_in_full_and_no_none_in_tables(start, demo_report):
    run = demo_report["keras/digits-mlp-tanh-sgd"]
    at = page(start(query={"run": run.run}), "run")
    assert_clean(at)
    assert not at.metric, "a metric tile cuts a long number short"
    shown = texts(at)
    for key, value in run.numbers.items():
        if value is not None:
            assert (
                f"{key.replace('_', ' ')}** {value:,}" in shown
                if isinstance(value, int)
                else f"{key.replace('_', ' ')}** {value:.4g}" in shown
            )
    for table in at.dataframe:
        frame = table.value
        assert not frame.isna().any().any() and not (frame.astype(str) == "None").any().any(), frame


def test_an_unknown_run_in_the_url_is_a_warning(start, demo_report):
    at = page(start(query={"run": "no/such-run"}), "run")
    assert_clean(at)
    assert "No run named no/such-run in demo/." in [unescape(w.value) for w in at.warning]
    assert at.selectbox(key="run_widget").value == demo_report.runs[0].run


def test_a_linked_run_stays_selectable_when_the_filters_exclude_it(start, demo_report):
    run = demo_report["keras/wine-mlp-tanh-sgd"]
    at = page(start(query={"run": run.run, "label": "healthy"}), "run")
    selector = at.selectbox(key="run_widget")
    assert selector.value == run.run
    assert selector.options == [run.run] + [r.run for r in demo_report if "healthy" in r.labels]


# --- compare and sweep -------------------------------------------------------------------------------


def test_compare_overlays_the_runs_in_the_url(start, demo_report):
    names = ["keras/wine-mlp-tanh-sgd", "tensorboard/breast-cancer-mlp-sgd"]
    at = page(start(query={"runs": names}), "compare")
    assert_clean(at)
    assert at.multiselect(key="compared_widget").value == names
    spec, datasets = chart(at)
    assert spec["layer"]
    assert {row["run"] for rows in datasets.values() for row in rows} == set(names)
    table = at.dataframe[0].value
    assert list(table["run"]) == names
    at.selectbox(key="compare_role").select("val_loss").run()
    assert_clean(at)
    at.multiselect(key="compared_widget").set_value(names[:1]).run()
    assert at.query_params["runs"] == names[0]
    assert list(at.dataframe[0].value["run"]) == names[:1]


def test_compare_starts_from_the_selected_run(start, demo_report):
    at = page(start(query={"run": "keras/wine-mlp-tanh-sgd"}), "compare")
    assert at.multiselect(key="compared_widget").value[0] == "keras/wine-mlp-tanh-sgd"
    assert len(at.multiselect(key="compared_widget").value) == 3


def test_sweep_without_varying_hyperparameters_says_so(start):
    at = page(start(), "sweep")
    assert_clean(at)
    assert any("No runs here carry hyperparameters" in info.value for info in at.info)


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """Six Lightning runs of one model that differ in learning rate (and in what went wrong); one logs its
    learning rate as ``1e-3``, which YAML reads as text."""
    family = FIXTURES / "corpus" / "runs" / "breast_cancer-deep-relu"
    target = tmp_path_factory.mktemp("sweep")
    copy_runs(target, "r1011", "r0593", "r0833", "r0182", "r0828", "r0496", source=family)
    hparams = target / "r1011" / "hparams.yaml"
    hparams.write_text(hparams.read_text().replace("lr: 0.001\n", "lr: 1e-3\n"))
    return target


def test_sweep_plots_the_metric_against_a_learning_rate_on_a_log_axis(start, sweep_dir):
    report = curvescope.audit(sweep_dir)
    table = sweeps.sweep_table(report)
    at = page(start(sweep_dir), "sweep")
    assert_clean(at)
    assert at.selectbox(key="sweep_hparam").value == "hp.lr"
    assert at.selectbox(key="sweep_metric").value == "best_val_loss"
    spec, datasets = chart(at)
    setting = next(layer["encoding"]["x"] for layer in spec["layer"] if "x" in layer.get("encoding", {}))
    assert setting["type"] == "quantitative" and setting["scale"]["type"] == "log"
    plotted = table.dropna(subset=["hp.lr", "best_val_loss"])
    points = [row for rows in datasets.values() for row in rows if "run" in row and "primary_label" in row]
    assert 3 <= len(plotted) and {row["run"] for row in points} == set(plotted["run"])
    assert {(row["run"], row["setting"], row["metric"]) for row in points} == set(
        zip(plotted["run"], plotted["hp.lr"], plotted["best_val_loss"])
    )
    best = sweeps.sweep_best(table, "hp.lr", "best_val_loss")
    assert best.describe() in [unescape(info.value) for info in at.info]
    rows = at.dataframe[0].value
    assert list(rows["run"]) == list(plotted.sort_values("best_val_loss")["run"])
    at.selectbox(key="sweep_metric").select("final_val_acc").run()
    assert_clean(at)
    assert sweeps.sweep_best(table, "hp.lr", "final_val_acc").describe() in [unescape(i.value) for i in at.info]
    at.selectbox(key="sweep_hparam").select("hp.optimizer").run()
    assert_clean(at)


def test_sweep_best_is_a_run_without_a_problem_and_the_table_says_why_others_are_not(start, sweep_dir):
    table = sweeps.sweep_table(curvescope.audit(sweep_dir))
    at = page(start(sweep_dir), "sweep")
    assert_clean(at)
    best = sweeps.sweep_best(table, "hp.lr", "best_val_loss")
    assert table.set_index("run").loc[best.run, "caveat"] == "" and best.set_aside > 0
    assert any(unescape(info.value) == best.describe() and "set aside" in best.describe() for info in at.info)
    rows = at.dataframe[0].value.set_index("run")
    assert (rows["caveat"] != "").sum() == best.set_aside and rows["caveat"].notna().all()


def test_the_median_line_is_drawn_per_data_set_not_pooled(start, sweep_dir, tmp_path):
    for run, data in (("r0182", "a"), ("r0828", "b"), ("r0593", "a"), ("r1011", "b")):
        shutil.copytree(sweep_dir / run, tmp_path / run)
        shutil.copytree(sweep_dir / run, tmp_path / f"{run}-again")
        for copy in (run, f"{run}-again"):
            with (tmp_path / copy / "hparams.yaml").open("a") as out:
                out.write(f"dataset: {data}\n")
    at = page(start(tmp_path), "sweep")
    assert_clean(at)
    assert at.selectbox(key="sweep_group").value == "hp.dataset"
    medians = chart_data(at)["medians"]
    assert {row["group"] for row in medians} == {"a", "b"}
    assert any("one per dataset" in caption.value for caption in at.caption)


def test_a_far_outlier_is_drawn_at_the_chart_edge_and_counted(start, sweep_dir, tmp_path):
    for run in ("r1011", "r0593", "r0833", "r0182", "r0828"):
        shutil.copytree(sweep_dir / run, tmp_path / run)
    metrics = tmp_path / "r0833" / "metrics.csv"
    lines = metrics.read_text().splitlines()
    lines[-1] = ",".join(lines[-1].split(",")[:-1] + ["1e+200"])
    metrics.write_text("\n".join(lines) + "\n")
    at = page(start(tmp_path), "sweep")
    at.selectbox(key="sweep_metric").select("final_val_loss").run()
    assert_clean(at)
    spec, _ = chart(at)
    y = next(layer["encoding"]["y"] for layer in spec["layer"] if layer["encoding"].get("y", {}).get("field") == "metric")
    assert y["scale"]["clamp"] is True and y["scale"]["domain"][1] < 10
    assert any("1 run lies off the chart" in caption.value for caption in at.caption)


# --- the directory, and bad input --------------------------------------------------------------------


def test_a_folder_below_the_start_is_audited_alone(start, demo_report):
    at = start()
    at.sidebar.text_input(key="folder_widget").input("keras").run()
    assert_clean(at)
    keras = [run.run.removeprefix("keras/") for run in views.by_severity(demo_report) if run.run.startswith("keras/")]
    assert list(labels_shown(at)) == keras
    assert at.query_params["path"] == "keras"
    assert "3 runs in demo/keras/" in texts(at)


@pytest.mark.parametrize("typed", ["..", "../corpus", "/", "keras/../../.."])
def test_a_path_outside_the_start_is_refused_with_a_message(start, typed):
    at = start()
    at.sidebar.text_input(key="folder_widget").input(typed).run()
    assert not at.exception
    assert [unescape(e.value) for e in at.error] == [
        f"{typed}: outside the directory the app was started with (demo/); only paths below it can be read. "
        "Type a directory below demo/."
    ]
    assert not at.dataframe


def test_a_path_outside_the_start_in_the_url_is_refused_on_every_page(start):
    for name in PAGES:
        at = page(start(query={"path": "../.."}), name)
        assert not at.exception
        assert "outside the directory the app was started with" in at.error[0].value.replace("\\", "")


def test_a_link_out_of_the_start_directory_is_refused_with_a_message(start, tmp_path):
    root = copy_runs(tmp_path / "runs", "keras/wine-mlp-tanh-sgd")
    copy_runs(tmp_path / "elsewhere", "keras/digits-mlp-tanh-sgd")
    (root / "keras" / "borrowed").symlink_to(tmp_path / "elsewhere" / "keras" / "digits-mlp-tanh-sgd")
    for name in PAGES:
        at = page(start(root), name)
        assert not at.exception and not at.dataframe
        assert unescape(at.error[0].value).startswith(
            "keras/borrowed: symbolic link to outside the directory the app was started with (runs/)"
        )
    at.sidebar.text_input(key="folder_widget").input("keras/wine-mlp-tanh-sgd").run()
    assert_clean(page(at, "overview"))
    assert list(labels_shown(at)) == ["wine-mlp-tanh-sgd"]


def test_a_corrupt_log_is_a_message_naming_the_file(start, tmp_path):
    copy_runs(tmp_path, "keras/wine-mlp-tanh-sgd")
    good = DEMO / "tensorboard" / "breast-cancer-mlp-sgd" / "events.out.tfevents.1700000000.demo.1"
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / good.name).write_bytes(good.read_bytes()[:333])
    at = start(tmp_path)
    assert not at.exception
    warning = unescape(at.warning[0].value)
    assert f"cut/{good.name}" in warning and "cut off" in warning
    expected = {run.run: list(run.labels) or ["not judged"] for run in curvescope.audit(tmp_path)}
    assert labels_shown(at) == expected and "cut" in expected  # what was read before the cut is judged
    at.query_params["run"] = "cut"
    page(at, "run")
    assert not at.exception
    assert f"cut/{good.name}" in texts(at)


def test_notes_from_reading_are_not_shown_as_problems(start, tmp_path):
    family = FIXTURES / "corpus" / "runs" / "breast_cancer-deep-relu"
    copy_runs(tmp_path, "r0496", source=family)
    report = curvescope.audit(tmp_path)
    assert {str(f.severity) for f in report.findings} == {"info"}
    at = start(tmp_path)
    assert_clean(at)
    assert not at.warning
    assert at.expander[0].label == f"All reading findings ({len(report.findings)})"
    assert not at.expander[0].proto.expanded, "notes are there to open, not in the way"
    at.query_params["run"] = "r0496"
    page(at, "run")
    assert not at.warning
    assert report.findings[0].message in unescape(at.info[0].value)


def test_a_directory_without_logs_is_an_error_message(start, tmp_path):
    (tmp_path / "notes.txt").write_text("no logs here")
    for name in PAGES:
        at = page(start(tmp_path), name)
        assert not at.exception
        assert "no training logs found" in unescape(at.error[0].value)


def test_a_missing_start_directory_is_an_error_message(start, tmp_path):
    at = start(tmp_path / "missing")
    assert not at.exception
    assert unescape(at.error[0].value).endswith("missing: no such file or directory. Pass a log directory or a log file.")


def test_new_log_data_shows_after_a_rerun_and_unchanged_data_is_not_read_again(start, tmp_path, monkeypatch):
    copy_runs(tmp_path, "keras/wine-mlp-tanh-sgd")
    audits = []
    audit = curvescope.audit
    monkeypatch.setattr(curvescope, "audit", lambda path, **kw: audits.append(path) or audit(path, **kw))
    at = start(tmp_path)
    assert list(labels_shown(at)) == ["keras/wine-mlp-tanh-sgd"]
    for name in ("run", "compare", "sweep", "overview"):
        page(at, name)
    assert len(audits) == 1
    shutil.copytree(DEMO / "keras" / "digits-mlp-tanh-sgd", tmp_path / "keras" / "digits-mlp-tanh-sgd")
    assert set(labels_shown(audited(at.run()))) == {"keras/digits-mlp-tanh-sgd", "keras/wine-mlp-tanh-sgd"}
    assert len(audits) == 2


def test_run_names_are_shown_as_text_not_markdown(start, tmp_path):
    weird = "[x](javascript:alert(1)) **b** <b>c</b> :red[d] $e$ `f`"
    shutil.copytree(DEMO / "keras" / "wine-mlp-tanh-sgd", tmp_path / weird)
    at = start(tmp_path)
    assert_clean(at)
    assert list(labels_shown(at)) == [weird]
    at.query_params["run"] = weird
    page(at, "run")
    assert_clean(at)
    assert at.selectbox(key="run_widget").value == weird
    page(at, "compare")
    assert_clean(at)
    (label,) = [link.proto.label for link in at.get("page_link")]
    assert unescape(label) == weird
    assert "[" not in label.replace("\\[", "") and "*" not in label.replace("\\*", "")
    assert "<" not in label.replace("\\<", "") and "$" not in label.replace("\\$", "")


def test_the_demo_is_the_default_directory(start):
    at = start()
    assert "Started on demo/" in texts(at)
    assert DEMO.is_dir()


def test_overview_lists_runs_not_judged_with_why_and_says_how_many_a_filter_hid(start, tmp_path):
    copy_runs(tmp_path, "keras/wine-mlp-tanh-sgd")
    (tmp_path / "short").mkdir()
    (tmp_path / "short" / "training.log").write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,1.0\n2,0.6,1.2\n")
    at = start(tmp_path)
    assert_clean(at)
    (frame,) = [table.value for table in at.dataframe if "labels" in table.value.columns]
    rows = frame.set_index("run")
    assert set(rows.index) == {"keras/wine-mlp-tanh-sgd", "short"}
    assert rows.loc["short", "labels"] == ["not judged"] and "3 points" in rows.loc["short", "not_judged"]
    at.sidebar.slider(key="filter_min_confidence_widget").set_value(0.5).run()
    assert_clean(at)
    assert "1 run hidden by the filter asked for (confidence 50% or more)" in texts(at)
