"""Render helpers shared by the app's pages: the cached audit, the UI state and its URL, badges, charts.

Nothing here measures or judges: numbers and data shapes come from ``curvescope`` (charts from
``curvescope.report.drawing``); this module only turns them into Streamlit elements. Text read from
logs (run names, tags, messages, hyperparameters) goes into Markdown only through ``md``, which
escapes it, and never into HTML.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import NoReturn

import pandas as pd
import streamlit as st
import url_state
from confine import confine, confine_links

import curvescope
from curvescope.diagnose.labels import LABELS, label_colour
from curvescope.report import NUMBERS, Report, RunReport
from curvescope.report.drawing import MARK_COLOUR, MARK_KEY, MARK_SHAPE, OTHER_COLOUR, ROLE_COLOUR, UNSMOOTHED, colour_name
from curvescope.report.sweeps import HPARAM_PREFIX, METRICS, Axis, Range, SweepBest, sweep_table
from curvescope.report.views import NOT_JUDGED, Filters
from curvescope.scale.cache import fingerprint
from curvescope.settings import AuditSettings
from curvescope.watch import INTERVAL as WATCH_INTERVAL

APP = Path(__file__).resolve().parent
DEMO = APP.parent / "fixtures" / "demo"
PAGES = {
    "overview": APP / "app_pages" / "overview.py",
    "run": APP / "app_pages" / "run.py",
    "compare": APP / "app_pages" / "compare.py",
    "sweep": APP / "app_pages" / "sweep.py",
    "lr_find": APP / "app_pages" / "lr_find.py",
}

# --- UI state: session-state keys (UI state only) and the URL query keys they are mirrored in -------

LR_TEST = "lr_test"
"""The range test shown on the LR finder page."""
FOLDER, FOLDER_WIDGET = "folder", "folder_widget"
"""The directory typed in the sidebar, relative to the one the app was started with."""
FILTER_LABELS, FILTER_LABELS_WIDGET = "filter_labels", "filter_labels_widget"
FILTER_CONFIDENCE, FILTER_CONFIDENCE_WIDGET = "filter_min_confidence", "filter_min_confidence_widget"
FILTER_NAME, FILTER_NAME_WIDGET = "filter_name", "filter_name_widget"
"""Lasting state lives in keys no widget owns: Streamlit drops a widget's state when a page switches
programmatically (``st.switch_page``), even for the sidebar's widgets. ``lasting`` ties the two."""
RUN, RUN_WIDGET = "run", "run_widget"
"""The selected run lasts across pages in ``RUN``; the run page's selector owns ``RUN_WIDGET``."""
RUN_TAB = "run_tab"
"""The run page's open tab: a widget's state, so that it stays open as the run changes."""
COMPARED, COMPARED_WIDGET = "compared", "compared_widget"
SMOOTHING, LOG = "smoothing", "log_scale"
"""Shared by the run and compare pages; each page's widgets own keys of their own (``widget_key``)."""
LOG_CHOSEN_FOR = "log_scale_chosen_for"
"""The run whose log-scale default the run page last set: a newly shown run starts on its own."""
SWEEP_HPARAM, SWEEP_METRIC, SWEEP_GROUP = "sweep_hparam", "sweep_metric", "sweep_group"
FOLLOW = "follow_logs"
"""Whether the pages redraw on their own when the logs change (runs still training)."""
ROLE_TAGS = "role_tags"
"""The tag chosen in the page for each role (``--role`` of the command line to start with): the audit's ``roles``."""
PUBLISHED = "published_query"
"""What the app last wrote to the URL, per query key: a URL value that differs came from outside."""

Q_FOLDER, Q_RUN, Q_COMPARED = "path", "run", "runs"
Q_LABEL, Q_CONFIDENCE, Q_NAME = url_state.QUERY_LABEL, url_state.QUERY_MIN_CONFIDENCE, url_state.QUERY_NAME

DEFAULTS = {
    FOLDER: "",
    FILTER_LABELS: [],
    FILTER_CONFIDENCE: 0.0,
    FILTER_NAME: "",
    RUN: None,
    COMPARED: [],
    SMOOTHING: 0.6,
    LOG: False,
}

SMOOTHING_HELP = (
    "TensorBoard's smoothing: an exponential moving average, debiased at the start. 0 shows the raw "
    "points; 0.6 is TensorBoard's default; closer to 1 is smoother."
)

# --- presentation: the labels' colours and the charts' sizes (the rest is curvescope.report.drawing's) ---


def label_order() -> list[str]:
    """Every label, then the mark of a run not judged: the order of legends and filters."""
    return [*LABELS, NOT_JUDGED]


def label_scale() -> dict:
    """The labels' colours as a Vega-Lite scale."""
    return {"domain": label_order(), "range": [label_colour(label) for label in label_order()]}


VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"
PANEL_HEIGHT = {"loss": 260, "accuracy": 150, "learning rate": 120}
CHART_WIDTH = 720

_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """Text from a log made literal for Markdown: every ASCII punctuation mark backslash-escaped (so no
    link, image, emphasis, directive, icon, LaTeX or HTML can come of it), line breaks as spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def badge(label: str, note: str = "") -> str:
    """A coloured Markdown badge for a label (labels are curvescope's own words, notes are numbers)."""
    text = f"{label} {note}".strip()
    return f":{colour_name(label_colour(label))}-badge[{md(text)}]"


def run_badges(run: RunReport) -> str:
    """The run's labels as badges with their confidence, strongest first."""
    if not run.labels:
        return badge(NOT_JUDGED)
    return " ".join(badge(label, f"{confidence:.0%}") for label, confidence in run.label_confidences().items())


# --- the started directory and the cached audit --------------------------------------------------------

GROWING_SECONDS = 2.0
"""How often a page drawn from the runs audited so far looks whether the audit got further."""
PROGRESS_SECONDS = 0.25
"""How often a page waiting for the whole report moves its progress bar."""


def started_argv(argv: list[str] | None = None) -> list[str]:
    """What follows ``--`` on the app's command line (the script's ``sys.argv`` unless ``argv`` is given): a path,
    then the audit's options."""
    return [argument for argument in (sys.argv[1:] if argv is None else argv) if argument.strip()]


def started_root(argv: list[str] | None = None) -> Path:
    """The directory the app was started with (``streamlit run app/streamlit_app.py -- PATH``), else the demo."""
    arguments = started_argv(argv)
    return Path(arguments[0]).expanduser().resolve() if arguments and not arguments[0].startswith("--") else DEMO


def started_settings(argv: list[str] | None = None) -> AuditSettings:
    """The audit's settings the app was started with (``-- PATH --role val_loss=x --no-model``), as
    ``curvescope app`` passes them on; ``InvalidParameterError`` when they do not parse."""
    arguments = started_argv(argv)
    return AuditSettings.from_argv(arguments[1:] if arguments and not arguments[0].startswith("--") else arguments)


def audit_started_folder(argv: list[str]) -> None:
    """Begin the audit of the folder the app was started on (``argv``: what follows ``--``), as the first look at
    the overview would: the server does so as it starts, so that the first page finds runs already audited. A
    folder or settings the page would refuse are left for the page to say so."""
    root = started_root(argv)
    try:
        path, settings = confine(root, ""), started_settings(argv)
        started_audit(str(path), fingerprint(path), settings)
    except curvescope.CurvescopeError:
        return


def current_settings() -> AuditSettings:
    """The started settings with the role tags chosen in the page."""
    started = started_settings()
    chosen = st.session_state.get(ROLE_TAGS)
    return started if chosen is None else started.with_roles(chosen)


class Auditing:
    """An audit running in a thread of its own: the report so far (``curvescope.audit``'s ``audited``), then
    the whole report, or the error that stopped it."""

    def __init__(self, logdir: str, settings: AuditSettings) -> None:
        self.latest: tuple[Report | None, int, int] = (None, 0, 0)
        """The report so far, the runs it holds and the runs found: replaced whole, never changed."""
        self.report: Report | None = None
        self.error: Exception | None = None
        self.drawable = threading.Event()
        """Set once there is something to draw: some runs but not all, or the end."""
        self.finished = threading.Event()
        threading.Thread(target=self._audit, args=(logdir, settings), name=f"audit of {logdir}", daemon=True).start()

    def _audit(self, logdir: str, settings: AuditSettings) -> None:
        try:
            self.report = replace(curvescope.audit(logdir, **settings.audit_options(), audited=self._grown), reading=None)
        except Exception as error:  # raised again in the page that asks for the report
            self.error = error
        finally:
            self.finished.set()
            self.drawable.set()

    def _grown(self, report: Report, done: int, total: int) -> None:
        self.latest = (report, done, total)
        if 0 < done < total:
            self.drawable.set()

    def whole(self) -> Report:
        """The report, once every run is audited (the audit's error raised, when it failed)."""
        self.finished.wait()
        if self.error is not None:
            raise self.error
        return self.report


@st.cache_resource(show_spinner=False, max_entries=8)
def started_audit(logdir: str, fingerprint: str, settings: AuditSettings) -> Auditing:
    """The audit of ``logdir`` with ``settings``, started on the first look at it; ``fingerprint``
    (``curvescope.scale.cache.fingerprint``) keys the cache, so new or changed log files are read again.
    The scalars are dropped: pages draw the report's curves. Kept as a resource (a report is not changed
    by the pages): a thousand runs are not copied on every interaction."""
    return Auditing(logdir, settings)


@st.cache_resource(show_spinner="Measuring the sweep...", max_entries=8)
def load_sweep_table(logdir: str, fingerprint: str, settings: AuditSettings) -> pd.DataFrame:
    """``sweeps.sweep_table`` of the whole audit, made once per audit rather than on every interaction."""
    return sweep_table(started_audit(logdir, fingerprint, settings).whole())


def audited_line(done: int, total: int) -> str:
    return f"Audited {done:,} of {total:,} runs\u2026"


def whole_report(auditing: Auditing) -> Report:
    """The whole report; while the audit runs, a bar says how far it got."""
    if not auditing.finished.is_set():
        bar = st.progress(0.0, text="Reading and diagnosing the logs...")
        while not auditing.finished.wait(PROGRESS_SECONDS):
            _, done, total = auditing.latest
            if total:
                bar.progress(done / total, text=audited_line(done, total))
        bar.empty()
    return auditing.whole()


def report_so_far(auditing: Auditing) -> tuple[Report, tuple[int, int] | None]:
    """The runs audited so far and how far the audit got, once some are; the whole report and None at the end."""
    if not auditing.drawable.is_set():
        with st.spinner("Reading and diagnosing the logs..."):
            auditing.drawable.wait()
    report, done, total = auditing.latest
    if auditing.finished.is_set() or report is None:
        return auditing.whole(), None
    return report, (done, total)


@dataclass(frozen=True)
class Loaded:
    root: Path
    path: Path
    fingerprint: str
    settings: AuditSettings
    report: Report
    view: Report
    """The runs that pass the sidebar's filters."""
    filters: Filters
    growing: tuple[int, int] | None = None
    """While the audit runs, the runs ``report`` holds and the runs found; None once it is whole."""


def loaded(*, partial: bool = False) -> Loaded:
    """The audit of the directory chosen in the sidebar, with the filters applied; on bad input, the
    message in the page (naming the path and the problem) and the page stops there. With ``partial``, the
    runs audited so far while the audit runs (``show_growing`` says how far it got and draws the page again
    as it grows); else the whole report, with a bar until it is."""
    root = started_root()
    try:
        path = confine(root, st.session_state.get(FOLDER, ""))
        confine_links(root, path)
        settings = current_settings()
        seen = fingerprint(path)
    except curvescope.CurvescopeError as err:
        stop_with(err)
    try:
        auditing = started_audit(str(path), seen, settings)
        report, growing = report_so_far(auditing) if partial else (whole_report(auditing), None)
    except Exception as err:
        started_audit.clear(str(path), seen, settings)  # a failed audit is not kept: the next look audits again
        if not isinstance(err, curvescope.CurvescopeError):
            raise
        stop_with(err)
    filters = current_filters()
    loaded = Loaded(root, path, seen, settings, report, filters.apply(report), filters, growing)
    if growing is None and st.session_state.get(FOLLOW, True):  # changes are looked for once the audit is done
        follow(str(path), seen)
    return loaded


def stop_with(error: curvescope.CurvescopeError) -> NoReturn:
    """The message in the page (naming the path and the problem), and the page stops there."""
    st.error(md(error))
    st.stop()


def show_growing(data: Loaded) -> None:
    """While the audit runs: how far it got, and the page drawn again as it gets further."""
    if data.growing is None:
        return
    done, total = data.growing
    st.progress(done / total, text=audited_line(done, total))
    redraw_as_it_grows(started_audit(str(data.path), data.fingerprint, data.settings), done)


@st.fragment(run_every=GROWING_SECONDS)
def redraw_as_it_grows(auditing: Auditing, done: int) -> None:
    """Every ``GROWING_SECONDS``, the page is drawn again when the audit holds more than its ``done`` runs, or is over."""
    if auditing.finished.is_set() or auditing.latest[1] != done:
        st.rerun(scope="app")


@st.fragment(run_every=WATCH_INTERVAL)
def follow(path: str, seen: str) -> None:
    """Every ``watch.INTERVAL`` seconds, the look ``curvescope watch`` takes (one ``stat`` per file): when a
    log grew or a run appeared, the page is drawn again from a new audit (unchanged runs from the cache)."""
    if fingerprint(path) != seen:
        st.rerun(scope="app")


def sweep_rows(data: Loaded) -> pd.DataFrame:
    """The sweep table's rows of the runs shown (the table is made once per audit, and for the runs so far
    each time while it runs)."""
    if data.growing is not None:
        table = sweep_table(data.report)
    else:
        table = load_sweep_table(str(data.path), data.fingerprint, data.settings)
    return table[table["run"].isin({run.run for run in data.view.runs})].reset_index(drop=True)


def current_filters() -> Filters:
    state = st.session_state
    return Filters(tuple(state.get(FILTER_LABELS, ())), float(state.get(FILTER_CONFIDENCE, 0.0)), state.get(FILTER_NAME, ""))


def where(data: Loaded) -> str:
    """``demo/`` or ``demo/keras/``: the directory audited, named from the started one."""
    inside = data.path.relative_to(data.root).as_posix()
    return f"{data.root.name}/" + ("" if inside == "." else f"{inside}/")


# --- state that outlives a page, and the URL ------------------------------------------------------------


def lasting(key: str, widget_key: str):
    """Give a page's widget the lasting value of ``key`` (Streamlit forgets a widget's state on pages that
    do not draw it); returns the callback that copies a change back. Use as ``on_change=...``."""
    if widget_key not in st.session_state:
        st.session_state[widget_key] = st.session_state.get(key, DEFAULTS.get(key))

    def copy() -> None:
        st.session_state[key] = st.session_state[widget_key]

    return copy


def set_lasting(key: str, widget_key: str, value) -> None:
    """Set a lasting value and its widget's (before the widget is drawn in this run)."""
    st.session_state[key] = value
    st.session_state[widget_key] = list(value) if isinstance(value, list) else value


def widget_key(key: str, page: str) -> str:
    """A page's own widget key for lasting state: a key shared by two pages' widgets would hand one
    page's widget the other's (default) value."""
    return f"{page}_{key}"


def curve_controls(page: str, smoothing_column, log_column) -> tuple[float, bool]:
    """The smoothing slider (TensorBoard's, 0 to 0.999) and the log-scale toggle, their values shared by
    the pages that draw curves."""
    smoothing_key, log_key = widget_key(SMOOTHING, page), widget_key(LOG, page)
    smoothing = smoothing_column.slider(
        "Smoothing",
        0.0,
        0.999,
        step=0.001,
        format="%.3f",
        key=smoothing_key,
        on_change=lasting(SMOOTHING, smoothing_key),
        help=SMOOTHING_HELP,
    )
    log = log_column.toggle(
        "Log scale", key=log_key, on_change=lasting(LOG, log_key), help="A log axis for losses and learning rates."
    )
    return smoothing, log


def from_url(param: str) -> list[str] | None:
    """The query key's values when the URL carries them and they differ from what the app last wrote
    there (a shared link, or a link from another page); else None."""
    if param not in st.query_params:
        return None
    values = st.query_params.get_all(param)
    if values == st.session_state.get(PUBLISHED, {}).get(param):
        return None
    return values


def publish(param: str, value: str | list[str] | None) -> None:
    """Mirror a piece of UI state in the URL (left out when empty), so that a link can be shared."""
    values = [] if value is None else [value] if isinstance(value, str) else [str(v) for v in value]
    values = [v for v in values if v != ""]
    if st.query_params.get_all(param) != values:
        if values:
            st.query_params[param] = values if len(values) > 1 else values[0]
        elif param in st.query_params:
            del st.query_params[param]
    st.session_state.setdefault(PUBLISHED, {})[param] = values


def shared_query(**extra: str | list[str]) -> dict[str, str | list[str]]:
    """The query that keeps the folder and the filters, plus ``extra``: for links between pages."""
    query: dict[str, str | list[str]] = url_state.to_query(current_filters())
    if st.session_state.get(FOLDER):
        query[Q_FOLDER] = st.session_state[FOLDER]
    query.update({key: value for key, value in extra.items() if value})
    return query


def open_run(name: str) -> None:
    st.switch_page(PAGES["run"], query_params=shared_query(**{Q_RUN: name}))


# --- tables ------------------------------------------------------------------------------------------


def label_column(title: str = "labels") -> st.column_config.Column:
    return st.column_config.MultiselectColumn(
        title, options=label_order(), color=[label_colour(x) for x in label_order()], help="the run's labels, strongest first"
    )


def run_table_columns() -> dict[str, st.column_config.Column]:
    """How ``views.overview_frame``'s columns are shown."""
    return {
        "run": st.column_config.TextColumn("run", pinned=True),
        "labels": label_column(),
        "label_text": st.column_config.TextColumn("labels and confidence"),
        "confidence": st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="percent"),
        "driver": st.column_config.TextColumn("driven by"),
        "best_val_step": st.column_config.NumberColumn("best val step", format="%d"),
        "final_train_loss": st.column_config.NumberColumn("final train loss", format="%.4g"),
        "final_val_loss": st.column_config.NumberColumn("final val loss", format="%.4g"),
        "final_val_acc": st.column_config.NumberColumn("final val acc", format="%.4g"),
        "findings": st.column_config.NumberColumn("findings", help="problems reading met in the run's files"),
        "fix": st.column_config.TextColumn("fix", width="large"),
        "not_judged": st.column_config.TextColumn("not judged", width="large", help="What could not be judged, and why"),
    }


def findings_frame(findings) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "severity": str(f.severity),
                "code": f.code,
                "name": f.name,
                "file": f.source or "",
                "run": f.run or "",
                "problem": f.message,
            }
            for f in findings
        ],
        columns=["severity", "code", "name", "file", "run", "problem"],
    )


def show_findings(findings, *, summary: bool) -> None:
    """Reading findings as messages naming the file and the problem: warnings and errors in a warning,
    notes (info) in a note; with ``summary``, at most ten problems and the whole list in a table, closed."""
    problems = [f for f in findings if str(f.severity) != "info"]
    notes = [f for f in findings if str(f.severity) == "info"]
    limit = 10 if summary else len(findings)
    if problems:
        st.warning(
            f"**Reading met {len(problems)} problem{'' if len(problems) == 1 else 's'}**; everything else was "
            f"read.\n\n{finding_lines(problems, limit)}"
        )
    if notes and not summary:
        st.info(finding_lines(notes, limit))
    if summary and findings:
        with st.expander(f"All reading findings ({len(findings)})", expanded=False):
            st.dataframe(findings_frame(findings), hide_index=True)


def finding_lines(findings, limit: int = 10) -> str:
    """Markdown bullets naming each finding's file (or run) and problem."""
    lines = [
        f"- **{md(f.severity)}** {md(f.code)} {md(f.name)}: *{md(f.source or f.run or '')}* {md(f.message)}"
        for f in findings[:limit]
    ]
    if len(findings) > limit:
        lines.append(f"- and {len(findings) - limit} more (table below)")
    return "\n".join(lines)


# --- charts ------------------------------------------------------------------------------------------


def run_chart(curves: pd.DataFrame, events: pd.DataFrame, panel_names: list[str], *, log: bool) -> dict:
    """The run's panels stacked on one step axis (zoom or pan one, all follow): raw points faint, the
    smoothed trend bold, the evidence drawn on them, hover for step and values.

    Charts are Vega-Lite specs for ``st.vega_lite_chart`` (the element ``st.altair_chart`` makes too):
    building these layers through Altair took half a second a page, the spec takes milliseconds."""
    views, params = [], []
    for index, panel in enumerate(panel_names):
        data = curves[curves["panel"] == panel]
        marks = events[(events["panel"] == panel) | events["panel"].isna()]
        views.append(_panel(data, marks, panel, index, log=log and panel != "accuracy", last=index == len(panel_names) - 1))
        params.append(
            {
                "name": f"hover_{index}",
                "views": [f"points_{index}"],
                "select": {"type": "point", "fields": ["step"], "nearest": True, "on": "pointerover", "clear": "pointerout"},
            }
        )
    params.append(
        {
            "name": "zoom",
            "views": [f"points_{i}" for i in range(len(panel_names))],
            "bind": "scales",
            "select": {"type": "interval", "encodings": ["x"]},
        }
    )
    return {
        "$schema": VEGA_LITE,
        "params": params,
        "vconcat": views,
        "spacing": 14,
        "resolve": {"scale": {"x": "shared", "color": "independent", "shape": "independent"}},
        "datasets": {"curves": curves, "events": events},
    }  # Streamlit sends named datasets as Arrow


def _panel(data: pd.DataFrame, marks: pd.DataFrame, panel: str, index: int, *, log: bool, last: bool) -> dict:
    # one colour scale for the curves and the evidence (the layers share it): one legend, no conflict
    firsts = data.drop_duplicates("series")
    kinds = [kind for kind in MARK_COLOUR if kind in set(marks["kind"])]
    scale = {
        "domain": [*firsts["series"], *kinds],
        "range": [*(ROLE_COLOUR.get(role, OTHER_COLOUR) for role in firsts["role"]), *(MARK_COLOUR[k] for k in kinds)],
    }
    legend = {"title": None, "orient": "top", "labelLimit": 320, "columns": 4, "symbolOpacity": 1}
    series = {"field": "series", "type": "nominal", "scale": scale, "legend": legend}
    kind = {"field": "kind", "type": "nominal", "scale": scale, "legend": legend}
    y_scale = {"type": "log"} if log else {"type": "linear", "zero": False}
    x = {"field": "step", "type": "quantitative", "title": "step" if last else None}
    at_x = {"field": "x", "type": "quantitative"}
    y_axis = {"format": ".3~g"}
    at_y = {"field": "y", "type": "quantitative", "scale": y_scale, "title": panel, "axis": y_axis}
    hover = f"hover_{index}"
    curves = {"data": {"name": "curves"}, "transform": [{"filter": {"field": "panel", "equal": panel}}]}
    here = f"(datum.panel === {_js(panel)} || datum.panel === null)"

    def evidence(mark: str) -> dict:
        return {"data": {"name": "events"}, "transform": [{"filter": f"datum.mark === {_js(mark)} && {here}"}]}

    tooltip = [
        {"field": "meaning", "title": "evidence"},
        {"field": "supports", "title": "backs"},
        {"field": "numbers", "title": "numbers"},
        {"field": "description", "title": "what"},
    ]
    layers = [
        {
            **evidence("span"),
            "mark": {"type": "rect", "opacity": 0.15},
            "encoding": {"x": at_x, "x2": {"field": "x2"}, "color": kind, "tooltip": tooltip},
        },
        {
            **evidence("rule"),
            "mark": {"type": "rule", "strokeWidth": 1.4},
            "encoding": {
                "x": at_x,
                "color": kind,
                "tooltip": tooltip,
                "strokeDash": {"condition": {"test": "datum.dashed", "value": [5, 3]}, "value": [1, 0]},
            },
        },
        {
            **evidence("level"),
            "mark": {"type": "rule", "strokeDash": [2, 2]},
            "encoding": {"y": at_y, "color": kind, "tooltip": tooltip},
        },
        {
            **evidence("segment"),
            "mark": {"type": "rule", "strokeWidth": 2.5},
            "encoding": {"x": at_x, "y": at_y, "y2": {"field": "y2"}, "color": kind, "tooltip": tooltip},
        },
        {
            **evidence("point"),
            "mark": {"type": "point", "size": 110, "filled": True},
            "encoding": {
                "x": at_x,
                "y": at_y,
                "color": kind,
                "tooltip": tooltip,
                "shape": {
                    "field": "kind",
                    "type": "nominal",
                    "legend": None,
                    "scale": {"domain": list(MARK_SHAPE), "range": list(MARK_SHAPE.values())},
                },
            },
        },
        {
            **curves,
            "transform": [*curves["transform"], {"filter": "datum.role !== 'lr'"}],
            "mark": {"type": "line", "opacity": 0.3, "strokeWidth": 1},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative", "scale": y_scale, "title": panel, "axis": y_axis},
                "color": series,
            },
        },
        {
            **curves,
            "mark": {"type": "line", "strokeWidth": 2.2},
            "encoding": {
                "x": x,
                "y": {"field": "smoothed", "type": "quantitative", "scale": y_scale, "title": panel, "axis": y_axis},
                "color": series,
            },
        },
        {
            **curves,
            "transform": [*curves["transform"], {"filter": {"param": hover, "empty": False}}],
            "mark": {"type": "rule", "color": "#9e9e9e", "strokeWidth": 0.8},
            "encoding": {"x": x},
        },
        {
            **curves,
            "name": f"points_{index}",
            "mark": {"type": "circle", "size": 45},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative", "scale": y_scale, "title": panel, "axis": y_axis},
                "color": series,
                "opacity": {"condition": {"param": hover, "empty": False, "value": 1}, "value": 0},
                "tooltip": [
                    {"field": "series", "type": "nominal"},
                    {"field": "step", "type": "quantitative", "format": ","},
                    {"field": "value", "type": "quantitative", "format": ".4~g"},
                    {"field": "smoothed", "type": "quantitative", "format": ".4~g"},
                ],
            },
        },
    ]
    return {"width": CHART_WIDTH, "height": PANEL_HEIGHT.get(panel, 150), "layer": _clipped(layers)}


def _clipped(layers: list[dict]) -> list[dict]:
    """Marks cut at the plot's edge: zoomed in, a curve or a shaded span must not spill over the axes."""
    return [{**layer, "mark": {**layer["mark"], "clip": True}} for layer in layers]


def _js(text: str) -> str:
    """A string literal for a Vega expression (panel and mark names are curvescope's own words)."""
    return json.dumps(text)


def mark_key(events: pd.DataFrame) -> str:
    """What the marks on a run's chart mean, for the kinds drawn."""
    drawn = set(events["kind"])
    return " \u00b7 ".join(MARK_KEY[kind] for kind in MARK_KEY if kind in drawn)


def overlay_chart(frame: pd.DataFrame, role: str, *, log: bool) -> dict:
    """Several runs' curves of one role on one step axis: raw faint, smoothed bold, hover for values
    (a Vega-Lite spec, as ``run_chart``)."""
    y_scale = {"type": "log"} if log else {"type": "linear", "zero": False}
    x = {"field": "step", "type": "quantitative"}
    colour = {
        "field": "run",
        "type": "nominal",
        "scale": run_colours(list(dict.fromkeys(frame["run"]))),
        "legend": {"title": None, "orient": "bottom", "columns": 2, "labelLimit": 420, "symbolOpacity": 1},
    }
    data = {"data": {"name": "curves"}}
    layers = []
    if role not in UNSMOOTHED:
        layers.append(
            {
                **data,
                "mark": {"type": "line", "opacity": 0.25, "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative", "scale": y_scale, "title": role},
                    "color": colour,
                },
            }
        )
    layers += [
        {
            **data,
            "mark": {"type": "line", "strokeWidth": 2.2},
            "encoding": {
                "x": x,
                "y": {"field": "smoothed", "type": "quantitative", "scale": y_scale, "title": role},
                "color": colour,
            },
        },
        {
            **data,
            "transform": [{"filter": {"param": "hover", "empty": False}}],
            "mark": {"type": "rule", "color": "#9e9e9e", "strokeWidth": 0.8},
            "encoding": {"x": x},
        },
        {
            **data,
            "name": "points",
            "mark": {"type": "circle", "size": 45},
            "params": [
                {
                    "name": "hover",
                    "select": {"type": "point", "fields": ["step"], "nearest": True, "on": "pointerover", "clear": "pointerout"},
                },
                {"name": "zoom", "bind": "scales", "select": {"type": "interval", "encodings": ["x"]}},
            ],
            "encoding": {
                "x": x,
                "y": {"field": "smoothed", "type": "quantitative", "scale": y_scale, "title": role},
                "color": colour,
                "opacity": {"condition": {"param": "hover", "empty": False, "value": 1}, "value": 0},
                "tooltip": [
                    {"field": "run", "type": "nominal"},
                    {"field": "tag", "type": "nominal"},
                    {"field": "step", "type": "quantitative", "format": ","},
                    {"field": "value", "type": "quantitative", "format": ".4~g"},
                    {"field": "smoothed", "type": "quantitative", "format": ".4~g"},
                ],
            },
        },
    ]
    return {"$schema": VEGA_LITE, "height": 420, "layer": _clipped(layers), "datasets": {"curves": frame}}


def axis_scale(axis: Axis) -> dict:
    """A Vega-Lite scale, padded so that the points at its ends are drawn whole."""
    if axis.scale == "symlog":
        return {"type": "symlog", "constant": axis.constant, "padding": 12}
    if axis.scale == "log":
        return {"type": "log", "padding": 12}
    return {"type": "linear", "zero": False, "padding": 12}


def range_test_chart(points: pd.DataFrame, marks: pd.DataFrame, domain: tuple[float, float]) -> dict:
    """A range test's loss against its rate on a log axis: the points as logged, the smoothed line, and each
    suggested rate as a dashed rule with its range as a band; the loss axis spans ``domain`` (the rest is cut off)."""
    x = {"field": "lr", "type": "quantitative", "title": "learning rate", "scale": {"type": "log"}}
    y = {"field": "loss", "type": "quantitative", "title": "loss", "scale": {"zero": False, "domain": list(domain)}}
    colour = {"field": "mark", "type": "nominal", "title": "rate"}
    tooltip = [
        {"field": "mark", "type": "nominal"},
        {"field": "meaning", "type": "nominal"},
        {"field": "lr", "type": "quantitative", "format": ".3~g"},
        {"field": "low", "type": "quantitative", "format": ".3~g"},
        {"field": "high", "type": "quantitative", "format": ".3~g"},
        {"field": "step", "type": "quantitative"},
    ]
    return {
        "height": 380,
        "$schema": VEGA_LITE,
        "datasets": {"points": points, "marks": marks},
        "layer": [
            {
                "data": {"name": "marks"},
                "mark": {"type": "rect", "opacity": 0.12},
                "encoding": {"x": {**x, "field": "low"}, "x2": {"field": "high"}, "color": colour},
            },
            {
                "data": {"name": "points"},
                "mark": {"type": "circle", "size": 14, "color": "#9e9e9e", "clip": True},
                "encoding": {
                    "x": x,
                    "y": y,
                    "tooltip": [{"field": "step"}, {"field": "lr", "format": ".3~g"}, {"field": "loss"}],
                },
            },
            {
                "data": {"name": "points"},
                "mark": {"type": "line", "color": "#1f77b4", "clip": True},
                "encoding": {"x": x, "y": {**y, "field": "smoothed"}},
            },
            {
                "data": {"name": "marks"},
                "mark": {"type": "rule", "strokeDash": [5, 3], "strokeWidth": 2},
                "encoding": {"x": x, "color": colour, "tooltip": tooltip},
            },
        ],
    }


def sweep_chart(
    table: pd.DataFrame,
    hparam: str,
    metric: str,
    x_axis: Axis,
    y_axis: Axis,
    profile: pd.DataFrame | None,
    best: SweepBest | None,
    y_range: Range | None = None,
) -> dict:
    """The metric against one hyperparameter, a point per run coloured by its label; the median per
    value as a line per group; the best run ringed; the metric's axis cut to ``y_range`` (the runs
    beyond it drawn at its edge)."""
    name = hparam.removeprefix(HPARAM_PREFIX)
    title = METRICS[metric][1]
    # plain field names: Vega-Lite reads the dot in "hp.lr" as a nested field
    data = table.loc[table[hparam].notna() & table[metric].notna(), ["run", "primary_label", "label_text", hparam, metric]]
    data = data.rename(columns={hparam: "setting", metric: "metric"})
    if x_axis.scale == "nominal":
        x = {"field": "setting", "type": "nominal", "title": name}
    else:
        x = {"field": "setting", "type": "quantitative", "title": name, "scale": axis_scale(x_axis)}
    y_scale = axis_scale(y_axis)
    if y_range is not None:
        y_scale.update(domain=[y_range.low, y_range.high], clamp=True)
    y = {"field": "metric", "type": "quantitative", "title": title, "scale": y_scale}
    points = {
        "data": {"name": "runs"},
        "mark": {"type": "circle", "size": 70, "opacity": 0.8},
        "encoding": {
            "x": x,
            "y": y,
            "color": {"field": "primary_label", "type": "nominal", "title": "label", "scale": label_scale()},
            "tooltip": [
                {"field": "run", "type": "nominal"},
                {"field": "label_text", "type": "nominal", "title": "labels"},
                {"field": "setting", "type": x["type"], "title": name},
                {"field": "metric", "type": "quantitative", "title": title, "format": ".4~g"},
            ],
        },
    }
    if x_axis.scale != "nominal":
        points["params"] = [{"name": "zoom", "bind": "scales", "select": {"type": "interval"}}]
    layers, datasets = [points], {"runs": data}
    if profile is not None:
        datasets["medians"] = profile.rename(columns={"value": "setting"})
        layers.insert(
            0,
            {
                "data": {"name": "medians"},
                "mark": {"type": "line", "color": "#616161", "strokeDash": [4, 3], "point": {"color": "#616161", "size": 25}},
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "median"},
                    "detail": {"field": "group", "type": "nominal"},
                    "tooltip": [
                        {"field": "group", "type": "nominal", "title": "line"},
                        {"field": "setting", "type": x["type"], "title": name},
                        {"field": "median", "type": "quantitative", "title": f"median {title}", "format": ".4~g"},
                        {"field": "runs", "type": "quantitative"},
                    ],
                },
            },
        )
    if best is not None:
        layers.append(
            {
                "data": {"name": "runs"},
                "transform": [{"filter": {"field": "run", "equal": best.run}}],
                "mark": {"type": "point", "size": 320, "color": "#212121", "strokeWidth": 2},
                "encoding": {"x": x, "y": y, "tooltip": [{"field": "run", "type": "nominal", "title": "best run"}]},
            }
        )
    return {"$schema": VEGA_LITE, "height": 420, "layer": _clipped(layers), "datasets": datasets}


# --- a run's diagnosis -----------------------------------------------------------------------------------


def number(value, missing: str = "\u2014") -> str:
    """A number in full (``.4g``: 2.288e+19, never cut to 2.288...), ``missing`` when there is none."""
    if value is None or (isinstance(value, float) and value != value):
        return missing
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def key_numbers(run: RunReport) -> str:
    """The run's key numbers as one line of Markdown: a metric tile cuts a long number short."""
    return " \u00b7 ".join(f"**{key.replace('_', ' ')}** {number(run.numbers.get(key))}" for key in NUMBERS)


def steps(start, end) -> str:
    if start is None:
        return ""
    return f"{start}" if end is None or end == start else f"{start}\u2013{end}"


def evidence_frame(evidence) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "evidence": e.kind,
                "steps": steps(e.start_step, e.end_step),
                "value": number(e.value, ""),
                "threshold": number(e.threshold, ""),
                "what": e.description,
            }
            for e in evidence
        ],
        columns=["evidence", "steps", "value", "threshold", "what"],
    )
    return frame


def verdict_card(verdict) -> None:
    """One label's verdict: its confidence and what drove it, the fix, each diagnosis, and the evidence."""
    support = f"rules {verdict.rule_confidence:.0%}"
    if verdict.model_confidence is not None:
        support += f", model {verdict.model_confidence:.0%}"
    with st.container(border=True):
        st.markdown(f"{badge(verdict.label, f'{verdict.confidence:.0%}')} driven by {md(verdict.driver)} ({md(support)})")
        st.markdown(f"**Fix:** {md(verdict.fix)}")
        st.markdown(
            "\n".join(
                f"- {md(x.code)} {md(x.name)} ({md(x.origin)}, {x.confidence:.0%}): {md(x.message)}"
                + (f"  \n  *fix:* {md(x.fix)}" if x.fix != verdict.fix else "")
                for x in verdict.diagnoses
            )
        )
        if verdict.evidence:
            st.dataframe(
                evidence_frame(verdict.evidence),
                hide_index=True,
                column_config={"what": st.column_config.TextColumn(width="large")},
            )


def events_frame(events) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"event": e.kind, "steps": steps(e.start_step, e.end_step), "curve": e.tag or e.role or "", "what": e.description}
            for e in events
        ],
        columns=["event", "steps", "curve", "what"],
    )


def hparams_frame(hparams) -> pd.DataFrame:
    return pd.DataFrame(
        [{"hyperparameter": str(k), "value": "" if v is None else str(v)} for k, v in hparams.items()],
        columns=["hyperparameter", "value"],
    )


# --- every scalar, as TensorBoard browses them -------------------------------------------------------------

DRAWN_POINTS = 300
"""Points drawn per curve in the app (each bucket of a longer curve keeps its lowest and highest point, so
spikes survive): a chart is at most 720 pixels wide, and hovering finds the nearest of every point drawn. At
600 the browser's redraw made changing the run take 1.1 s on 1,000-step runs, at 300 0.78 s."""
SCALAR_POINTS = 150
"""Points drawn per curve on a scalar browser's small charts (340 pixels wide)."""
MAX_TAG_CHARTS = 24
"""Charts drawn at once on a scalar browser: a pattern narrows a run with more tags."""
SERIES_SCHEME = "tableau10"
MANY_SERIES_SCHEME = "category20"
"""Colours of runs on one chart: ten distinct ones, twenty when more runs are drawn."""


@st.fragment
def scalar_browser(report: Report, runs: list[str], page: str, *, default_x: str = "step") -> None:
    """Every tag ``runs`` logged, a chart per tag and a line per run: a tag pattern, the x-axis, smoothing,
    a log axis, outliers left out of the axis's range, and the points as logged to download. A fragment:
    its controls redraw it alone, not the page around it."""
    from curvescope import InvalidParameterError
    from curvescope.report import scalars

    key = _scalar_key(page)
    tags = scalars.tags_of(report, runs)
    if not tags:
        st.caption("No scalars were logged.")
        return
    if st.session_state.get(key("x")) not in scalars.X_AXES:
        st.session_state[key("x")] = default_x
    first, second, third = st.columns([3, 2, 2], vertical_alignment="bottom")
    pattern = first.text_input("Tags matching", key=key("tags"), placeholder="a regular expression, e.g. loss|acc")
    x = second.selectbox("Horizontal axis", list(scalars.X_AXES), key=key("x"), format_func=scalars.X_AXES.get)
    ignore = third.toggle("Ignore outliers", key=key("outliers"), help="The y-axis spans the 5th to 95th percentile.")
    smoothing, log = curve_controls(f"{page}_scalars", *st.columns([4, 1], vertical_alignment="bottom"))
    try:
        shown = scalars.matching_tags(tags, pattern)
    except InvalidParameterError as error:
        st.warning(md(error))
        shown = tags
    drawn = shown[:MAX_TAG_CHARTS]
    frame = scalars.scalar_frame(report, runs, drawn, x=x, smoothing=smoothing, log=log, max_points=SCALAR_POINTS)
    note = f"{len(shown)} of {len(tags)} tags" + (
        f"; the first {MAX_TAG_CHARTS} drawn, narrow the pattern" if len(shown) > len(drawn) else ""
    )
    placed = set(frame["run"])
    unplaced = [name for name in runs if name not in placed]
    if unplaced and x in ("epoch", "relative", "wall"):
        note += f"; without {'epochs' if x == 'epoch' else 'times'} logged: " + ", ".join(md(name) for name in unplaced)
    st.caption(note)
    if len(frame):
        st.vega_lite_chart(scalars_chart(frame, x, log=log, ignore_outliers=ignore), width="stretch")
        st.caption("Faint: as logged; bold: smoothed. Hover for every run's value at that point; drag to pan, scroll to zoom.")
    raw = partial(scalars.raw_scalars, report, runs, shown)
    for column, fmt in zip(st.columns(len(scalars.EXPORT_FORMATS)), scalars.EXPORT_FORMATS):
        column.download_button(
            f"Scalars as {fmt.upper()}",
            data=lambda fmt=fmt: scalars.export(raw(), fmt),
            file_name=f"curvescope-scalars.{fmt}",
            mime=scalars.EXPORT_FORMATS[fmt],
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
            key=key(f"download_{fmt}"),
            help="Every point of the runs and tags shown, as logged (step, wall time, value).",
        )


def run_colours(runs: list[str]) -> dict:
    """A colour per run, each distinct (up to twenty), in the order given."""
    return {"domain": runs, "scheme": SERIES_SCHEME if len(runs) <= 10 else MANY_SERIES_SCHEME}


def _scalar_key(page: str):
    """Widget keys of a page's scalar browser."""
    return lambda name: f"{page}_scalars_{name}"


def scalars_chart(frame: pd.DataFrame, x_name: str, *, log: bool, ignore_outliers: bool) -> dict:
    """A chart per tag, a line per run (raw faint, smoothed bold) in distinct colours; hovering shows every
    run's smoothed value at that point (a Vega-Lite spec)."""
    from curvescope.report import scalars

    runs = list(dict.fromkeys(frame["run"]))
    hover, keys = scalars.hover_frame(frame)
    colour = {
        "field": "run",
        "type": "nominal",
        "scale": run_colours(runs),
        "legend": {"title": None, "orient": "top", "columns": 2, "labelLimit": 420, "symbolOpacity": 1}
        if len(runs) > 1
        else None,
    }
    kind = "temporal" if x_name == "wall" else "quantitative"
    x = {"field": "x", "type": kind, "title": scalars.X_AXES[x_name]}
    charts = []
    for index, tag in enumerate(dict.fromkeys(frame["tag"])):
        domain = scalars.value_domain(frame.loc[frame["tag"] == tag, "value"], ignore_outliers=ignore_outliers)
        y_scale = {"type": "log"} if log else {"type": "linear", "zero": False}
        if domain is not None:
            y_scale["domain"] = list(domain)
        mine = {"filter": {"field": "tag", "equal": tag}}
        lines = {"data": {"name": "scalars"}, "transform": [mine]}
        hover_name = f"hover_{index}"
        y = {"type": "quantitative", "scale": y_scale, "title": None, "axis": {"format": ".3~g"}}
        layers = [
            {
                **lines,
                "mark": {"type": "line", "opacity": 0.25, "strokeWidth": 1},
                "encoding": {"x": x, "y": {**y, "field": "value"}, "color": colour},
            },
            {
                **lines,
                "mark": {"type": "line", "strokeWidth": 2},
                "encoding": {"x": x, "y": {**y, "field": "smoothed"}, "color": colour},
            },
            {
                "data": {"name": "hover"},
                "transform": [mine],
                "params": [
                    {
                        "name": hover_name,
                        "select": {"type": "point", "fields": ["x"], "nearest": True, "on": "pointerover", "clear": "pointerout"},
                    },
                    {"name": f"zoom_{index}", "bind": "scales", "select": {"type": "interval", "encodings": ["x"]}},
                ],
                "mark": {"type": "rule", "color": "#9e9e9e", "strokeWidth": 6},
                "encoding": {
                    "x": x,
                    "opacity": {"condition": {"param": hover_name, "empty": False, "value": 0.35}, "value": 0},
                    "tooltip": [
                        {
                            "field": "x",
                            "type": kind,
                            "title": scalars.X_AXES[x_name],
                            **({"format": ".4~g"} if kind == "quantitative" else {}),
                        },
                        *(
                            {"field": field, "type": "quantitative", "title": name, "format": ".4~g"}
                            for field, name in keys.items()
                        ),
                    ],
                },
            },
        ]
        charts.append(
            {"title": {"text": tag, "anchor": "start", "fontSize": 13}, "width": 340, "height": 200, "layer": _clipped(layers)}
        )
    return {
        "$schema": VEGA_LITE,
        "concat": charts,
        "columns": 2,
        "resolve": {"scale": {"color": "shared"}},
        "datasets": {"scalars": frame, "hover": hover},
    }


def role_chooser(run: RunReport) -> None:
    """Which tag plays each role: each run's own choice, or a tag named here for every run that logs it
    (the audit's ``roles``, as ``--role`` sets them); applying audits the folder again."""
    from curvescope.report import scalars
    from curvescope.report.drawing import ROLES

    tags = sorted(set(scalars.run_scalars(run)["tag"]), key=str.casefold)
    chosen = dict(current_settings().roles)
    automatic = "each run's own choice"
    with st.expander("Which tag plays each role", expanded=bool(chosen)):
        st.caption(
            "A tag named here plays the role in every run that logs it; the others keep their own. "
            "Applying audits the folder again with these roles, as `curvescope audit --role ROLE=TAG` would."
        )
        with st.form("role_tags_form", border=False):
            picked = {}
            for role in ROLES:
                curve = run.curves.get(role)
                now = f" (now {curve.tag or role})" if curve is not None and len(curve) else " (none now)"
                options = [automatic, *tags, *([chosen[role]] if chosen.get(role) not in (None, *tags) else [])]
                picked[role] = st.selectbox(
                    md(role.replace("_", " ") + now),
                    options,
                    index=options.index(chosen[role]) if role in chosen else 0,
                    key=f"role_tag_{role}",
                )
            apply, reset = st.columns(2)
            if apply.form_submit_button("Apply", type="primary", width="stretch"):
                st.session_state[ROLE_TAGS] = {role: tag for role, tag in picked.items() if tag != automatic}
                st.rerun()
            if reset.form_submit_button("Each run's own choice", width="stretch"):
                st.session_state[ROLE_TAGS] = {}
                for role in ROLES:
                    del st.session_state[f"role_tag_{role}"]
                st.rerun()


def settings_note() -> None:
    """The audit's settings in the sidebar, when they are not the defaults."""
    try:
        described = current_settings().describe()
    except curvescope.CurvescopeError:
        return  # the page says what is wrong
    if described:
        st.caption(f"Audited with {md(described)}")


def parallel_chart(frame: pd.DataFrame) -> dict:
    """Parallel coordinates: an axis per hyperparameter and the metric, a line per run coloured by its label
    (each axis from its lowest value at the bottom to its highest at the top)."""
    axes = list(dict.fromkeys(frame["axis"]))
    x = {"field": "axis", "type": "nominal", "sort": axes, "title": None, "axis": {"labelAngle": -20, "domain": False}}
    y = {"field": "position", "type": "quantitative", "title": None, "axis": None, "scale": {"domain": [0, 1]}}
    tooltip = [
        {"field": "run", "type": "nominal"},
        {"field": "primary_label", "type": "nominal", "title": "label"},
        {"field": "axis", "type": "nominal", "title": "axis"},
        {"field": "shown", "type": "nominal", "title": "value"},
    ]
    return {
        "$schema": VEGA_LITE,
        "height": 320,
        "data": {"name": "lines"},
        "datasets": {"lines": frame},
        "layer": [
            {"mark": {"type": "rule", "color": "#bdbdbd"}, "encoding": {"x": x}},
            {
                "mark": {"type": "line", "opacity": 0.55, "strokeWidth": 1.4},
                "encoding": {
                    "x": x,
                    "y": y,
                    "detail": {"field": "run", "type": "nominal"},
                    "color": {"field": "primary_label", "type": "nominal", "title": "label", "scale": label_scale()},
                    "tooltip": tooltip,
                },
            },
        ],
    }


def band_chart(frame: pd.DataFrame, title: str, *, log: bool) -> dict:
    """A group of runs per colour: the mean of their smoothed curves bold, the band from lowest to highest shaded."""
    groups = list(dict.fromkeys(frame["group"]))
    colour = {
        "field": "group",
        "type": "nominal",
        "scale": run_colours(groups),
        "legend": {"title": None, "orient": "bottom", "columns": 2, "labelLimit": 420},
    }
    x = {"field": "x", "type": "quantitative", "title": "fraction of training"}
    y_scale = {"type": "log"} if log else {"type": "linear", "zero": False}
    return {
        "$schema": VEGA_LITE,
        "height": 320,
        "data": {"name": "bands"},
        "datasets": {"bands": frame},
        "layer": [
            {
                "mark": {"type": "area", "opacity": 0.18},
                "encoding": {
                    "x": x,
                    "y": {"field": "low", "type": "quantitative", "scale": y_scale, "title": title},
                    "y2": {"field": "high"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "line", "strokeWidth": 2.2},
                "encoding": {
                    "x": x,
                    "y": {"field": "mean", "type": "quantitative", "scale": y_scale, "title": title},
                    "color": colour,
                    "tooltip": [
                        {"field": "group", "type": "nominal"},
                        {"field": "runs", "type": "quantitative"},
                        {"field": "x", "type": "quantitative", "format": ".2f", "title": "fraction"},
                        {"field": "mean", "type": "quantitative", "format": ".4~g"},
                        {"field": "low", "type": "quantitative", "format": ".4~g"},
                        {"field": "high", "type": "quantitative", "format": ".4~g"},
                    ],
                },
            },
        ],
    }
