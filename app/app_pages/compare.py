"""Compare: several runs' curves of one role overlaid on one step axis, and every tag they logged aligned by
step, epoch, time or the fraction of training."""

from __future__ import annotations

import components as ui
import streamlit as st

from curvescope.report import drawing, scalars, views

DEFAULT_RUNS = 3

data = ui.loaded()
report, view = data.report, data.view

st.title("Compare")
known = {run.run for run in report.runs}
names = [run.run for run in view.runs]
chosen = [name for name in st.session_state.get(ui.COMPARED) or () if name in known]
if not chosen:  # the selected run and runs of its sweep, else the first runs shown
    current = st.session_state.get(ui.RUN)
    chosen = views.sweep_mates(report, current, DEFAULT_RUNS) if current in known else names[:DEFAULT_RUNS]
options = names + [name for name in chosen if name not in names]  # linked runs stay in reach whatever the filters
if not options:
    st.info("No run matches the filters in the sidebar.")
    st.stop()
widget = st.session_state.get(ui.COMPARED_WIDGET)
if widget is None or any(name not in options for name in widget):
    st.session_state[ui.COMPARED_WIDGET] = chosen
selected = st.multiselect(
    "Runs",
    options,
    key=ui.COMPARED_WIDGET,
    placeholder="choose runs to overlay",
    help="The runs that pass the filters in the sidebar.",
)
st.session_state[ui.COMPARED] = selected
ui.publish(ui.Q_COMPARED, selected)
if not selected:
    st.info("Choose runs to overlay.")
    st.stop()

roles = views.roles_of(report, selected)
if not roles:
    st.info("None of these runs logged a curve.")
    st.stop()
if st.session_state.get("compare_role") not in roles:
    st.session_state["compare_role"] = roles[0]
left, middle, right = st.columns([2, 3, 1], vertical_alignment="bottom")
role = left.selectbox("Curve", roles, key="compare_role", format_func=lambda r: r.replace("_", " "))
smoothing, log = ui.curve_controls("compare", middle, right)

frame = drawing.overlay_frame(report, selected, role, smoothing, log=log, max_points=ui.DRAWN_POINTS)
missing = [name for name in selected if name not in set(frame["run"])]
if len(frame):
    st.vega_lite_chart(ui.overlay_chart(frame, role, log=log), width="stretch")
    st.caption("Aligned by step. Faint: as logged; bold: smoothed. Drag to pan, scroll to zoom, hover for values.")
if missing:
    st.caption(f"Without a {role.replace('_', ' ')} curve{' here' if log else ''}: " + ", ".join(ui.md(n) for n in missing))

st.subheader("Every scalar")
ui.scalar_browser(report, selected, "compare", default_x=scalars.default_x(report, selected))

frame = views.overview_frame(views.only(report, selected))
st.dataframe(
    frame[["run", "labels", "label_text", "best_val_step", "final_train_loss", "final_val_loss", "fix"]],
    hide_index=True,
    column_config=ui.run_table_columns(),
)
for name in selected:
    st.page_link(
        ui.PAGES["run"], label=ui.md(name), icon=":material/show_chart:", query_params=ui.shared_query(**{ui.Q_RUN: name})
    )
