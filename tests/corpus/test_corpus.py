"""The labelled corpus of real training runs (``fixtures/corpus``): manifest, split, determinism, readability."""

import csv
import importlib
import sys
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest

import curvescope
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "corpus"
RUNS = CORPUS / "runs"


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, str]]:
    with (CORPUS / "labels.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def corpus() -> curvescope.ReadResult:
    return curvescope.read(RUNS)


@pytest.fixture(scope="module")
def generator() -> SimpleNamespace:
    """The corpus generator's modules, which import each other as siblings."""
    sys.path.insert(0, str(CORPUS))
    return SimpleNamespace(**{name: importlib.import_module(name) for name in ("build", "pipeline", "recipes")})


@pytest.mark.slow
def test_manifest_names_exactly_the_runs_curvescope_reads(manifest, corpus, generator):
    assert tuple(manifest[0]) == generator.build.COLUMNS
    assert tuple(row["run"] for row in manifest) == corpus.runs


def test_every_label_in_both_splits_and_no_family_in_both(manifest, generator):
    counts = Counter((row["label"], row["split"]) for row in manifest)
    for label in generator.recipes.LABELS:
        assert counts[label, "test"] >= 25, label
        assert counts[label, "train"] > 0, label
    splits = defaultdict(set)
    for row in manifest:
        splits[row["dataset"], row["arch"]].add(row["split"])
        assert row["split"] == generator.recipes.split_of(row["dataset"], row["arch"])
    assert all(len(found) == 1 for found in splits.values())


def test_rebuilding_a_healthy_run_and_two_injected_ones_writes_the_same_bytes(manifest, generator, tmp_path):
    committed = {row["run"]: row for row in manifest}
    group = next(g for g in generator.recipes.plan() if g.twin.dataset == "iris" and sum(run in committed for run in g.runs) >= 3)
    outcomes = generator.pipeline.run_group(group)
    healthy, *injected = [o for o in outcomes if o.symptom]
    assert healthy.label == "healthy" and len(injected) >= 2
    for outcome in (healthy, *injected[:2]):
        generator.build.write_run(outcome, tmp_path)
        assert {k: str(v) for k, v in generator.build.manifest_row(outcome).items()} == committed[outcome.run]
        rebuilt = sorted(p.relative_to(tmp_path) for p in (tmp_path / outcome.run).rglob("*") if p.is_file())
        original = sorted(p.relative_to(RUNS) for p in (RUNS / outcome.run).rglob("*") if p.is_file())
        assert rebuilt == original
        for path in rebuilt:
            assert (tmp_path / path).read_bytes() == (RUNS / path).read_bytes(), path


@pytest.mark.slow
def test_every_run_reads_without_unreadable_or_truncated_files(corpus):
    assert [f for f in corpus.findings if f.code in ("CS001", "CS002")] == []
