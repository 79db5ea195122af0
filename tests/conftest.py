"""Shared test paths: the committed fixtures and the real-world logs in ../shared."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run, so that a red build is never a roll of the dice;
# local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Audits cache what they read; the tests keep theirs apart from the user's, and the CLI's
# subprocesses inherit the same folder.
os.environ["CURVESCOPE_CACHE_DIR"] = tempfile.mkdtemp(prefix="curvescope-test-cache-")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
WILD = SHARED / "wild"
WILD_CSV = SHARED / "wild_csv"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def wild_dir() -> Path:
    if not WILD.is_dir():
        pytest.fail(f"{WILD} is missing: the shared real-world logs must sit beside the checkout")
    return WILD


@pytest.fixture(scope="session")
def wild_csv_dir() -> Path:
    if not WILD_CSV.is_dir():
        pytest.fail(f"{WILD_CSV} is missing: the shared real-world logs must sit beside the checkout")
    return WILD_CSV


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
