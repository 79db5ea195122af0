"""Shared test paths: the committed fixtures and the real-world logs in ../shared.

A fresh clone has no ../shared: the tests that read it skip, saying so. CI (the CI variable set,
as ``.ci/run`` does) must run every test, so there any skip fails instead, with its reason.
CURVESCOPE_SHARED points the tests at a shared folder elsewhere.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run, so that a red build is never a roll of the dice;
# local runs keep exploring new ones.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
settings.register_profile("ci", derandomize=True)
if IN_CI:
    settings.load_profile("ci")

# Audits cache what they read; the tests keep theirs apart from the user's, and the CLI's
# subprocesses inherit the same folder, removed when the tests end.
os.environ["CURVESCOPE_CACHE_DIR"] = tempfile.mkdtemp(prefix="curvescope-test-cache-")
atexit.register(shutil.rmtree, os.environ["CURVESCOPE_CACHE_DIR"], ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = Path(os.environ.get("CURVESCOPE_SHARED") or ROOT.parent / "shared")
WILD = SHARED / "wild"
WILD_CSV = SHARED / "wild_csv"


def shared_missing(path: Path) -> str | None:
    """Why a test that reads ``path`` (in the shared folder) cannot run, or None when it can."""
    if path.exists():
        return None
    return f"{path} is missing: the shared real-world logs are not beside this checkout (set CURVESCOPE_SHARED to use others)"


def wild_expected() -> dict:
    """What ../shared/wild/expected.json says of each file; empty when the shared folder is missing."""
    path = WILD / "expected.json"
    return json.loads(path.read_text())["files"] if path.is_file() else {}


def shared_params(path: Path, values) -> list:
    """Parameters for a test over files in the shared folder: ``values``, or one skipped parameter
    naming what is missing, so that the skip is reported with its reason."""
    reason = shared_missing(path)
    if reason:
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="shared-missing")]
    return sorted(values)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def wild_dir() -> Path:
    if reason := shared_missing(WILD):
        pytest.skip(reason)
    return WILD


@pytest.fixture(scope="session")
def wild_csv_dir() -> Path:
    if reason := shared_missing(WILD_CSV):
        pytest.skip(reason)
    return WILD_CSV


def _fail_a_skip_in_ci(report):
    """In CI a skip fails, naming why it was skipped: CI runs the whole suite or goes red."""
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason.removeprefix('Skipped: ')}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    return _fail_a_skip_in_ci((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    return _fail_a_skip_in_ci((yield))


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff before committing).",
    )


@pytest.fixture
def golden(request):
    """Compare text with ``tests/golden/<name>`` exactly; ``--update-golden`` rewrites the file instead."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = ROOT / "tests" / "golden" / name
        if update:
            path.write_text(text, encoding="utf-8")
            return
        if not path.is_file():
            pytest.fail(f"{path.name} is missing: run pytest --update-golden and review it")
        assert text == path.read_text(encoding="utf-8"), f"{path.name} differs: rerun with --update-golden if intended"

    return check
