"""curvescope's report app: ``streamlit run app/streamlit_app.py -- [PATH]`` (the demo logs without PATH).

The entrypoint sets up the pages, the UI state and the sidebar (the folder to audit, below the
started directory, and the filters), and keeps that state in the URL so that a link can be
shared. Pages render; the numbers they show come from ``curvescope``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parent
if str(APP) not in sys.path:
    sys.path.insert(0, str(APP))

import components as ui  # noqa: E402  (the app's folder is on the path only from here)
import url_state  # noqa: E402

from curvescope import LABELS  # noqa: E402

st.set_page_config(page_title="curvescope", layout="wide")

for key, value in ui.DEFAULTS.items():
    st.session_state.setdefault(key, list(value) if isinstance(value, list) else value)

# A URL from outside (a shared link, a link between pages) sets the state it carries; the app's own
# writes are recognised and ignored, so that widgets stay in charge of what they show.
problems: list[str] = []
filter_keys = (ui.Q_LABEL, ui.Q_CONFIDENCE, ui.Q_NAME)
incoming = {key: ui.from_url(key) for key in (*filter_keys, ui.Q_FOLDER, ui.Q_RUN, ui.Q_COMPARED)}
if any(incoming[key] is not None for key in filter_keys):
    filters, problems = url_state.from_query(
        {key: value for key, value in incoming.items() if key in filter_keys and value is not None}
    )
    if incoming[ui.Q_LABEL] is not None:
        ui.set_lasting(ui.FILTER_LABELS, ui.FILTER_LABELS_WIDGET, list(filters.labels))
    if incoming[ui.Q_CONFIDENCE] is not None:
        ui.set_lasting(ui.FILTER_CONFIDENCE, ui.FILTER_CONFIDENCE_WIDGET, filters.min_confidence)
    if incoming[ui.Q_NAME] is not None:
        ui.set_lasting(ui.FILTER_NAME, ui.FILTER_NAME_WIDGET, filters.name)
if incoming[ui.Q_FOLDER] is not None:
    ui.set_lasting(ui.FOLDER, ui.FOLDER_WIDGET, incoming[ui.Q_FOLDER][-1])
if incoming[ui.Q_RUN] is not None:
    ui.set_lasting(ui.RUN, ui.RUN_WIDGET, incoming[ui.Q_RUN][-1])
if incoming[ui.Q_COMPARED] is not None:
    ui.set_lasting(ui.COMPARED, ui.COMPARED_WIDGET, incoming[ui.Q_COMPARED])

pages = st.navigation(
    [
        st.Page(ui.PAGES["overview"], title="Overview", icon=":material/table_rows:", url_path="overview", default=True),
        st.Page(ui.PAGES["run"], title="Run", icon=":material/show_chart:", url_path="run"),
        st.Page(ui.PAGES["compare"], title="Compare", icon=":material/stacked_line_chart:", url_path="compare"),
        st.Page(ui.PAGES["sweep"], title="Sweep", icon=":material/scatter_plot:", url_path="sweep"),
        st.Page(ui.PAGES["lr_find"], title="LR finder", icon=":material/speed:", url_path="lr-finder"),
    ]
)

with st.sidebar:
    root = ui.started_root()
    st.text_input(
        "Folder",
        key=ui.FOLDER_WIDGET,
        on_change=ui.lasting(ui.FOLDER, ui.FOLDER_WIDGET),
        placeholder="all of it",
        help=f"A directory below {ui.md(root.name)}/ (the app reads nothing outside it).",
    )
    st.caption(f"Started on {ui.md(root.name)}/")
    ui.settings_note()
    st.toggle("Follow the logs", key=ui.FOLLOW, value=True, help="Redraw when runs still training log more.")
    st.multiselect(
        "Labels",
        list(LABELS),
        key=ui.FILTER_LABELS_WIDGET,
        on_change=ui.lasting(ui.FILTER_LABELS, ui.FILTER_LABELS_WIDGET),
        placeholder="any label",
        help="Runs with one of these labels (any when empty).",
    )
    st.slider(
        "Minimum confidence",
        0.0,
        1.0,
        step=0.01,
        key=ui.FILTER_CONFIDENCE_WIDGET,
        on_change=ui.lasting(ui.FILTER_CONFIDENCE, ui.FILTER_CONFIDENCE_WIDGET),
        help="Runs with a chosen label (or any label) given at least this confident.",
    )
    st.text_input(
        "Run name contains",
        key=ui.FILTER_NAME_WIDGET,
        on_change=ui.lasting(ui.FILTER_NAME, ui.FILTER_NAME_WIDGET),
        placeholder="any name",
    )
    for problem in problems:
        st.warning(ui.md(problem))

query = url_state.to_query(ui.current_filters())
for key in filter_keys:
    ui.publish(key, query.get(key))
ui.publish(ui.Q_FOLDER, st.session_state[ui.FOLDER])

pages.run()
