"""Ray Tune trial reader."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curvescope.ingest.csvlogs import GenericCSVReader
from curvescope.ingest.jsonlogs import JSONLinesReader
from curvescope.ingest.raytune import RayTuneReader
from curvescope.schema import READER_COLUMNS, validate_scalars
from tests.conftest import FIXTURES

EXPERIMENT = FIXTURES / "raytune" / "exp"
WITH_JSON = EXPERIMENT / "train_fn_a_00000"
CSV_ONLY = EXPERIMENT / "train_fn_b_00001"
T0 = 1_700_000_000


def trial(folder: Path):
    files = sorted(folder.iterdir())
    reader = RayTuneReader()
    assert all(reader.sniff(path) for path in files)
    assert {reader.run_path(path) for path in files} == {folder}
    result = reader.read(folder, files)
    validate_scalars(result.scalars, READER_COLUMNS)
    return result


def series(frame, tag: str) -> list[tuple[int, float, float]]:
    rows = frame[frame["tag"] == tag]
    return list(zip(rows["step"].tolist(), rows["wall_time"].tolist(), rows["value"].tolist()))


def test_result_json_is_read_once_and_progress_csv_is_reported():
    result = trial(WITH_JSON)
    assert series(result.scalars, "loss") == [(1, T0 + 10, 1.5), (2, T0 + 20, 1.0)]
    assert series(result.scalars, "mean_accuracy") == [(1, T0 + 10, 0.5), (2, T0 + 20, 0.75)]
    assert series(result.scalars, "info/learner/grad_norm") == [(1, T0 + 10, 0.25), (2, T0 + 20, 0.5)]
    assert set(result.scalars["source"]) == {str(WITH_JSON / "result.json")}
    assert not {"training_iteration", "timestamp", "date", "hostname", "done"} & set(result.scalars["tag"])
    [skipped] = result.findings
    assert (skipped.name, skipped.source) == ("ignored-file", str(WITH_JSON / "progress.csv"))
    assert result.hparams == {"lr": 0.01, "model/layers": 2}


def test_progress_csv_alone_gives_the_same_points():
    from_json = trial(WITH_JSON).scalars
    from_csv = trial(CSV_ONLY)
    assert from_csv.findings == []
    for tag in ("loss", "mean_accuracy", "info/learner/grad_norm", "time_total_s"):
        assert series(from_csv.scalars, tag) == series(from_json, tag)
    assert from_csv.hparams == {"lr": 0.01, "model/layers": 2}


def test_generic_readers_leave_ray_files_alone_in_registration_order():
    progress = CSV_ONLY / "progress.csv"
    assert RayTuneReader().sniff(progress) and GenericCSVReader().sniff(progress)  # hence raytune comes first
    assert not JSONLinesReader().sniff(WITH_JSON / "params.json")


def test_config_in_results_is_the_fallback_for_hparams(tmp_path):
    (tmp_path / "result.json").write_text('{"training_iteration": 1, "loss": 2.0, "config": {"lr": 0.5}}\n')
    result = RayTuneReader().read(tmp_path, [tmp_path / "result.json"])
    assert result.hparams == {"lr": 0.5}
    assert series(result.scalars, "loss")[0][::2] == (1, 2.0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(result=st.binary(max_size=200), progress=st.binary(max_size=200), params=st.binary(max_size=60))
def test_random_trial_files_never_raise(result, progress, params):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = [root / "params.json", root / "progress.csv", root / "result.json"]
        for path, data in zip(files, (params, progress, result)):
            path.write_bytes(data)
            RayTuneReader().sniff(path)
        validate_scalars(RayTuneReader().read(root, files).scalars, READER_COLUMNS)
