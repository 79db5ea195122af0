"""The ingestion benchmark at a tiny scale: its corpora are TensorBoard's bytes, its readers agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # generates corpora and runs the benchmark script

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCALE = 0.002


def test_generated_files_are_what_tensorboard_writes_event_by_event(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _corpus

    for base in _corpus.CORPORA:
        shape = base.scaled(SCALE)
        root, manifest = _corpus.ensure_corpus(shape, tmp_path)
        assert manifest["scalars"] == shape.scalars
        for index in range(shape.runs):
            run = _corpus.make_run(shape, index)
            assert (root / run.name / run.file_name).read_bytes() == _corpus.reference_bytes(run)


def test_curvescope_event_accumulator_and_tbparse_read_the_same_scalars(tmp_path):
    figures_path = tmp_path / "figures.json"
    command = [
        sys.executable,
        str(BENCHMARKS / "ingest.py"),
        "--scale",
        str(SCALE),
        "--repeat",
        "1",
        "--data",
        str(tmp_path / "data"),
        "--json",
        str(figures_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(figures_path.read_text())
    for name, corpus in figures["corpora"].items():
        assert corpus["compared"] == ["curvescope", "event-accumulator", "tbparse"], (name, corpus["skipped"], corpus["errors"])
        assert corpus["difference"] is None
        shape = corpus["shape"]
        expected = shape["runs"] * shape["tags"] * shape["steps"]
        assert {reader["scalars"] for reader in corpus["readers"].values()} == {expected}


def test_the_app_benchmark_measures_every_figure(tmp_path):
    """``benchmarks/app.py`` at a tiny scale: it serves the runs, drives Chromium and reports every figure
    (whether they meet the targets is the full benchmark's business)."""
    from tests.e2e.test_browser import CHROMIUM, _unavailable

    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable('Playwright is not installed: pip install -e ".[e2e]".')
    if not CHROMIUM.is_file():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium.")
    figures_path = tmp_path / "figures.json"
    command = [sys.executable, str(BENCHMARKS / "app.py"), "--runs", "20", "--steps", "200", "--repeat", "1"]
    result = subprocess.run(
        [*command, "--data", str(tmp_path), "--json", str(figures_path)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    figures = json.loads(figures_path.read_text())["figures"]
    views = {"first view, cold", "all runs audited, cold", "first view, fresh server", "first view, warm", "server memory (MB)"}
    changes = {"change the run", "change the smoothing", "change the filter", "change the sweep axis"}
    assert set(figures) == views | changes
    assert all(value > 0 for name, value in figures.items() if name != "change the sweep axis")
    assert figures["server memory (MB)"] > 50
