"""A messy log directory never crashes read(): random bytes, damaged files, crashing readers."""

import importlib
import shutil
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import curvescope
from curvescope.errors import NoRunsFound
from curvescope.schema import validate_scalars
from tests.conftest import FIXTURES

read_module = importlib.import_module("curvescope.assemble.read")

LOG_NAMES = (
    "events.out.tfevents.1700000000.host.1",
    "events.out.tfevents.1700000001.host.2",
    "train/events.out.tfevents.1700000000.host.3",
    "metrics.csv",
    "hparams.yaml",
    "training.log",
    "results.csv",
    "trainer_state.json",
    "checkpoint-10/trainer_state.json",
    "log.jsonl",
    "progress.csv",
    "result.json",
    "params.json",
    "mlruns/0/abc/meta.yaml",
    "mlruns/0/abc/metrics/loss",
    "mlruns/0/abc/params/lr",
)
DEMO_FILES = sorted(p for p in (FIXTURES / "demo").rglob("*") if p.is_file())
FUZZ = settings(max_examples=60, deadline=timedelta(seconds=20), suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read_tolerantly(root):
    try:
        result = curvescope.read(root)
    except NoRunsFound:
        return None
    validate_scalars(result.scalars)
    assert int(result.files["rows_kept"].sum()) == len(result.scalars)
    return result


@FUZZ
@given(files=st.lists(st.tuples(st.sampled_from(LOG_NAMES), st.integers(0, 2), st.binary(max_size=400)), min_size=1, max_size=6))
def test_random_bytes_in_files_named_like_logs(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("fuzz")
    for name, run, data in files:
        path = root / f"run{run}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    _read_tolerantly(root)


@FUZZ
@given(
    text=st.text(alphabet=st.sampled_from(list('0123456789.,;-e+ \n"naif_/stepochlrvu')), max_size=300),
    name=st.sampled_from(("metrics.csv", "training.log", "results.csv", "progress.csv", "log.jsonl")),
)
def test_random_text_in_table_logs(tmp_path_factory, text, name):
    root = tmp_path_factory.mktemp("text")
    (root / name).write_text(text)
    _read_tolerantly(root)


@FUZZ
@given(index=st.integers(0, len(DEMO_FILES) - 1), cut=st.floats(0, 1), flip=st.none() | st.integers(0, 10**6))
def test_damaged_copies_of_real_logs(tmp_path_factory, index, cut, flip):
    original = DEMO_FILES[index]
    root = tmp_path_factory.mktemp("damaged")
    target = root / "run" / original.name
    target.parent.mkdir()
    data = bytearray(original.read_bytes())
    if flip is not None and data:
        data[flip % len(data)] ^= 0xFF
    else:
        data = data[: int(len(data) * cut)]
    target.write_bytes(bytes(data))
    _read_tolerantly(root)


def test_a_reader_that_crashes_costs_only_its_files(tmp_path, monkeypatch):
    class Crashing:
        name = "crashing"
        per_file = False

        def sniff(self, path):
            return path.suffix == ".boom"

        def run_path(self, path):
            return path.parent

        def read(self, run_path, files):
            raise RuntimeError("decoder exploded")

    shutil.copytree(FIXTURES / "digits" / "tensorboard" / "healthy", tmp_path / "good")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.boom").write_text("")
    monkeypatch.setattr(read_module, "readers", lambda: (Crashing(), *curvescope.ingest.readers()))
    result = curvescope.read(tmp_path)
    assert result.runs == ("bad", "good")
    [problem] = [f for f in result.findings if f.name == "unreadable-file"]
    assert problem.source == "bad/x.boom" and problem.run == "bad"
    assert "crashing reader failed: RuntimeError: decoder exploded" in problem.message
    assert len(result.run("good")) > 0


def test_empty_run_read_is_listed_with_its_findings(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "events.out.tfevents.1.host").write_bytes(b"")
    result = curvescope.read(tmp_path)
    assert result.runs == ("run",) and result.scalars.empty
    assert {f.name for f in result.findings} >= {"empty-file"}
