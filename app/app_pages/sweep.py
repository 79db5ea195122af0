"""Sweep: a validation metric against a hyperparameter, a point per run coloured by its label, one chart per
data set if asked; every varying hyperparameter on parallel coordinates."""

from __future__ import annotations

import components as ui
import pandas as pd
import streamlit as st

from curvescope.report import scalars, sweeps

MAX_FACETS = 12

data = ui.loaded()
view = data.view

st.title("Sweep")
table = ui.sweep_rows(data)
axes, metrics = sweeps.sweep_axes(table), sweeps.sweep_metrics(table)
if not axes or not metrics:
    st.info(
        "No runs here carry hyperparameters that vary between runs with a validation curve: "
        "a sweep needs logged hyperparameters (TensorBoard hparams, Lightning's hparams.yaml, MLflow params, "
        "Ray Tune's params.json) and a validation loss or accuracy."
    )
    st.stop()

for key, choices in ((ui.SWEEP_HPARAM, axes), (ui.SWEEP_METRIC, metrics)):
    if st.session_state.get(key) not in choices:
        st.session_state[key] = choices[0]
left, right = st.columns(2)
hparam = left.selectbox(
    "Hyperparameter", axes, key=ui.SWEEP_HPARAM, format_func=lambda column: column.removeprefix(sweeps.HPARAM_PREFIX)
)
metric = right.selectbox("Validation metric", metrics, key=ui.SWEEP_METRIC, format_func=lambda name: sweeps.METRICS[name][1])

others = [None, *(axis for axis in axes if axis != hparam)]
if st.session_state.get(ui.SWEEP_GROUP, "") not in others:
    st.session_state[ui.SWEEP_GROUP] = sweeps.sweep_group(table, hparam)
by = st.selectbox(
    "Median line per",
    others,
    key=ui.SWEEP_GROUP,
    format_func=lambda column: "nothing: every run pooled" if column is None else column.removeprefix(sweeps.HPARAM_PREFIX),
    help="Runs of different data sets or settings do not share a median line.",
)

faceted = by is not None and st.toggle(
    f"One chart per {ui.md(by.removeprefix(sweeps.HPARAM_PREFIX))}",
    key="sweep_facet",
    help="Runs of different data sets or settings on charts of their own, each with its own best and axes.",
)
rows = table[table[hparam].notna() & table[metric].notna()]
y_range = sweeps.metric_range(rows[metric])
x_axis = sweeps.hparam_scale(hparam, rows[hparam])
shown_values = rows[metric] if y_range is None else rows[metric].clip(y_range.low, y_range.high)
y_axis = sweeps.hparam_scale("", shown_values)
best = sweeps.sweep_best(table, hparam, metric)
profile = sweeps.sweep_profile(table, hparam, metric, by)
if faceted:
    facets = sweeps.sweep_facets(table, by)
    for (value, part), column in zip(facets[:MAX_FACETS], st.columns(2) * ((len(facets[:MAX_FACETS]) + 1) // 2)):
        with column:
            st.markdown(f"**{ui.md(by.removeprefix(sweeps.HPARAM_PREFIX))} = {ui.md(value)}**")
            if part[hparam].notna().any() and part[metric].notna().any():
                one_best = sweeps.sweep_best(part, hparam, metric)
                one_profile = sweeps.sweep_profile(part, hparam, metric)
                chart = ui.sweep_chart(part, hparam, metric, x_axis, y_axis, one_profile, one_best, y_range)
                st.vega_lite_chart({**chart, "height": 260}, width="stretch")
                if one_best is not None:
                    st.caption(ui.md(one_best.describe()))
            else:
                st.caption("No run here has both values.")
    if len(facets) > MAX_FACETS:
        st.caption(f"The first {MAX_FACETS} of {len(facets)} values drawn.")
else:
    st.vega_lite_chart(ui.sweep_chart(table, hparam, metric, x_axis, y_axis, profile, best, y_range), width="stretch")
scales = {
    "log": "a log axis",
    "symlog": "a log axis that also shows 0",
    "linear": "a linear axis",
    "nominal": "one column per value",
}
median = ""
if profile is not None:
    median = "; the dashed lines are the median at each value" + (
        f", one per {ui.md(by.removeprefix(sweeps.HPARAM_PREFIX))}" if by else ""
    )
off = ""
if y_range is not None:
    runs = "run lies" if y_range.off == 1 else "runs lie"
    off = f"; {y_range.off} {runs} off the chart (beyond {y_range.low:.4g} to {y_range.high:.4g}), drawn at its edge"
st.caption(
    f"{len(rows)} runs; {ui.md(hparam.removeprefix(sweeps.HPARAM_PREFIX))} on {scales[x_axis.scale]}"
    + median
    + off
    + "; the ringed point is the best run. Colour: the run's strongest label."
)
if best is not None:
    st.info(ui.md(best.describe()))
    st.page_link(
        ui.PAGES["run"],
        label=f"Open {ui.md(best.run)}",
        icon=":material/show_chart:",
        query_params=ui.shared_query(**{ui.Q_RUN: best.run}),
    )

ascending = sweeps.METRICS[metric][0] == "min"
shown = rows.sort_values(metric, ascending=ascending)[["run", "label_text", "caveat", hparam, metric]]
picked = st.dataframe(
    shown,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="sweep_table",
    column_config={
        "label_text": st.column_config.TextColumn("labels and confidence"),
        "caveat": st.column_config.TextColumn("not a candidate for best", help="A problem label, a divergence, NaNs"),
        hparam: st.column_config.Column(hparam.removeprefix(sweeps.HPARAM_PREFIX)),
        metric: st.column_config.NumberColumn(sweeps.METRICS[metric][1], format="%.4g"),
    },
)
st.caption("Select a row to open the run.")
if picked.selection.rows:
    ui.open_run(shown["run"].iloc[picked.selection.rows[0]])

st.subheader("Every hyperparameter")
st.caption(
    "Parallel coordinates: an axis per hyperparameter that varies and the validation metric (lowest value at the "
    "bottom; rates on a log scale), a line per run in its label's colour. Hover a line for its run and values."
)
st.vega_lite_chart(ui.parallel_chart(sweeps.parallel_frame(table, metric)), width="stretch")

st.subheader("Runs grouped")
keys = sweeps.seedless(table)
if st.session_state.get("sweep_group_by") is None or any(key not in keys for key in st.session_state["sweep_group_by"]):
    st.session_state["sweep_group_by"] = [hparam] if hparam in keys else keys[:1]
by_keys = st.multiselect(
    "Group runs by",
    keys,
    key="sweep_group_by",
    format_func=lambda column: column.removeprefix(sweeps.HPARAM_PREFIX),
    help="Runs sharing these settings (their seeds) become one row and one curve: their mean, and a band from lowest to highest.",
)
if by_keys:
    groups = sweeps.grouped(table, by_keys)
    st.dataframe(
        groups,
        hide_index=True,
        column_config={
            **{key: st.column_config.TextColumn(key.removeprefix(sweeps.HPARAM_PREFIX)) for key in by_keys},
            **{
                f"{name}_{stat}": st.column_config.NumberColumn(f"{label} ({stat})", format="%.4g")
                for name, (_, label) in sweeps.METRICS.items()
                for stat in ("mean", "std")
            },
        },
    )
    role = "val_acc" if metric.endswith("acc") else "val_loss"
    drawn = st.toggle(
        f"Each group's {role.replace('_', ' ')} curve",
        key="sweep_bands",
        help="Reads every grouped run's curve again: a few seconds for hundreds of runs.",
    )
    bands = (
        pd.DataFrame()
        if not drawn
        else scalars.band_frame(
            data.report,
            sweeps.group_members(table, by_keys),
            lambda run: run.curves[role].tag if role in run.curves else None,
        )
    )
    if len(bands):
        log = role == "val_loss" and bool((bands["low"] > 0).all())
        st.vega_lite_chart(ui.band_chart(bands, role.replace("_", " "), log=log), width="stretch")
        st.caption(
            f"Each group's {role.replace('_', ' ')}, smoothed, against the fraction of training: the mean bold, "
            "the band from its lowest to its highest run."
        )
