"""Shared test paths: the committed fixtures and the real-world logs in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run, so that a red build is never a roll of the dice;
# local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

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
