"""MLflow's local file store: ``mlruns/<experiment_id>/<run_id>/``.

A run directory holds ``meta.yaml``, ``metrics/<key>`` (a key with ``/`` is a nested path),
``params/<key>`` and ``tags/<key>`` (the file's text is the value). Each metric line is
``<timestamp ms> <value> <step>``; lines written before MLflow had steps have two fields,
and MLflow reads their step as 0, as this reader does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..findings import Finding, finding
from ..schema import reader_frame
from .base import FormatRow, RunRead
from .tables import Table, concat_frames, lines_text, read_csv_text, valid_steps

_RUN_FOLDERS = frozenset({"metrics", "params", "tags", "inputs", "outputs"})
"""Folders of a run directory holding run data (``artifacts/`` holds user files, left to other readers)."""
_METRIC_FIELDS = ("timestamp", "value", "step")
_RUN_NAME_TAG = "mlflow.runName"


def _is_run_dir(directory: Path) -> bool:
    """Whether ``directory`` has a run's ``meta.yaml`` (one naming a ``run_id``/``run_uuid``)."""
    try:
        with open(directory / "meta.yaml", "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return b"run_uuid:" in head or b"run_id:" in head


def _run_dir(path: Path) -> Path | None:
    """The run directory ``path`` belongs to, or None."""
    if path.name == "meta.yaml":
        return path.parent if _is_run_dir(path.parent) else None
    parts = path.parts
    for depth in range(len(parts) - 2, -1, -1):  # names are checked before any folder is looked at
        if parts[depth] in _RUN_FOLDERS and _is_run_dir(run := Path(*parts[:depth])):
            return run
    return None


class MLflowReader:
    """An MLflow file-store run: metrics as curves, params (strings, as MLflow stores them) and the
    ``mlflow.runName`` tag as hparams."""

    name: ClassVar[str] = "mlflow"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "MLflow file store",
        "`mlruns/<experiment>/<run>/metrics/<key>`",
        "the MLflow run directory; params become hyperparameters",
    )

    def sniff(self, path: Path) -> bool:
        try:
            return _run_dir(path) is not None
        except (OSError, ValueError):
            return False

    def run_path(self, path: Path) -> Path:
        return _run_dir(path) or path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        frames, findings, hparams = [], [], {}
        for path in files:
            folder = _folder(run_path, path)
            key = path.relative_to(run_path / folder).as_posix() if folder else ""
            if folder == "metrics":
                frame, problems = _read_metric(path, key)
                frames.append(frame)
                findings += problems
            elif folder == "params" or (folder == "tags" and key == _RUN_NAME_TAG):
                try:
                    hparams[key] = path.read_text(encoding="utf-8", errors="replace")
                except OSError as exc:
                    problem = f"The file could not be read: {exc.strerror or exc}."
                    findings.append(finding("unreadable-file", problem, source=str(path)))
        frames = [frame for frame in frames if len(frame)]
        return RunRead(concat_frames(frames), findings, hparams) if frames else RunRead(findings=findings, hparams=hparams)


def _folder(run_path: Path, path: Path) -> str | None:
    try:
        parts = path.relative_to(run_path).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else None


def _read_metric(path: Path, key: str) -> tuple[pd.DataFrame, list[Finding]]:
    """One metric file as reader rows (wall_time in seconds), and its problems."""
    source = str(path)
    cells, lines, findings = read_csv_text(path, sep=" ", names=_METRIC_FIELDS)
    if cells is None or cells.empty:  # MLflow writes a metric's file with its first value: an empty one lost them
        empty = [finding("empty-file", "The metric file is empty.", source=source)]
        return reader_frame([], [], [], [], source), findings or empty
    table = Table.from_text(cells, list(_METRIC_FIELDS), lines)
    step_written = table.written[:, 2]
    steps = np.where(step_written, table.values[:, 2], 0.0)
    has_step = ~step_written | (table.numeric[:, 2] & valid_steps(steps))
    has_value = table.numeric[:, 1]
    blank = ~table.written.any(axis=1)
    bad = ~blank & ~(has_step & has_value)
    problems: list[Finding] = []
    if bad.any():
        problems.append(
            finding(
                "unparseable-cells",
                f"{int(bad.sum())} lines of metric {key!r} are not '<timestamp> <value> <step>' "
                f"({lines_text(lines[bad])}); they were left out.",
                source=source,
                count=int(bad.sum()),
            )
        )
    keep = has_step & has_value
    wall_times = np.where(table.numeric[:, 0], table.values[:, 0] / 1000.0, np.nan)
    frame = reader_frame(key, steps[keep], wall_times[keep], table.values[keep, 1], source)
    return frame, findings + problems
