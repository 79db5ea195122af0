"""Overview, for triage: every run with its labels and fix, problem runs first, narrowed by a pattern on
their names; what reading met, counts per label, and the report to download. While the audit runs, the
runs audited so far, drawn again as more are."""

from __future__ import annotations

import math
from functools import partial

import components as ui
import streamlit as st

from curvescope import InvalidParameterError
from curvescope.report import render, sweeps, views

RUNS_PER_PAGE = 25
DOWNLOADS = (("csv", "text/csv"), ("json", "application/json"), ("html", "text/html"))

data = ui.loaded(partial=True)
report, view = data.report, data.view

st.title("Overview")
ui.show_growing(data)
shown = f"{len(view)} of {len(report)} runs" if data.filters.active else f"{len(report)} runs"
hidden = view.hidden_note()
st.caption(f"{shown} in {ui.md(ui.where(data))}" + (f"; {ui.md(hidden)}" if hidden else ""))

ui.show_findings(report.findings, summary=True)

if not len(view):
    st.info("No run matches the filters in the sidebar.")
    st.stop()

# the counts on one line, so that the table and its fixes start within the first screen
counts = views.label_counts(view)
st.markdown(
    " · ".join(f"{ui.badge(label)} {runs} run{'' if runs == 1 else 's'}" for label, runs in counts.itertuples(index=False))
)

st.subheader("Runs")
pattern = st.text_input("Runs whose name matches", key="overview_pattern", placeholder="a regular expression, e.g. ^keras/.*sgd")
try:
    runs = views.matching(view, pattern)
except InvalidParameterError as error:
    st.warning(str(error))
    runs = view
matched = f"{len(runs)} of {len(view)} runs match; " if len(runs) < len(view) else ""
st.caption(f"{matched}problem runs first, the most confident first. Sort by a column's header; select a row to open the run.")
ordered = views.by_severity(runs)
frame = views.overview_frame(ordered)
columns = [
    "run",
    "labels",
    "label_text",
    "fix",
    "confidence",
    "driver",
    "best_val_step",
    "final_train_loss",
    "final_val_loss",
    "final_val_acc",
    "findings",
    "not_judged",
]
hparams = sweeps.sweep_axes(ui.sweep_rows(data))  # the settings that differ between runs, as W&B's run table shows them
frame = frame.merge(ui.sweep_rows(data)[["run", *hparams]], on="run", how="left")
picked = st.dataframe(
    frame[columns + hparams],
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="overview_table",
    column_config={
        **ui.run_table_columns(),
        **{column: st.column_config.Column(column.removeprefix(sweeps.HPARAM_PREFIX)) for column in hparams},
    },
)
if picked.selection.rows:
    ui.open_run(frame["run"].iloc[picked.selection.rows[0]])

# the table is drawn on a canvas: these links are the runs as text, for keyboards, screen readers and search
st.caption("Open a run:")
pages = math.ceil(len(ordered) / RUNS_PER_PAGE)
page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="runs_page") if pages > 1 else 1
for run in ordered.runs[(page - 1) * RUNS_PER_PAGE : page * RUNS_PER_PAGE]:
    st.page_link(
        ui.PAGES["run"], label=f"{ui.md(run.run)} {ui.run_badges(run)}", query_params=ui.shared_query(**{ui.Q_RUN: run.run})
    )

st.subheader("Download the report")
if data.growing is not None:
    st.caption("Once every run is audited: the formats of `curvescope audit --format ...`.")
    st.stop()
st.caption("The same renderers as `curvescope audit --format ...`, for the runs shown.")
for column, (fmt, mime) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS):
    column.download_button(
        f"{fmt.upper()}",
        data=partial(render, view, fmt),
        file_name=f"curvescope-audit.{fmt}",
        mime=mime,
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )
