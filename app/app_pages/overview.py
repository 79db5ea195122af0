"""Overview: every run with its labels, what reading met, counts per label, and the report to download."""

from __future__ import annotations

import math
from functools import partial

import components as ui
import streamlit as st

from curvescope.report import render, views

RUNS_PER_PAGE = 50
DOWNLOADS = (("csv", "text/csv"), ("json", "application/json"), ("html", "text/html"))

data = ui.loaded()
report, view = data.report, data.view

st.title("Overview")
shown = f"{len(view)} of {len(report)} runs" if data.filters.active else f"{len(report)} runs"
hidden = view.hidden_note()
st.caption(f"{shown} in {ui.md(ui.where(data))}" + (f"; {ui.md(hidden)}" if hidden else ""))

ui.show_findings(report.findings, summary=True)

if not len(view):
    st.info("No run matches the filters in the sidebar.")
    st.stop()

counts = views.label_counts(view)
left, right = st.columns([2, 3])
with left:
    st.subheader("Labels")
    st.markdown(
        "  \n".join(f"{ui.badge(label)} {runs} run{'' if runs == 1 else 's'}" for label, runs in counts.itertuples(index=False))
    )
with right:
    st.vega_lite_chart(ui.counts_chart(counts), width="stretch")

st.subheader("Runs")
st.caption("Sort by a column's header; select a row to open the run.")
frame = views.overview_frame(view)
columns = [
    "run",
    "labels",
    "label_text",
    "confidence",
    "driver",
    "best_val_step",
    "final_train_loss",
    "final_val_loss",
    "final_val_acc",
    "findings",
    "fix",
    "not_judged",
]
picked = st.dataframe(
    frame[columns],
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="overview_table",
    column_config=ui.run_table_columns(),
)
if picked.selection.rows:
    ui.open_run(frame["run"].iloc[picked.selection.rows[0]])

st.caption("Open a run:")
pages = math.ceil(len(view) / RUNS_PER_PAGE)
page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="runs_page") if pages > 1 else 1
for run in view.runs[(page - 1) * RUNS_PER_PAGE : page * RUNS_PER_PAGE]:
    name, labels = st.columns([3, 2], vertical_alignment="center")
    name.page_link(ui.PAGES["run"], label=ui.md(run.run), query_params=ui.shared_query(**{ui.Q_RUN: run.run}))
    labels.markdown(ui.run_badges(run))

st.subheader("Download the report")
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
