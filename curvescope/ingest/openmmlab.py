"""OpenMMLab logs (mmdetection, mmpretrain, mmsegmentation ...): mmcv's ``*.log.json`` and mmengine's ``vis_data/*.json``.

Both are JSON lines with training and validation records mixed, told apart differently:

- mmcv (``work_dir/<timestamp>.log.json``, one file per launch): each record names its ``mode``
  (``train`` or ``val``), ``epoch`` and ``iter``. In an epoch-based run ``iter`` counts within the
  epoch, and a validation record's ``iter`` is the length of a data loader. The first line of
  older versions is the environment and the seed, with no mode: hyperparameters, not points.
- mmengine (``work_dir/<timestamp>/vis_data/scalars.json``, or ``<timestamp>.json`` beside it): a
  training record holds ``step``, the iteration, beside the learning rate and the ``epoch`` (or
  ``iter``); a validation record holds only its metrics, times and ``step``: the epoch in an
  epoch-based run, the iteration otherwise.

Every point's step is the training iteration: within-epoch iterations are counted on from the
epochs before (each epoch as long as its last logged iteration, so later epochs start up to one
logging interval early), and a validation record sits at the last logged iteration before it.
Tags are the keys under their mode, ``train/loss`` and ``val/bbox_mAP``, so that the two never mix.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..findings import finding
from .base import FormatRow, RunRead
from .jsonlogs import parse_json_lines, read_records
from .tables import flatten, head_lines, joined

_SNIFF_RECORDS = 5
_SCALARS = "scalars.json"
_STEP_KEYS = frozenset({"mode", "epoch", "iter", "step"})
_TRAIN_KEYS = frozenset({"epoch", "iter", "lr"})
"""Keys only an mmengine training record holds."""
_SHORT_TEXT = 200


class OpenMMLabReader:
    """mmcv's ``*.log.json`` and mmengine's ``vis_data/*.json``, training and validation as separate tags."""

    name: ClassVar[str] = "openmmlab"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "OpenMMLab (mmdetection, mmpretrain, mmsegmentation …): mmcv `*.log.json`, mmengine `vis_data/scalars.json`",
        "file name, and records with a `mode` (mmcv) or a `step` (mmengine)",
        "the work directory (mmcv: one `.log.json` per launch, in order), or mmengine's `<timestamp>/` launch directory; "
        "tags `train/…` and `val/…`",
    )

    def sniff(self, path: Path) -> bool:
        if path.name.endswith(".log.json"):
            return any("mode" in record for record in _head_records(path))
        if path.parent.name == "vis_data" and path.suffix == ".json":
            return any("step" in record for record in _head_records(path))
        return False

    def run_path(self, path: Path) -> Path:
        return path.parent.parent if path.parent.name == "vis_data" else path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        """The run's files in name order (mmcv names each launch's log by its start time), the
        iterations counted on from one file to the next, as a resumed run goes on. mmengine writes
        each record to ``vis_data/<timestamp>.json`` and to ``scalars.json`` beside it: where both
        are, ``scalars.json`` (which also holds what was logged without the logger hook) is read."""
        copies = [path for path in files if path.name != _SCALARS and (path.parent / _SCALARS) in files]
        iteration = _Iteration()
        result = joined([_read_file(path, iteration) for path in files if path not in copies])
        result.findings.extend(
            finding("ignored-file", f"Not read: {_SCALARS} beside it, which was read, holds the same records.", source=str(path))
            for path in copies
        )
        return result


def _head_records(path: Path) -> list[dict]:
    records = []
    for line in head_lines(path, _SNIFF_RECORDS)[0]:
        try:
            records.append(json.loads(line))
        except (ValueError, RecursionError):
            continue
    return [record for record in records if isinstance(record, dict)]


def _read_file(path: Path, iteration: _Iteration) -> RunRead:
    records, lines, findings = parse_json_lines(path)
    points, point_lines, hparams = _points(records, lines, iteration)
    result = read_records(points, point_lines, str(path), step_key="step")
    return RunRead(result.scalars, findings + result.findings, hparams)


def _points(records: Sequence[dict], lines: Sequence[int], iteration: _Iteration) -> tuple[list[dict], list[int], dict[str, Any]]:
    """Each training or validation record as ``{"step": iteration, "<mode>/<key>": value ...}``, the
    line of each, and the hyperparameters of records that are neither (mmcv's first line)."""
    points: list[dict] = []
    kept: list[int] = []
    hparams: dict[str, Any] = {}
    for record, line in zip(records, lines):
        mode = _mode(record)
        if mode is None:
            hparams.update(_settings(record))
            continue
        step = iteration.train(record) if mode == "train" else iteration.after(record)
        skipped = _STEP_KEYS if mode == "train" else _STEP_KEYS | {"lr"}  # mmcv copies the learning rate into val records
        point = {f"{mode}/{key}": value for key, value in flatten(record).items() if key not in skipped}
        points.append({"step": step, **point})
        kept.append(line)
    return points, kept, hparams


def _mode(record: dict) -> str | None:
    """``train``, ``val`` (or another mode mmcv names), or None for a record of neither."""
    if isinstance(record.get("mode"), str):
        return record["mode"]
    if "step" in record:
        return "train" if _TRAIN_KEYS & record.keys() else "val"
    return None


class _Iteration:
    """The training iteration a record was written at: mmcv's within-epoch ``iter`` counted on from
    the epochs before, mmengine's ``step`` as it is; a validation record at the last
    logged training iteration before it (or its own ``step``, when later: an iteration-based mmengine run)."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.epoch: float | None = None
        self.before_epoch = 0.0
        self.in_epoch = 0.0

    def train(self, record: dict) -> float | None:
        inner, epoch = _number(record.get("iter", record.get("step"))), _number(record.get("epoch"))
        if inner is None:
            return None
        if epoch is not None and self.epoch is not None and epoch > self.epoch and inner <= self.in_epoch:
            self.before_epoch += self.in_epoch
        if epoch is not None:
            self.epoch = epoch
        self.in_epoch = inner
        self.last = self.before_epoch + inner
        return self.last

    def after(self, record: dict) -> float | None:
        own = _number(record.get("step")) if "iter" not in record else None
        if self.last is None or (own is not None and own > self.last):
            return own
        return self.last


def _settings(record: dict) -> dict[str, Any]:
    """A header record's numbers, flags and short texts (the seed, the experiment's name), not its
    long texts (the environment, the whole config)."""
    return {
        key: value
        for key, value in flatten(record).items()
        if isinstance(value, (int, float, bool)) or (isinstance(value, str) and len(value) <= _SHORT_TEXT)
    }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
