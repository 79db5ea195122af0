"""The report app under ``streamlit.testing.v1.AppTest``: started on a directory as ``streamlit run`` would be."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

import curvescope
from tests.conftest import FIXTURES, ROOT

APP = ROOT / "app" / "streamlit_app.py"
DEMO = FIXTURES / "demo"
TIMEOUT = 60  # the first run of a session audits the demo (the learned model loads once per process)


@pytest.fixture(scope="session")
def demo_report():
    """What the library says of the demo: the app must show the same."""
    return curvescope.audit(DEMO)


@pytest.fixture
def start(monkeypatch):
    """``start(path)`` gives an AppTest of the app as ``streamlit run app/streamlit_app.py -- path`` starts
    it (no path: the demo); ``args`` follow the path as ``curvescope app`` passes the audit's options;
    ``query`` sets the URL's query parameters before the first run."""
    from streamlit.testing.v1 import AppTest

    def started(path: Path | None = None, *, args: tuple[str, ...] = (), query: dict | None = None, run: bool = True) -> AppTest:
        monkeypatch.setattr(sys, "argv", [str(APP), *([str(path)] if path is not None else []), *args])
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params.update(query or {})
        return at.run() if run else at

    return started


def copy_runs(target: Path, *runs: str, source: Path = DEMO) -> Path:
    """Copy runs (paths relative to ``source``) under ``target``, keeping their relative paths."""
    for run in runs:
        shutil.copytree(source / run, target / run)
    return target


def page(at, name: str):
    """Switch to one of the app's pages and run it."""
    return at.switch_page(f"app_pages/{name}.py").run()


def scalars_tab(at):
    """The Run page run again with its "Every scalar" tab open."""
    at.session_state["run_tab"] = "Every scalar"
    return at.run()


def audited(at, seconds: float = TIMEOUT):
    """The app run again until its audit is done: the overview shows the runs audited so far while it runs."""
    deadline = time.monotonic() + seconds
    while at.get("progress") and time.monotonic() < deadline:
        time.sleep(0.1)
        at.run()
    return at


def assert_clean(at) -> None:
    """No exception and no error on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def unescape(markdown: str) -> str:
    """What a person reads of the app's escaped Markdown (backslash escapes removed)."""
    out, escaped = [], False
    for char in markdown:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def texts(at) -> str:
    """Every piece of Markdown text on the page (main area and sidebar), as read."""
    parts = [
        element.value
        for kind in ("markdown", "caption", "warning", "info", "error", "success", "title", "subheader")
        for element in at.get(kind)
    ]
    parts += [element.proto.label for element in at.get("page_link")]
    return "\n".join(unescape(str(part)) for part in parts)
