"""Whole real-world log directories read cleanly, and deduplicate as TensorBoard shows them."""

import json
from collections import defaultdict
from pathlib import PurePosixPath

import pytest

import curvescope
from curvescope.assemble.derived import SUM_SUFFIX

SPLITS = {"train", "validation", "eval", "test", "val", "valid"}


@pytest.fixture(scope="module")
def wild(wild_dir):
    return curvescope.read(wild_dir), json.loads((wild_dir / "expected.json").read_text())["files"]


def _run_and_prefix(relative: str) -> tuple[str, str]:
    folder = PurePosixPath(relative).parent
    if folder.name.lower() in SPLITS:
        return str(folder.parent), f"{folder.name}/"
    return str(folder), ""


def _logged(scalars):
    """The rows read from the files: without the summed losses assembling derives."""
    return scalars[~scalars["tag"].astype(str).str.endswith(SUM_SUFFIX)]


def test_every_scalar_tag_lands_in_its_run(wild):
    result, expected = wild
    tags_by_run = defaultdict(set)
    for relative, facts in expected.items():
        run, prefix = _run_and_prefix(relative)
        for tag, series in facts["event_accumulator"]["series"].items():
            if series["type"] == "scalar" or series.get("plugin") == "scalars":
                tags_by_run[run].add(prefix + tag)
    read_tags = {run: set(rows["tag"].astype(str)) for run, rows in _logged(result.scalars).groupby("run", observed=True)}
    assert {run: tags for run, tags in tags_by_run.items() if tags} == read_tags


def test_points_per_run_equal_tensorboards_data_server(wild):
    """TensorBoard's Rust data server keeps the newest write of each step: so do we, to the point."""
    result, expected = wild
    files_by_run = defaultdict(list)
    for relative in expected:
        files_by_run[_run_and_prefix(relative)[0]].append(relative)
    points = _logged(result.scalars).groupby("run", observed=True).size()
    checked = 0
    for run, files in files_by_run.items():
        if len(files) == 1:
            assert points.get(run, 0) == expected[files[0]]["readers"]["rustboard"]["rows"], run
            checked += 1
    assert checked >= 15


def test_only_expected_problems_are_reported(wild):
    result, expected = wild
    lfs = {rel for rel, facts in expected.items() if facts["integrity"].get("lfs_pointer")}
    reported = {f.source for f in result.findings if f.name == "git-lfs-pointer"}
    assert reported == lfs and len(lfs) == 3
    assert not [f for f in result.findings if f.name in {"unreadable-file", "corrupt-record", "truncated-record"}]


def test_wild_csv_and_json_logs_read_cleanly_with_losses(wild_csv_dir):
    result = curvescope.read(wild_csv_dir)
    assert len(result.runs) == 11
    assert not [f for f in result.findings if f.severity == "error"]
    without_loss = {run for run in result.runs if not {"train_loss", "val_loss"} & set(result.roles[run])}
    # a reinforcement-learning progress log: policy and value losses, no single training loss
    assert without_loss == {"davidADSP__SIMPLE/logs"}
    assert [f.run for f in result.findings if f.name == "no-loss-curve"] == ["davidADSP__SIMPLE/logs"]
