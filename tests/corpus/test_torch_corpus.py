"""The PyTorch corpus (``fixtures/torch_corpus``), as committed: its manifest and its logs agree, every
label is known and in both splits, every injected run has a healthy twin. Needs no torch."""

import csv
import tomllib
from collections import Counter, defaultdict

import pytest

import curvescope
from curvescope.diagnose import HEALTHY, LABELS
from tests.conftest import FIXTURES, ROOT

CORPUS = FIXTURES / "torch_corpus"
RUNS = CORPUS / "runs"
REQUIRED = (
    "run,label,dataset,classes,arch,optimizer,schedule,batch_size,epochs,lr,format,cause,strength,symptom,twin,split,family"
).split(",")


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, str]]:
    with (CORPUS / "labels.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def by_run(manifest) -> dict[str, dict[str, str]]:
    return {row["run"]: row for row in manifest}


def test_manifest_has_the_columns_and_one_row_per_run(manifest, by_run):
    assert set(REQUIRED) <= set(manifest[0])
    assert len(by_run) == len(manifest)
    assert 300 <= len(manifest) <= 450


def test_every_run_directory_on_disk_is_a_labelled_run(by_run):
    on_disk = {f"{family.name}/{run.name}" for family in RUNS.iterdir() for run in family.iterdir()}
    assert on_disk == set(by_run)


@pytest.mark.slow
def test_curvescope_reads_exactly_the_labelled_runs(by_run):
    assert set(curvescope.read(RUNS).runs) == set(by_run)


def test_every_label_is_known_and_in_both_splits(manifest):
    counts = Counter((row["label"], row["split"]) for row in manifest)
    assert {row["label"] for row in manifest} <= set(LABELS)
    for label in LABELS:
        assert counts[label, "train"] >= 10, label
        assert counts[label, "test"] >= 10, label


def test_splits_hold_out_whole_families(manifest):
    splits = defaultdict(set)
    for row in manifest:
        assert row["run"].split("/")[0] == row["family"]
        assert row["family"].startswith(f"{row['dataset']}-{row['arch']}")
        splits[row["family"]].add(row["split"])
    assert all(len(found) == 1 for found in splits.values())
    assert {split for found in splits.values() for split in found} == {"train", "test"}


def test_every_injected_run_has_a_healthy_twin_of_its_family(manifest, by_run):
    for row in manifest:
        if row["label"] == HEALTHY:
            assert row["twin"] == row["cause"] == row["strength"] == "", row["run"]
            continue
        twin = by_run.get(row["twin"])
        assert twin is not None, f"{row['run']}: twin {row['twin']} is not in the corpus"
        assert twin["label"] == HEALTHY, row["run"]
        assert (twin["family"], twin["split"]) == (row["family"], row["split"]), row["run"]
        assert row["cause"] and row["strength"] and row["symptom"], row["run"]


def test_underfitting_has_all_three_causes(manifest):
    causes = {row["cause"].split(":")[0] for row in manifest if row["label"] == "underfitting"}
    assert {"too small a model", "too much regularisation"} <= causes
    assert any(cause.startswith("lr x") for cause in causes)


def test_torch_is_only_an_optional_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("torch") for dep in project["dependencies"])
    for extra, deps in project["optional-dependencies"].items():
        assert extra == "corpus" or not any(dep.startswith("torch") for dep in deps), extra
