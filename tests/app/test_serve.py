"""The app's server begins the audit of the folder it was started on as it starts: the first page shows it."""

from __future__ import annotations

import threading

import curvescope
from tests.app.conftest import assert_clean, copy_runs, texts
from tests.conftest import ROOT


def test_the_server_begins_the_audit_the_first_page_shows(start, monkeypatch, tmp_path):
    copy_runs(tmp_path, "keras/wine-mlp-tanh-sgd", "keras/digits-mlp-tanh-sgd")
    whole = curvescope.audit(tmp_path, classes=3)
    begun = threading.Event()
    asked: list[dict] = []

    def audit(path, *, audited, **options):
        asked.append(options)
        begun.set()
        audited(whole, len(whole), len(whole))
        return whole

    monkeypatch.setattr(curvescope, "audit", audit)
    monkeypatch.syspath_prepend(str(ROOT / "app"))
    import serve

    serve.warm_up([str(tmp_path), "--classes", "3"])
    assert begun.wait(30), "the server began no audit"
    at = start(tmp_path, args=("--classes", "3"))
    assert_clean(at)
    assert f"{len(whole)} runs in" in texts(at)
    assert [options["classes"] for options in asked] == [3], "the page audits again what the server began"


def test_a_folder_the_page_refuses_is_left_for_the_page_to_say_so(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(ROOT / "app"))
    import serve

    serve.warm_up([str(tmp_path), "--classes", "one"])  # settings that do not parse: no audit, no exception
