"""MLflow file-store reader."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curvescope.ingest.mlflow import MLflowReader
from curvescope.schema import READER_COLUMNS, validate_scalars
from tests.conftest import FIXTURES

EXPERIMENT = FIXTURES / "mlflow" / "mlruns" / "0"
RUN = EXPERIMENT / "0f5c1d3e2b4a49d8a7e6c5b4a3f2e1d0"


def run_files() -> list[Path]:
    return sorted(path for path in RUN.rglob("*") if path.is_file())


def series(frame, tag: str) -> list[tuple[int, float, float]]:
    rows = frame[frame["tag"] == tag]
    return list(zip(rows["step"].tolist(), rows["wall_time"].tolist(), rows["value"].tolist()))


def test_every_file_of_a_run_is_claimed_for_the_run_directory():
    reader = MLflowReader()
    assert all(reader.sniff(path) for path in run_files())
    assert {reader.run_path(path) for path in run_files()} == {RUN}
    assert not reader.sniff(EXPERIMENT / "meta.yaml")  # the experiment's, not a run's


def test_metrics_with_nested_keys_ms_timestamps_and_repeated_steps():
    result = MLflowReader().read(RUN, run_files())
    frame = result.scalars
    validate_scalars(frame, READER_COLUMNS)
    loss = series(frame, "loss")
    assert loss[:3] == [(0, 1_700_000_000.0, 2.5), (1, 1_700_000_001.5, 2.0), (1, 1_700_000_003.0, 1.75)]
    assert loss[3][:2] == (2, 1_700_000_004.0) and math.isnan(loss[3][2])
    assert series(frame, "val/loss") == [(1, 1_700_000_002.0, 2.25)]
    assert frame[frame["tag"] == "val/loss"]["source"].tolist() == [str(RUN / "metrics" / "val" / "loss")]


def test_lines_without_a_step_are_step_zero_as_in_mlflow():
    frame = MLflowReader().read(RUN, run_files()).scalars
    assert series(frame, "legacy_acc") == [(0, 1_500_000_000.0, 0.5), (0, 1_500_000_001.0, 0.75)]


def test_a_bad_metric_line_is_named_and_the_rest_read():
    result = MLflowReader().read(RUN, run_files())
    [bad] = result.findings
    assert (bad.name, bad.count, bad.source) == ("unparseable-cells", 1, str(RUN / "metrics" / "broken"))
    assert "line 2" in bad.message
    assert series(result.scalars, "broken") == [(0, 1_700_000_000.0, 0.5)]


def test_params_and_run_name_are_hparams():
    hparams = MLflowReader().read(RUN, run_files()).hparams
    assert hparams == {"lr": "0.01", "optimizer": "adam", "mlflow.runName": "bold-fox-42"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200) | st.text(alphabet="0123456789 .-naife\n", max_size=80).map(str.encode))
def test_random_metric_and_meta_files_never_raise(data):
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder) / "0" / "abc"
        (run / "metrics").mkdir(parents=True)
        (run / "meta.yaml").write_bytes(data)
        (run / "metrics" / "loss").write_bytes(data)
        reader = MLflowReader()
        files = [run / "meta.yaml", run / "metrics" / "loss"]
        for path in files:
            reader.sniff(path)
            reader.run_path(path)
        validate_scalars(reader.read(run, files).scalars, READER_COLUMNS)
