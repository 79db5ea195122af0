"""JSON training logs: Hugging Face's ``trainer_state.json`` and JSON-lines logs.

Both are lists of records (one dict per logging call); :func:`records_table` turns them into
the :class:`~.csvlogs.Table` the CSV readers use, so the same rules decide what is a point:
a number (``NaN``/``Infinity`` included) is a point, ``null`` is "not logged", strings, flags
and lists are metadata, and a mostly-numeric key holding a few non-numbers is a finding.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..findings import Finding, finding
from .base import FormatRow, RunRead
from .lines import LinesProgress, read_lines, resume_each
from .progress import Mark
from .tables import (
    STEP_COLUMNS,
    Layout,
    Table,
    Tally,
    find_step_column,
    first_line,
    first_line_holds,
    flat_records,
    flatten,
    head_lines,
    is_empty,
    lines_text,
    looks_like_metric,
    melt,
    normalised,
    read_each,
    read_yaml_hparams,
)

_CHECKPOINT_DIR = re.compile(r"checkpoint-\d+")
_SUMMARY_KEYS = frozenset({"train_runtime", "train_loss", "total_flos"})
_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
_SNIFF_RECORDS = 5
_PLAIN_NUMBERS = frozenset({int, float})
_STEP_KEY = re.compile(r'"\s*(' + "|".join(STEP_COLUMNS) + r')\s*"\s*:', re.IGNORECASE)


def _number(value: Any) -> float | None:
    """The value as a float if it is a JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond the floats
        return math.inf if value > 0 else -math.inf


def records_table(records: Sequence[dict], lines: Sequence[int]) -> Table:
    """A table of flat records (one row each, a column per key); ``null`` cells are not written.

    Records with the same keys in the same order are read together, a column of cells at a time."""
    rows_of: dict[tuple, list[int]] = {}
    for row, record in enumerate(records):
        rows_of.setdefault(tuple(record), []).append(row)
    index: dict[str, int] = {}
    for keys in rows_of:
        for key in keys:
            index.setdefault(str(key), len(index))
    shape = (len(records), len(index))
    written = np.zeros(shape, dtype=bool)
    numeric = np.zeros(shape, dtype=bool)
    cells = np.full(shape, np.nan)
    for keys, rows in rows_of.items():
        at = np.asarray(rows, dtype=np.int64)
        for key, column in zip(keys, zip(*(records[row].values() for row in rows))):
            j = index[str(key)]
            cells[at, j], numeric[at, j], written[at, j] = _column_cells(column)
    return Table(list(index), cells, written, numeric, np.asarray(lines, dtype=np.int64))


def _column_cells(column: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column's cells as floats (NaN where not a number), which hold numbers, and which are not ``null``."""
    if set(map(type, column)) <= _PLAIN_NUMBERS:
        try:
            values = np.array(column, dtype=np.float64)
        except OverflowError:
            pass
        else:
            everywhere = np.ones(len(column), dtype=bool)
            return values, everywhere, everywhere
    numbers = [_number(value) for value in column]
    values = np.array([math.nan if number is None else number for number in numbers], dtype=np.float64)
    is_number = np.array([number is not None for number in numbers], dtype=bool)
    return values, is_number, np.array([value is not None for value in column], dtype=bool)


def parse_json_lines(path: Path) -> tuple[list[dict], list[int], list[Finding]]:
    """The JSON objects of a JSON-lines file, the line of each, and the lines that failed (see ``json_lines``)."""
    data, findings = _lines_bytes(path)
    return ([], [], findings) if data is None else json_lines(data, str(path))


def _lines_bytes(path: Path) -> tuple[bytes | None, list[Finding]]:
    """A JSON-lines file's bytes; None, and why, when it cannot be read or holds nothing."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [finding("unreadable-file", f"The file could not be read: {exc.strerror or exc}.", source=source)]
    if not data.strip():
        return None, [finding("empty-file", "The file is empty.", source=source)]
    return data, []


def json_lines(data: bytes, source: str, lines_before: int = 0) -> tuple[list[dict], list[int], list[Finding]]:
    """The JSON objects of JSON-lines bytes, the line of each, and the lines that failed; ``data``
    may start after the file's first ``lines_before`` lines (lines are still numbered in the file).

    A failed last line with no newline after it is a half-written record (a crashed or running
    job): ``truncated-record``. Other failed lines are ``corrupt-record``; the rest is read.
    """
    raw_lines = data.split(b"\n")
    kept = [(number, raw) for number, raw in enumerate(raw_lines, start=lines_before + 1) if raw.strip()]
    if not kept:
        return [], [], []
    try:  # every line at once, in one call to the C decoder (the usual, intact file)
        parsed = json.loads(b"[" + b",".join(raw for _, raw in kept) + b"]")
    except (ValueError, RecursionError):
        parsed = [_loads_or_none(raw) for _, raw in kept]
    objects = [obj for obj in parsed if isinstance(obj, dict)]
    numbers = [number for (number, _), obj in zip(kept, parsed) if isinstance(obj, dict)]
    failed = [number for (number, _), obj in zip(kept, parsed) if not isinstance(obj, dict)]
    findings: list[Finding] = []
    last = lines_before + len(raw_lines)
    cut = bool(failed) and failed[-1] == last and not data.endswith(b"\n")
    if cut:
        failed.pop()
        findings.append(
            finding(
                "truncated-record",
                f"The last line ({last}) is a half-written record (a crash, or a run still "
                "writing); every complete line was read.",
                source=source,
                count=1,
            )
        )
    if failed:
        findings.append(
            finding(
                "corrupt-record",
                f"{len(failed)} lines are not JSON objects ({lines_text(failed)}); they were skipped.",
                source=source,
                count=len(failed),
            )
        )
    return objects, numbers, findings


def _loads_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def read_records(records: Sequence[dict], lines: Sequence[int], source: str, step_key: str | None = None) -> RunRead:
    """Flatten records (nested keys joined with ``/``) and melt them on ``step_key`` (found by name
    when None; the record number when there is none, with a finding)."""
    return read_table(records_table(flat_records(records), lines), source, step_key)


def read_table(table: Table, source: str, step_key: str | None = None) -> RunRead:
    """The points of a table of flat records (see ``read_records``)."""
    layout, findings = records_layout(Tally.of(table), source, step_key)
    if layout is None:
        return RunRead(findings=findings)
    frame, more = melt(table, source, layout)
    return RunRead(frame, findings + more)


def records_layout(tally: Tally, source: str, step_key: str | None = None) -> tuple[Layout | None, list[Finding]]:
    """How records become points, their step being ``step_key`` (found by name when None; the
    record number when there is none, with a finding); None when they become none."""
    step = step_key if step_key in tally.columns else find_step_column(tally.columns)
    if step is not None:
        return tally.layout(step), []
    if not any(looks_like_metric(name) for name in tally.columns):
        return None, [
            finding(
                "ignored-file",
                f"No step and no metric-like key (found: {', '.join(tally.columns[:20])}).",
                source=source,
            )
        ]
    return tally.layout(None), [
        finding(
            "no-step-column",
            "No step-like key; the record number (from 0) is the step.",
            source=source,
        )
    ]


def load_json(path: Path) -> tuple[Any, list[Finding]]:
    """A whole JSON document; an unreadable, empty or broken file is a finding, never an exception."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [finding("unreadable-file", f"The file could not be read: {exc.strerror or exc}.", source=source)]
    if not data.strip():
        return None, [finding("empty-file", "The file is empty.", source=source)]
    try:
        return json.loads(data), []
    except (ValueError, RecursionError) as exc:
        return None, [finding("unreadable-file", f"The file is not valid JSON: {exc}.", source=source)]


class TrainerStateReader:
    """Hugging Face ``Trainer``'s ``trainer_state.json``: its ``log_history``.

    Every key of a log entry is a tag as logged (``loss``, ``learning_rate``, ``grad_norm``,
    ``epoch``, ``eval_loss`` ...) at the entry's ``step``. The final summary entry
    (``train_runtime``, ``train_loss``, ``total_flos`` ...) is not a curve point: its
    ``train_loss`` is the mean over all of training, and as a one-point ``train_loss`` tag it
    would outrank the real ``loss`` curve. It goes to hparams as ``summary/<key>``, with the
    state's own settings (``train_batch_size``, ``max_steps``, ``trial_params`` ...).

    The Trainer writes a state into every ``checkpoint-N/`` and usually one beside them; they
    all belong to the output directory's run. Each older state is a prefix of the newest, so
    the one with the largest ``global_step`` (the top-level file on a tie) is read and the
    others are reported as superseded.
    """

    name: ClassVar[str] = "trainer_state"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "Hugging Face `trainer_state.json`",
        "file name and `log_history`",
        "the output directory (`checkpoint-N/` belongs to it; the most complete state is read)",
    )

    def sniff(self, path: Path) -> bool:
        return path.name == "trainer_state.json"

    def run_path(self, path: Path) -> Path:
        parent = path.parent
        return parent.parent if _CHECKPOINT_DIR.fullmatch(parent.name) else parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        findings: list[Finding] = []
        states: list[tuple[tuple[float, bool], Path, dict]] = []
        for path in files:
            state, problems = load_json(path)
            findings += problems
            if state is None:
                continue
            if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
                findings.append(finding("unreadable-file", "The file has no 'log_history' list.", source=str(path)))
                continue
            global_step = _number(state.get("global_step"))
            rank = (global_step if global_step is not None else -math.inf, path.parent == run_path)
            states.append((rank, path, state))
        if not states:
            return RunRead(findings=findings)
        states.sort(key=lambda item: item[0])
        _, path, state = states[-1]
        if len(states) > 1:
            older = [str(item[1].parent.name) for item in states[:-1]]
            findings.append(
                finding(
                    "ignored-file",
                    f"{len(older)} older trainer_state.json ({', '.join(older)}) were not read: "
                    f"each is a prefix of {path.parent.name}/{path.name}, which was read.",
                    source=str(run_path),
                    count=len(older),
                )
            )
        return self._read_state(path, state, findings)

    @staticmethod
    def _read_state(path: Path, state: dict, findings: list[Finding]) -> RunRead:
        entries = [entry for entry in state["log_history"] if isinstance(entry, dict)]
        points = [entry for entry in entries if _SUMMARY_KEYS.isdisjoint(entry)]
        summaries = [entry for entry in entries if not _SUMMARY_KEYS.isdisjoint(entry)]
        if len(entries) < len(state["log_history"]):
            count = len(state["log_history"]) - len(entries)
            findings.append(
                finding(
                    "unsupported-value",
                    f"{count} log_history entries are not objects; they were skipped.",
                    source=str(path),
                    count=count,
                )
            )
        result = read_records(points, list(range(1, len(points) + 1)), str(path), step_key="step")
        hparams = {
            key: value
            for key, value in state.items()
            if key not in {"log_history", "trial_params"} and not isinstance(value, (dict, list))
        }
        if isinstance(state.get("trial_params"), dict):
            hparams.update({f"trial_params/{key}": value for key, value in flatten(state["trial_params"]).items()})
        for summary in summaries:
            hparams.update({f"summary/{key}": value for key, value in summary.items() if key != "step"})
        return RunRead(result.scalars, findings + result.findings, hparams)


class JSONLinesReader:
    """JSON-lines logs: one object per line, with a step-like key or metric-like keys. Nested
    dicts are flattened with ``/``; lines that fail to parse are counted and skipped.

    Recognised by name (``*.jsonl``, ``*.ndjson``, or ``*.json`` whose first line is a whole
    object) or, whatever the name, by content: the first few lines are JSON objects and one of
    them holds a number under a step-like key and another number beside it (the ``log.txt`` of
    DETR, DeiT, MAE, ConvNeXt or Swin; detectron2's ``metrics.json``)."""

    name: ClassVar[str] = "jsonl"
    per_file: ClassVar[bool] = True
    row: ClassVar[FormatRow] = FormatRow(
        "JSON lines: DETR / DeiT / MAE / ConvNeXt / Swin `log.txt`, detectron2 `metrics.json`, any `*.jsonl`",
        "one object per line with a step-like key; whatever the file's name, first lines that are JSON objects with a "
        "number under a step-like key (`epoch`, `iteration`, `step` ...)",
        "the directory, or the file",
    )

    def sniff(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        named = suffix in _LINES_SUFFIXES
        if named and suffix != ".json" and is_empty(path):
            return True
        if not first_line(path).startswith("{"):
            return False
        lines, cut = head_lines(path, _SNIFF_RECORDS)
        if cut:
            # a first line longer than the sniffed bytes: look for a step key along the whole line
            return suffix != ".json" and first_line_holds(path, _STEP_KEY)
        records = [_loads_or_none(line) for line in lines]
        if len(records) > 1 and records[-1] is None and lines[-1].startswith("{"):
            records.pop()  # a half-written last record (a job killed, or still writing): the reader reports it
        if named and records and isinstance(records[0], dict) and _names_a_log(flatten(records[0])):
            return True
        if not records or not all(isinstance(record, dict) for record in records):
            return False
        return any(_steps_a_number(flatten(record)) for record in records)

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        return read_each(self._read_file, files)

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        return resume_each(self._resume_file, files, earlier)

    @staticmethod
    def _flat(records: Sequence[dict]) -> list[dict[str, Any]]:
        """Records as one level of keys each (see ``flat_records``)."""
        return flat_records(records)

    @classmethod
    def _read_file(cls, path: Path) -> RunRead:
        data, findings = _lines_bytes(path)
        if data is None:
            return RunRead(findings=findings)
        return cls._read_lines(path, data)

    @classmethod
    def _resume_file(cls, path: Path, mark: Mark, state: LinesProgress, points: pd.DataFrame) -> RunRead | None:
        """The file read on after ``mark``: only the lines written since are parsed."""
        data = mark.read_on()
        return None if data is None else cls._read_lines(path, data, mark.offset, state, points)

    @classmethod
    def _read_lines(
        cls, path: Path, data: bytes, start: int = 0, earlier: LinesProgress | None = None, points: pd.DataFrame | None = None
    ) -> RunRead | None:
        """The file's points, ``data`` being its bytes from byte ``start`` on (see ``read_lines``)."""
        records, lines, findings = json_lines(data, str(path), earlier.lines if earlier else 0)
        table = records_table(cls._flat(records), lines)
        return read_lines(
            path, data, table, findings, partial(_lines_layout, source=str(path)), start=start, earlier=earlier, points=points
        )


def _names_a_log(record: dict[str, Any]) -> bool:
    """Whether a record has a step-like or a metric-like key."""
    return any(normalised(key) in STEP_COLUMNS or looks_like_metric(key) for key in record)


def _steps_a_number(record: dict[str, Any]) -> bool:
    """Whether a record holds a number under a step-like key and another number beside it."""
    numbers = [key for key, value in record.items() if _number(value) is not None]
    return any(normalised(key) in STEP_COLUMNS for key in numbers) and len(numbers) > 1


def _lines_layout(tally: Tally, *, source: str) -> tuple[Layout | None, list[Finding]]:
    """A JSON-lines file's layout: no points, and nothing to say, when it holds no record."""
    return records_layout(tally, source) if tally.rows else (None, [])


class WandbHistoryReader(JSONLinesReader):
    """W&B's ``wandb-history.jsonl``: one object per ``wandb.log`` call, kept in a run's folder by
    wandb before 0.10 (``wandb/run-<time>-<id>/``) and by exports of a run's history. The step is
    ``_step``, the wall time ``_timestamp``; ``_runtime`` (seconds since the start) is not a curve,
    nor is a logged media object (an image, a video, a table: a dict with a ``_type``). Beside it,
    ``config.yaml`` holds the hyperparameters (each under ``value``) and ``wandb-summary.json`` the
    last value of each key, kept as ``summary/…`` hyperparameters."""

    name: ClassVar[str] = "wandb"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "W&B `wandb-history.jsonl` (+ `config.yaml`, `wandb-summary.json`; wandb before 0.10, history exports)",
        "file name; `_step` is the step, `_timestamp` the wall time",
        "the directory; `config.yaml` becomes hyperparameters",
    )

    def sniff(self, path: Path) -> bool:
        if path.name in _WANDB_COMPANIONS:
            return (path.parent / _WANDB_HISTORY).is_file()
        return path.name == _WANDB_HISTORY

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        return self._with_hparams(super().read(run_path, self._history(files)), files)

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        result = super().resume(run_path, self._history(files), earlier)
        return None if result is None else self._with_hparams(result, files)

    @staticmethod
    def _history(files: Sequence[Path]) -> list[Path]:
        return [path for path in files if path.name == _WANDB_HISTORY]

    @staticmethod
    def _with_hparams(result: RunRead, files: Sequence[Path]) -> RunRead:
        for path in files:
            if path.name == "config.yaml":
                config, findings = read_yaml_hparams(path)
                result.hparams.update(_wandb_config(config))
            elif path.name == "wandb-summary.json":
                summary, findings = load_json(path)
                if isinstance(summary, dict):
                    flat = flatten(_without_media(summary))
                    result.hparams.update({f"summary/{key}": value for key, value in flat.items() if not key.startswith("_")})
            else:
                continue
            result.findings.extend(findings)
        return result

    @staticmethod
    def _flat(records: Sequence[dict]) -> list[dict[str, Any]]:
        return flat_records([_without_media(record) for record in records])


def _without_media(record: dict) -> dict:
    """A W&B record without its logged media objects (a dict with a ``_type``)."""
    return {key: value for key, value in record.items() if not (isinstance(value, dict) and "_type" in value)}


_WANDB_HISTORY = "wandb-history.jsonl"
_WANDB_COMPANIONS = frozenset({"config.yaml", "wandb-summary.json"})


def _wandb_config(flat: dict[str, Any]) -> dict[str, Any]:
    """W&B's ``config.yaml`` (each key's ``desc`` and ``value``, read flat as ``key/value``) as the
    hyperparameters it holds: each key's value, without W&B's own (``wandb_version``, ``_wandb``)."""
    config = {}
    for key, value in flat.items():
        name, _, rest = key.partition("/")
        if not name.startswith("_") and (rest == "value" or rest.startswith("value/")):
            config["/".join([name, *rest.split("/")[1:]])] = value
    return config
