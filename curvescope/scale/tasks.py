"""One task of an audit: a few runs' files in, their reports out.

An audit cuts the runs it discovered into tasks of a few runs each. ``run_task`` reads a
task's files (through the cache), measures and diagnoses its runs and returns plain data:
each run's ``RunReport`` without its curves (they are read again on demand, see
``curve_store``), the reading findings and the seconds spent per stage. The same function
runs in the calling process, in worker processes and on cluster workers, so every backend
gives the same report.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..assemble.curve_store import read_cached
from ..assemble.read import ReadResult
from ..diagnose import LearnedModel, diagnose
from ..diagnose.diagnosis import RunDiagnosis
from ..diagnose.engine import measured_findings, with_kinds
from ..diagnose.registry import Rule
from ..features.extract import measure
from ..findings import Finding, Severity
from ..ingest.discover import RunSource, relative_name
from ..report import RunReport, key_numbers
from ..report.sweeps import sweep_numbers
from .cache import CacheLocation
from .remote import Origin

STAGES = ("reading", "features", "diagnosis")
"""What the time of a run is spent on, as ``TaskResult.seconds`` and ``Report.seconds`` split it."""


@dataclass(frozen=True)
class Settings:
    """What every task of one audit shares: sent once to each worker, not with every task."""

    rules: tuple[Rule, ...]
    model: LearnedModel | None
    classes: int | Mapping[str, int] | None = None
    overrides: tuple[tuple[str, tuple[str, ...]], ...] = ()
    strict: bool = False
    cache: CacheLocation | None = None


@dataclass(frozen=True)
class SourceNames:
    """How a file is named in the report: relative to the folder audited, under its ``prefix``
    when several folders are audited together."""

    base: str
    prefix: str | None = None

    def __call__(self, name: str | None) -> str | None:
        return None if name is None else _named(self, name)

    def prefixed(self, name: str | None) -> str | None:
        """A run or file name under the prefix (the prefix itself for the folder audited)."""
        if name is None or self.prefix is None:
            return name
        return f"{self.prefix}/{name}" if name else self.prefix


@functools.lru_cache(maxsize=4096)
def _named(names: SourceNames, name: str) -> str | None:
    """A file's reported name: asked for once per block of rows and per finding, so kept."""
    return names.prefixed(relative_name(Path(name), Path(names.base)))


@dataclass(frozen=True)
class Task:
    """Every source of a few runs (a run's sources never straddle two tasks); ``origin`` is the URL
    its files were mirrored from, for a worker that does not see the mirror."""

    sources: tuple[RunSource, ...]
    names: SourceNames
    origin: Origin | None = None

    def readable(self) -> Task:
        """This task, or, when its mirrored files are not on this machine, the same runs fetched here."""
        files = [file for source in self.sources for file in source.files]
        if self.origin is None or all(file.exists() for file in files):
            return self
        mirror = Path(self.origin.mirror)
        root = self.origin.fetch(files)
        was, now = (mirror.parent, root.parent) if mirror in files else (mirror, root)  # a URL of one file, or a folder

        def moved(path: Path) -> Path:
            return now / path.relative_to(was)

        sources = tuple(replace(s, path=moved(s.path), files=tuple(moved(f) for f in s.files)) for s in self.sources)
        return Task(sources, replace(self.names, base=str(moved(Path(self.names.base)))))


@dataclass
class TaskResult:
    runs: list[RunReport]
    findings: list[Finding]
    seconds: dict[str, float] = field(default_factory=dict)
    planned: tuple[str, ...] = ()
    """The runs the task was given (as discovered; a run with sub-runs reports each)."""


def run_task(task: Task, settings: Settings | None = None) -> TaskResult:
    """Read, measure and diagnose the runs of ``task`` (``settings``: those the worker was started with)."""
    settings = settings or _WORKER_SETTINGS
    started = time.perf_counter()
    readable = task.readable()
    reading = read_cached(readable.sources, readable.names, settings.overrides, settings.cache)
    seconds = {"reading": time.perf_counter() - started}
    runs, judged = judge(reading, settings, curves_of=lambda run: {})  # the audit locates curves, see curve_store
    seconds.update(judged)
    return TaskResult(runs, list(reading.findings), seconds, tuple(sorted({source.run for source in task.sources})))


def judge(reading: ReadResult, settings: Settings, *, curves_of=None) -> tuple[list[RunReport], dict[str, float]]:
    """Measure and diagnose every run read: each run's report, and the seconds per stage.

    ``curves_of(run)`` gives what a report keeps as the run's curves; by default, the curves."""
    started = time.perf_counter()
    runs = measure(reading, classes=settings.classes)
    measured = time.perf_counter()
    runs = with_kinds(runs, reading.kinds)
    diagnosed = diagnose(runs.values(), settings.rules, settings.model, strict=settings.strict)
    by_run: dict[str, list[Finding]] = {}
    for item in (*reading.findings, *measured_findings(list(runs.values()), reading.kinds)):
        by_run.setdefault(item.run or "", []).append(item)
    diagnosed = [d if runs[d.run].curves else _unread(d, by_run.get(d.run, ())) for d in diagnosed]
    reports = [
        RunReport(
            d.run,
            d,
            key_numbers(run.curves, run.events),
            dict(run.values),
            run.events,
            tuple(by_run.get(d.run, ())),
            reading.formats.get(d.run, ()),
            dict(reading.hparams.get(d.run, {})),
            dict(run.curves) if curves_of is None else curves_of(d.run),
            sweep_numbers(run.curves),
        )
        for d, run in zip(diagnosed, runs.values(), strict=True)
    ]
    return reports, {"features": measured - started, "diagnosis": time.perf_counter() - measured}


def _unread(diagnosis: RunDiagnosis, findings: Sequence[Finding]) -> RunDiagnosis:
    """A run of which no curve was read: every label not judged, because of what reading met."""
    if diagnosis.labels:
        return diagnosis
    if not findings:
        return diagnosis
    worst = max(findings, key=lambda f: list(Severity).index(f.severity))
    why = f"no curve could be read from its files ({worst.code} {worst.name}: {worst.message})"
    return replace(diagnosis, not_judged={label: f"{label} cannot be judged: {why}" for label in diagnosis.not_judged})


_WORKER_SETTINGS: Any = None


def start_worker(settings: Settings) -> None:
    """Keep an audit's settings in a worker process, for every task it is given."""
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings
