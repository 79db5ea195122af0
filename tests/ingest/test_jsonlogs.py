"""JSON readers: Hugging Face trainer states and JSON-lines logs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from curvescope.ingest.jsonlogs import JSONLinesReader, TrainerStateReader, records_table
from curvescope.ingest.tables import Table, flat_records, flatten
from curvescope.schema import READER_COLUMNS, validate_scalars
from tests.conftest import FIXTURES
from tests.ingest.fuzzing import FUZZ, read_bytes_as

JSON = FIXTURES / "json"
HF_RUN = JSON / "hf" / "output"


def series(frame, tag: str) -> list[tuple[int, float]]:
    rows = frame[frame["tag"] == tag]
    return list(zip(rows["step"].tolist(), rows["value"].tolist()))


def hf_files() -> list[Path]:
    return sorted(HF_RUN.rglob("trainer_state.json"))


def test_checkpoint_states_belong_to_the_output_directory():
    reader = TrainerStateReader()
    assert {reader.run_path(path) for path in hf_files()} == {HF_RUN}
    assert all(reader.sniff(path) for path in hf_files())


def test_trainer_state_reads_the_newest_state_and_reports_the_others():
    result = TrainerStateReader().read(HF_RUN, hf_files())
    frame = result.scalars
    validate_scalars(frame, READER_COLUMNS)
    assert series(frame, "loss") == [(2, 1.2893), (4, 1.1021), (6, 0.9876)]
    assert series(frame, "eval_loss") == [(4, 0.7435560822486877), (6, 0.6983112692832947)]
    assert series(frame, "eval_accuracy") == [(4, 0.875), (6, 0.9)]
    assert series(frame, "learning_rate") == [(2, 4.5e-05), (4, 3.5e-05), (6, 2.5e-05)]
    assert [step for step, _ in series(frame, "grad_norm")] == [2, 4, 6]
    assert math.isnan(series(frame, "grad_norm")[1][1])  # NaN written by json.dumps is kept
    assert series(frame, "epoch") == [(2, 0.25), (4, 0.5), (4, 0.5), (6, 0.75), (6, 0.75)]
    assert not {"train_loss", "total_flos", "train_runtime"} & set(frame["tag"])
    assert frame["source"].unique().tolist() == [str(HF_RUN / "trainer_state.json")]
    [superseded] = result.findings
    assert (superseded.name, superseded.count) == ("ignored-file", 2)
    assert "checkpoint-2" in superseded.message and "checkpoint-4" in superseded.message


def test_trainer_state_summary_and_settings_are_hparams():
    hparams = TrainerStateReader().read(HF_RUN, hf_files()).hparams
    assert hparams["summary/train_loss"] == 1.1263333333333334
    assert hparams["summary/train_runtime"] == 12.5
    assert hparams["train_batch_size"] == 32 and hparams["max_steps"] == 6
    assert "log_history" not in hparams


def test_without_the_top_level_file_the_latest_checkpoint_is_read():
    files = [HF_RUN / "checkpoint-2" / "trainer_state.json", HF_RUN / "checkpoint-4" / "trainer_state.json"]
    result = TrainerStateReader().read(HF_RUN, files)
    assert series(result.scalars, "loss") == [(2, 1.2893), (4, 1.1021)]
    assert result.scalars["source"].unique().tolist() == [str(files[1])]


def test_truncated_trainer_state_is_a_finding():
    path = JSON / "hf_truncated" / "trainer_state.json"
    result = TrainerStateReader().read(path.parent, [path])
    assert [item.name for item in result.findings] == ["unreadable-file"]
    assert result.findings[0].source == str(path) and result.scalars.empty


def test_jsonl_flattens_nested_keys_and_reports_the_half_written_last_line():
    path = JSON / "jsonl" / "metrics.jsonl"
    reader = JSONLinesReader()
    assert reader.sniff(path)
    result = reader.read(path.parent, [path])
    frame = result.scalars
    assert series(frame, "train/acc") == [(0, 0.125), (1, math.inf)]
    assert series(frame, "lr") == [(0, 0.1), (1, 0.1), (2, 0.05)]
    assert series(frame, "train/loss")[:2] == [(0, 2.5), (1, 2.0)] and math.isnan(series(frame, "train/loss")[2][1])
    assert "note" not in set(frame["tag"])
    [cut] = result.findings
    assert (cut.name, cut.count, cut.source) == ("truncated-record", 1, str(path))
    assert "line (4)" in cut.message


def test_jsonl_integer_beyond_the_floats_is_an_infinite_value(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(f'{{"step": 1, "loss": {10**400}}}\n{{"step": 2, "loss": {-(10**400)}}}\n')
    result = JSONLinesReader().read(tmp_path, [path])
    assert series(result.scalars, "loss") == [(1, math.inf), (2, -math.inf)]


def test_jsonl_corrupt_line_is_counted_and_the_rest_read():
    path = JSON / "jsonl_corrupt" / "metrics.jsonl"
    result = JSONLinesReader().read(path.parent, [path])
    [corrupt] = result.findings
    assert (corrupt.name, corrupt.count) == ("corrupt-record", 1) and "line 2" in corrupt.message
    assert len(series(result.scalars, "lr")) == 3


def test_empty_jsonl_is_claimed_and_reported():
    path = JSON / "jsonl_empty" / "metrics.jsonl"
    assert JSONLinesReader().sniff(path)
    assert [item.name for item in JSONLinesReader().read(path.parent, [path]).findings] == ["empty-file"]


def test_jsonl_sniff_skips_json_documents_and_non_logs(tmp_path):
    reader = JSONLinesReader()
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}, indent=2))
    (tmp_path / "list.jsonl").write_text('{"repo": "a", "path": "b"}\n')
    (tmp_path / "log.json").write_text('{"iteration": 1, "loss": 2.0}\n')
    assert [reader.sniff(tmp_path / name) for name in ("config.json", "list.jsonl", "log.json")] == [False, False, True]
    assert not reader.sniff(HF_RUN / "trainer_state.json")


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
)


@FUZZ
@given(data=st.binary(max_size=300))
def test_json_readers_never_raise_on_random_bytes(data):
    read_bytes_as(TrainerStateReader(), "trainer_state.json", data)
    read_bytes_as(JSONLinesReader(), "log.jsonl", data)


@FUZZ
@given(records=st.lists(st.dictionaries(st.sampled_from(["step", "loss", "epoch", "x"]), JSON_VALUE), max_size=5))
def test_json_readers_never_raise_on_random_records(records):
    lines = "\n".join(json.dumps(record) for record in records)
    read_bytes_as(JSONLinesReader(), "log.jsonl", lines.encode())
    state = {"global_step": 3, "log_history": records}
    read_bytes_as(TrainerStateReader(), "trainer_state.json", json.dumps(state).encode())


def test_records_table_reads_every_kind_of_cell():
    records = [
        {"step": 0, "train": {"loss": 2.5, "ok": True}, "note": "warmup", "lr": None},
        {"lr": 10**400, "step": 1, "train": {"loss": math.nan}, "flags": [1]},
        {"step": 2, "train": {"loss": -math.inf}, "big": 2**64 + 1, "empty": {}},
        {"step": 3, "train": {"loss": 1}},
    ]
    table = records_table(flat_records(records), [1, 2, 3, 5])
    nan = math.nan
    assert table.columns == ["step", "train/loss", "train/ok", "note", "lr", "flags", "big", "empty"]
    np.testing.assert_array_equal(
        table.values,
        [
            [0, 2.5, nan, nan, nan, nan, nan, nan],
            [1, nan, nan, nan, math.inf, nan, nan, nan],
            [2, -math.inf, nan, nan, nan, nan, float(2**64 + 1), nan],
            [3, 1, nan, nan, nan, nan, nan, nan],
        ],
    )
    np.testing.assert_array_equal(
        table.written,
        [[1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0, 1, 1], [1, 1, 0, 0, 0, 0, 0, 0]],
    )
    np.testing.assert_array_equal(
        table.numeric,
        [[1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0, 1, 0], [1, 1, 0, 0, 0, 0, 0, 0]],
    )
    assert table.lines.tolist() == [1, 2, 3, 5]


def cell_by_cell_table(records: list[dict]) -> Table:
    """What ``records_table`` must give, built one cell at a time."""
    index: dict[str, int] = {}
    cells = [
        (row, index.setdefault(key, len(index)), value) for row, record in enumerate(records) for key, value in record.items()
    ]
    shape = (len(records), len(index))
    values, written, numeric = np.full(shape, np.nan), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    for row, column, value in cells:
        if value is None:
            continue
        written[row, column] = True
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            numeric[row, column] = True
            try:
                values[row, column] = float(value)
            except OverflowError:
                values[row, column] = math.inf if value > 0 else -math.inf
    return Table(list(index), values, written, numeric, np.arange(1, len(records) + 1))


CELL = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**53 + 1, 2**64, -(2**70), 10**400, -(10**400)])
    | st.floats()
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(["b", "c"]), inner, max_size=2),
    max_leaves=6,
)
RECORDS = st.lists(st.dictionaries(st.sampled_from(["step", "loss", "a", "a/b", "lr", 1]), CELL, max_size=5), max_size=6).flatmap(
    lambda records: st.permutations(records + records)
)


@given(records=RECORDS)
def test_records_table_matches_the_table_read_cell_by_cell(records):
    flat = flat_records(records)
    assert flat == [flatten(record) for record in records]
    assert [list(record) for record in flat] == [list(flatten(record)) for record in records]
    table, expected = records_table(flat, range(1, len(flat) + 1)), cell_by_cell_table(flat)
    assert table.columns == expected.columns
    np.testing.assert_array_equal(table.values, expected.values)
    np.testing.assert_array_equal(table.written, expected.written)
    np.testing.assert_array_equal(table.numeric, expected.numeric)
    np.testing.assert_array_equal(table.lines, expected.lines)
