"""Run: one run's curves with the evidence drawn on them, its diagnosis, reading findings and hyperparameters;
in a second tab every scalar it logged (as TensorBoard browses them) and the tag that plays each role."""

from __future__ import annotations

import components as ui
import streamlit as st

from curvescope.diagnose import label
from curvescope.report import drawing

data = ui.loaded()
report, view = data.report, data.view

st.title("Run")
known = {run.run for run in report.runs}
names = [run.run for run in view.runs]
current = st.session_state.get(ui.RUN)
if current is not None and current not in known:
    st.warning(f"No run named {ui.md(current)} in {ui.md(ui.where(data))}.")
    current = None
if current is not None and current not in names:
    names.insert(0, current)  # a linked run stays in reach whatever the filters
if not names:
    st.info("No run matches the filters in the sidebar.")
    st.stop()
if st.session_state.get(ui.RUN_WIDGET) not in names:
    st.session_state[ui.RUN_WIDGET] = current if current is not None else names[0]
name = st.selectbox("Run", names, key=ui.RUN_WIDGET, help="The runs that pass the filters in the sidebar.")
st.session_state[ui.RUN] = name
ui.publish(ui.Q_RUN, name)
run = report[name]

st.markdown(ui.run_badges(run))
st.markdown(ui.key_numbers(run))


@st.fragment
def curves(run) -> None:
    """The run's panels with the evidence on them, under their smoothing and log-scale controls: a fragment, so
    that moving the smoothing redraws this chart alone, not the diagnosis and every scalar below it."""
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    smoothing, log = ui.curve_controls("run", left, right)
    panels = drawing.panels(run)
    if not panels:
        st.info("No curves were logged for this run.")
        return
    events = drawing.event_frame(run, smoothing, log=log)
    st.vega_lite_chart(
        ui.run_chart(drawing.curve_frame(run, smoothing, log=log, max_points=ui.DRAWN_POINTS), events, panels, log=log)
    )
    st.caption(
        "Faint: the points as logged; bold: smoothed. Drag to pan, scroll to zoom (double-click resets), "
        "hover for step and value, or a mark for what it means and which label it backs. " + ui.mark_key(events)
    )


# Two tabs, the one open drawn alone: the scalar browser's chart and the role chooser cost the browser a
# third of a run change, and only someone browsing tags looks at them.
diagnosis_tab, scalars_tab = st.tabs(["Diagnosis", "Every scalar"], key=ui.RUN_TAB, on_change="rerun")
if scalars_tab.open:
    with scalars_tab:
        ui.scalar_browser(report, [name], "run")
        ui.role_chooser(run)
if diagnosis_tab.open:
    with diagnosis_tab:
        st.subheader("Curves")
        if st.session_state.get(ui.LOG_CHOSEN_FOR) != name:  # each run starts on a log axis when its losses span decades
            ui.set_lasting(ui.LOG, ui.widget_key(ui.LOG, "run"), drawing.wide_range(run))
            st.session_state[ui.LOG_CHOSEN_FOR] = name
        curves(run)

        st.subheader("Diagnosis")
        diagnosis = run.diagnosis
        if diagnosis.doubt:
            st.warning(ui.md(diagnosis.doubt))
        for verdict in diagnosis.verdicts:
            ui.verdict_card(verdict)
        if not diagnosis.verdicts and "healthy" in run.labels:
            st.success(f"{ui.badge('healthy', f'{run.confidence:.0%}')} {label('healthy').meaning}.")
        elif not run.labels:
            st.info("This run could not be judged: the reasons are below.")
        if diagnosis.suspicions:
            st.markdown("**Suspected, not given**\n\n" + "\n".join(f"- {ui.md(text)}" for text in diagnosis.suspected()))
        if diagnosis.explained:
            st.markdown(
                "**Explained by a stronger label**\n\n"
                + "\n".join(f"- {ui.md(label)} is explained by {ui.md(by)}" for label, by in diagnosis.explained.items())
            )
        if diagnosis.not_judged:
            st.markdown(
                "**Not judged**\n\n"
                + "\n".join(f"- {ui.md(label)}: {ui.md(reason)}" for label, reason in diagnosis.not_judged.items())
            )
        if diagnosis.failures:
            st.warning(
                "**Rules that failed on this run**\n\n"
                + "\n".join(f"- {ui.md(failure.code)}: {ui.md(failure.reason)}" for failure in diagnosis.failures)
            )
        if run.events:
            with st.expander(f"Located on the curves ({len(run.events)})", expanded=not diagnosis.verdicts):
                st.dataframe(ui.events_frame(run.events), hide_index=True)

        st.subheader("Reading findings")
        if run.findings:
            ui.show_findings(run.findings, summary=False)
        else:
            st.caption("Reading met no problem in this run's files.")

        st.subheader("Hyperparameters")
        if run.hparams:
            st.dataframe(ui.hparams_frame(run.hparams), hide_index=True)
        else:
            st.caption("None were logged.")
