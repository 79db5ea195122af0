"""Browsing curves as in TensorBoard, and the audit's settings, under AppTest: every tag of a run with a
tag pattern and a choice of x-axis, outliers off the axis, the scalars to download; the app audits with
the options it was started with, and the tag of each role can be chosen in the page."""

from __future__ import annotations

import io
import json
import shutil

import pandas as pd
import pytest

import curvescope
from curvescope.report import scalars, sweeps
from tests.app.conftest import DEMO, assert_clean, page, scalars_tab, texts, unescape
from tests.app.test_app_pages import labels_shown
from tests.report.test_scalars import write_run

pytestmark = pytest.mark.slow  # each test runs the app's script, and again after each interaction

LIGHTNING = "lightning_logs/classification-mlp-tanh-adam"
WINE = "keras/wine-mlp-tanh-sgd"


def scalar_chart(at) -> tuple[dict, pd.DataFrame]:
    """The scalar browser's chart: its spec and its points."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if "concat" in spec:
            data = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in element.proto.datasets}
            return spec, data["scalars"]
    raise AssertionError("the page draws no chart of every scalar")


def downloads(at) -> dict[str, bytes]:
    """The page's download buttons by label, with the bytes each gives."""
    found = {}
    for button in at.get("download_button"):
        found[button.proto.label] = button
    return found


def test_run_page_charts_every_tag_the_run_logged(start, demo_report):
    run = demo_report[LIGHTNING]
    at = scalars_tab(page(start(query={"run": run.run}), "run"))
    assert_clean(at)
    spec, points = scalar_chart(at)
    logged = set(scalars.run_scalars(run)["tag"])
    roles = {curve.tag for curve in run.curves.values()}
    assert logged - roles, "the run logs tags no role reads"
    assert set(points["tag"]) == logged
    assert [chart["title"]["text"] for chart in spec["concat"]] == sorted(logged, key=str.casefold)


def test_a_tag_pattern_narrows_the_charts_and_a_bad_one_is_a_warning(start, demo_report):
    at = scalars_tab(page(start(query={"run": LIGHTNING}), "run"))
    at.text_input(key="run_scalars_tags").input("^val").run()
    assert_clean(at)
    _, points = scalar_chart(at)
    assert set(points["tag"]) == {"val_acc", "val_loss"}
    assert "2 of 5 tags" in texts(at)
    at.text_input(key="run_scalars_tags").input("val(").run()
    assert_clean(at)
    assert any("not a regular expression" in unescape(w.value) for w in at.warning)
    assert len(set(scalar_chart(at)[1]["tag"])) == 5


def test_the_x_axis_can_be_epochs_time_or_the_fraction_of_training(start, demo_report):
    at = scalars_tab(page(start(query={"run": LIGHTNING}), "run"))
    epochs = scalars.run_scalars(demo_report[LIGHTNING])
    last_epoch = epochs.loc[epochs["tag"] == "epoch", "value"].max()
    at.selectbox(key="run_scalars_x").select("epoch").run()
    spec, points = scalar_chart(at)
    assert points["x"].max() == pytest.approx(last_epoch) and points["x"].max() < points["step"].max()
    assert spec["concat"][0]["layer"][0]["encoding"]["x"]["title"] == "epoch"
    at.selectbox(key="run_scalars_x").select("fraction").run()
    _, points = scalar_chart(at)
    assert points["x"].min() == 0.0 and points["x"].max() == 1.0
    at.selectbox(key="run_scalars_x").select("relative").run()
    assert_clean(at)
    assert "without times logged" in texts(at), "a CSV log keeps no time: the page says so"


def test_hovering_shows_every_series_at_that_point(start, demo_report):
    at = page(start(query={"runs": [WINE, LIGHTNING]}), "compare")
    spec, _ = scalar_chart(at)
    tooltips = [
        layer["encoding"]["tooltip"] for chart in spec["concat"] for layer in chart["layer"] if "tooltip" in layer["encoding"]
    ]
    assert tooltips and all({item.get("title") for item in tooltip} >= {WINE, LIGHTNING} for tooltip in tooltips)


def test_ignoring_outliers_sets_the_axis_to_the_bulk_of_the_values(start, tmp_path):
    write_run(tmp_path / "spiky", spike=True)  # grad_norm jumps to 1e9 once
    at = scalars_tab(page(start(tmp_path, query={"run": "spiky"}), "run"))
    spec, points = scalar_chart(at)
    norm = next(chart for chart in spec["concat"] if chart["title"]["text"] == "grad_norm")
    assert "domain" not in norm["layer"][0]["encoding"]["y"]["scale"]
    at.toggle(key="run_scalars_outliers").set_value(True).run()
    spec, points = scalar_chart(at)
    norm = next(chart for chart in spec["concat"] if chart["title"]["text"] == "grad_norm")
    low, high = norm["layer"][0]["encoding"]["y"]["scale"]["domain"]
    values = points.loc[points["tag"] == "grad_norm", "value"]
    assert values.max() == pytest.approx(1e9) and high < 10, "the spike is drawn off the axis"
    assert values.between(low, high).mean() >= 0.9, "the rest of the curve is on it"


@pytest.mark.parametrize("fmt", ["CSV", "PARQUET"])
def test_the_scalars_shown_can_be_downloaded_as_logged(start, demo_report, fmt):
    at = scalars_tab(page(start(query={"run": LIGHTNING}), "run"))
    at.text_input(key="run_scalars_tags").input("loss").run()
    button = downloads(at)[f"Scalars as {fmt}"]
    assert button.proto.label
    data = scalars.export(scalars.raw_scalars(demo_report, [LIGHTNING], ["train_loss_step", "val_loss"]), fmt.lower())
    back = pd.read_csv(io.BytesIO(data)) if fmt == "CSV" else pd.read_parquet(io.BytesIO(data))
    logged = scalars.run_scalars(demo_report[LIGHTNING])
    assert len(back) == logged["tag"].isin(["train_loss_step", "val_loss"]).sum()


# --- the audit's settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "options"),
    [(("--no-model",), {"model": False}), (("--role", "val_loss=loss"), {"roles": {"val_loss": "loss"}})],
)
def test_the_app_audits_with_the_options_it_was_started_with(start, demo_report, args, options):
    expected = curvescope.audit(DEMO, **options)
    assert {r.run: list(r.labels) for r in expected} != {r.run: list(r.labels) for r in demo_report}, "the options matter"
    at = start(DEMO, args=args)
    assert_clean(at)
    assert labels_shown(at) == {run.run: list(run.labels) or ["not judged"] for run in expected}
    assert "Audited with" in texts(at)


def test_bad_options_are_a_message(start):
    at = start(DEMO, args=("--classes", "one"))
    assert len(at.error) == 1 and "--classes" in unescape(at.error[0].value)


def test_the_tag_of_a_role_is_chosen_in_the_page(start, demo_report):
    expected = curvescope.audit(DEMO, roles={"val_loss": "loss"})
    at = scalars_tab(page(start(query={"run": WINE}), "run"))
    at.selectbox(key="role_tag_val_loss").select("loss")
    at.button(key="FormSubmitter:role_tags_form-Apply").click().run()
    assert_clean(at)
    assert "val loss (now loss)" in [unescape(box.label) for box in at.selectbox]
    assert labels_shown(page(at, "overview")) == {run.run: list(run.labels) or ["not judged"] for run in expected}


# --- compare ---------------------------------------------------------------------------------------------


def test_compare_starts_from_the_run_and_its_sweep(start, demo_report):
    at = page(start(query={"run": WINE}), "compare")
    chosen = at.multiselect(key="compared_widget").value
    assert chosen[0] == WINE and len(chosen) == 3
    assert all(name.startswith("keras/") for name in chosen), "runs of the same sweep (the same folder)"


def test_compared_runs_have_distinct_colours_and_runs_of_other_step_scales_are_aligned(start, demo_report):
    names = ["huggingface/digits-mlp-tanh-sgd", "keras/wine-mlp-tanh-sgd"]  # steps in batches, steps in epochs
    at = page(start(query={"runs": names}), "compare")
    assert_clean(at)
    assert at.selectbox(key="compare_scalars_x").value == "epoch", "both say which epoch each step is in"
    spec, points = scalar_chart(at)
    assert set(points["run"]) == set(names)
    last_epochs = points.groupby("run")["x"].max()
    assert last_epochs[names[1]] == demo_report[names[1]].numbers["last_step"], "Keras logs a row per epoch"
    assert last_epochs[names[0]] < points.loc[points["run"] == names[0], "step"].max() / 10, "steps are batches"
    scale = spec["concat"][0]["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == names and scale["scheme"] == "tableau10"
    overlay = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert overlay["layer"][0]["encoding"]["color"]["scale"]["domain"] == names


def test_runs_of_other_step_scales_without_epochs_are_aligned_by_the_fraction_of_training(start, demo_report):
    names = ["tensorboard/breast-cancer-deep-relu-sgd", "keras/gaussian-quantiles-mlp-adam"]  # 700 batches, 20 epochs
    assert scalars.default_x(demo_report, names) == "fraction"
    at = page(start(query={"runs": names}), "compare")
    assert at.selectbox(key="compare_scalars_x").value == "fraction"
    _, points = scalar_chart(at)
    assert points.groupby("run")["x"].max().tolist() == [1.0, 1.0]


# --- sweep -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_data_sets(tmp_path_factory):
    """Four runs of a learning-rate sweep on each of two data sets (``dataset`` in hparams.yaml)."""
    from tests.conftest import FIXTURES

    family = FIXTURES / "corpus" / "runs" / "breast_cancer-deep-relu"
    target = tmp_path_factory.mktemp("two")
    for run, data in (("r0182", "a"), ("r0828", "b"), ("r0593", "a"), ("r1011", "b"), ("r0833", "a"), ("r0496", "b")):
        shutil.copytree(family / run, target / run)
        with (target / run / "hparams.yaml").open("a") as out:
            out.write(f"dataset: {data}\n")
    return target


def parallel(at) -> tuple[dict, pd.DataFrame]:
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    for element in at.get("vega_lite_chart"):
        if any(d.name == "lines" for d in element.proto.datasets):
            data = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in element.proto.datasets}
            return json.loads(element.proto.spec), data["lines"]
    raise AssertionError("the sweep page draws no parallel coordinates")


def test_sweep_draws_every_varying_hyperparameter_on_parallel_axes_coloured_by_label(start, two_data_sets):
    table = sweeps.sweep_table(curvescope.audit(two_data_sets))
    at = page(start(two_data_sets), "sweep")
    assert_clean(at)
    spec, lines = parallel(at)
    varying = [column.removeprefix("hp.") for column in sweeps.sweep_axes(table)]
    assert {"lr", "dataset"} <= set(varying)
    assert list(dict.fromkeys(lines["axis"])) == [*varying, "best validation loss"]
    assert set(lines["run"]) == set(table.dropna(subset=["best_val_loss"])["run"])
    labels = dict(zip(table["run"], table["primary_label"]))
    assert all(labels[run] == label for run, label in zip(lines["run"], lines["primary_label"]))
    colour = spec["layer"][1]["encoding"]["color"]
    assert colour["field"] == "primary_label" and colour["scale"]["domain"][0] == "bad_init"
    lr = lines[lines["axis"] == "lr"].dropna(subset=["position"])
    lowest = table.set_index("run").loc[lr["run"], "hp.lr"].to_numpy()
    assert (lr["position"].to_numpy()[lowest == lowest.min()] == 0).all() and lr["position"].max() == 1


def test_sweep_draws_one_chart_per_data_set_each_with_its_best(start, two_data_sets):
    table = sweeps.sweep_table(curvescope.audit(two_data_sets))
    at = page(start(two_data_sets), "sweep")
    assert at.selectbox(key="sweep_group").value == "hp.dataset"
    at.toggle(key="sweep_facet").set_value(True).run()
    assert_clean(at)
    shown = texts(at)
    for value in ("a", "b"):
        assert f"dataset = {value}" in shown
        best = sweeps.sweep_best(table[table["hp.dataset"] == value], "hp.lr", "best_val_loss")
        assert best.describe() in shown
    sweep_charts = [e for e in at.get("vega_lite_chart") if any(d.name == "runs" for d in e.proto.datasets)]
    assert len(sweep_charts) == 2


def test_sweep_interactions_read_no_curve_again(start, two_data_sets, monkeypatch):
    at = page(start(two_data_sets), "sweep")
    from curvescope.assemble import curve_store

    def no_reading(*args, **kwargs):
        raise AssertionError("a sweep interaction read a run's curves again")

    curve_store._read_run.cache_clear()
    monkeypatch.setattr(curve_store, "read_cached", no_reading)
    at.selectbox(key="sweep_hparam").select("hp.dataset").run()
    at.selectbox(key="sweep_metric").select("best_val_acc").run()
    assert_clean(at)


def test_runs_of_one_setting_are_grouped_with_their_mean_and_band(start, two_data_sets):
    report = curvescope.audit(two_data_sets)
    table = sweeps.sweep_table(report)
    at = page(start(two_data_sets), "sweep")
    at.multiselect(key="sweep_group_by").set_value(["hp.dataset"]).run()
    assert_clean(at)
    grouped = next(frame.value for frame in at.dataframe if "runs" in frame.value.columns)
    assert list(grouped["hp.dataset"]) == ["a", "b"] and list(grouped["runs"]) == [3, 3]
    for value, mean in zip(grouped["hp.dataset"], grouped["best_val_loss_mean"]):
        assert mean == pytest.approx(table.loc[table["hp.dataset"] == value, "best_val_loss"].mean())
    at.toggle(key="sweep_bands").set_value(True).run()
    assert_clean(at)
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    (element,) = [e for e in at.get("vega_lite_chart") if any(d.name == "bands" for d in e.proto.datasets)]
    bands = convert_arrow_bytes_to_pandas_df(element.proto.datasets[0].data.data)
    assert set(bands["group"]) == {"dataset=a", "dataset=b"}
    assert (bands["low"] <= bands["mean"] + 1e-12).all() and (bands["mean"] <= bands["high"] + 1e-12).all()
    for group, runs in sweeps.group_members(table, ["hp.dataset"]).items():
        curves = [report[run].curves.get("val_loss") for run in runs]
        with_curve = sum(curve is not None and len(curve.finite()) >= 2 for curve in curves)
        assert set(bands.loc[bands["group"] == group, "runs"]) == {with_curve}, group


def test_the_overview_table_has_a_column_per_varying_hyperparameter(start, two_data_sets):
    table = sweeps.sweep_table(curvescope.audit(two_data_sets)).set_index("run")
    at = start(two_data_sets)
    assert_clean(at)
    frame = next(t.value for t in at.dataframe if "labels" in t.value.columns).set_index("run")
    for column in ("hp.lr", "hp.dataset"):
        assert frame[column].to_dict() == table.loc[frame.index, column].to_dict()


def test_tag_names_from_the_logs_are_shown_as_text(start, tmp_path):
    odd = "*bold* [link](http://x)"
    (tmp_path / "odd").mkdir()
    rows = [f"{epoch},{2.0 / (epoch + 1)},{1.0 / (epoch + 1)}" for epoch in range(30)]
    (tmp_path / "odd" / "training.log").write_text("\n".join([f"epoch,loss,{odd}", *rows]) + "\n")  # Keras' CSVLogger
    at = scalars_tab(page(start(tmp_path, query={"run": "odd"}), "run"))
    assert_clean(at)
    _, points = scalar_chart(at)
    assert odd in set(points["tag"])
    assert any(unescape(box.label) == "train loss (now loss)" for box in at.selectbox)
    assert odd in [option for box in at.selectbox for option in box.options]
    assert all("[link](http" not in box.label for box in at.selectbox), "a label is Markdown: tags are escaped"
