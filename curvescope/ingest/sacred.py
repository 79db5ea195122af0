"""Sacred's ``FileStorageObserver`` runs: ``<observer dir>/<run id>/`` with ``metrics.json``, ``config.json``, ``run.json``.

``metrics.json`` is one JSON document, rewritten as the run goes: per metric name (``log_scalar``'s
first argument, ``training.loss``), the lists ``steps``, ``values`` and ``timestamps`` (ISO times in
UTC), one entry per logged point. ``config.json`` holds the run's configuration: its hyperparameters.
A run that failed before it logged anything leaves ``{}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..findings import Finding, finding
from .base import FormatRow, RunRead
from .jsonlogs import load_json, read_records
from .tables import flatten

_FIELDS = ("steps", "values", "timestamps")


class SacredReader:
    """A Sacred run directory: each metric of ``metrics.json`` a curve, ``config.json`` the hyperparameters."""

    name: ClassVar[str] = "sacred"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "Sacred `FileStorageObserver` run",
        "`metrics.json` beside the run's `run.json`",
        "the run directory (`<observer dir>/<run id>/`); `config.json` becomes hyperparameters",
    )

    def sniff(self, path: Path) -> bool:
        if path.name == "config.json":
            return self.sniff(path.parent / "metrics.json") and (path.parent / "metrics.json").is_file()
        return path.name == "metrics.json" and (path.parent / "run.json").is_file()

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        result = RunRead()
        for path in files:
            document, findings = load_json(path)
            if path.name == "metrics.json" and document is not None:
                points = _read_metrics(document, str(path))
                result.scalars, findings = points.scalars, findings + points.findings
            elif isinstance(document, dict):
                result.hparams.update(flatten(document))
            result.findings.extend(findings)
        return result


def _read_metrics(document: Any, source: str) -> RunRead:
    if not isinstance(document, dict):
        return RunRead(findings=[finding("unreadable-file", "metrics.json holds no object of metrics.", source=source)])
    if not document:
        return RunRead(findings=[finding("empty-file", "The run logged no metric (metrics.json is {}).", source=source)])
    records: list[dict] = []
    findings: list[Finding] = []
    for name, series in document.items():
        points, problem = _points(str(name), series)
        records.extend(points)
        if problem:
            findings.append(finding("unsupported-value", f"Metric {name!r}: {problem}", source=source))
    result = read_records(records, list(range(1, len(records) + 1)), source, step_key="step")
    return RunRead(result.scalars, findings + result.findings)


def _points(name: str, series: Any) -> tuple[list[dict], str | None]:
    """One metric's points as records ``{"step", "wall_time", name}``, and what was wrong with it, if anything."""
    if not isinstance(series, dict) or not all(isinstance(series.get(field), list) for field in _FIELDS[:2]):
        return [], "it has no lists of steps and values; it was left out."
    steps, values = series["steps"], series["values"]
    times = series.get("timestamps") if isinstance(series.get("timestamps"), list) else []
    seconds = _seconds(times) if len(times) == len(values) else [None] * len(values)
    count = min(len(steps), len(values))
    points = [{"step": steps[k], "wall_time": seconds[k], name: values[k]} for k in range(count)]
    if len(steps) != len(values):
        return points, f"{len(steps)} steps but {len(values)} values; the first {count} of each were read."
    return points, None


def _seconds(times: list) -> list[float | None]:
    """ISO times (Sacred writes UTC without a zone) as seconds since the epoch; None where unreadable."""
    parsed = pd.to_datetime(pd.Series(times, dtype=object), errors="coerce", utc=True, format="ISO8601")
    return [None if pd.isna(moment) else moment.timestamp() for moment in parsed]
