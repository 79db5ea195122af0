"""``curvescope.audit``: the one code path from logs to a report, used by the API, the CLI and the app.

A folder is audited as a stream: discovery lists its runs, each run whose files are unchanged
since the last audit takes its report from the cache, and the others go in tasks of a few runs
to a backend (this process, worker processes or a Dask cluster), so memory holds a few tasks'
scalars at a time, whatever the number of runs.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Integral
from pathlib import Path

import pandas as pd

from .assemble.curve_store import RunLocator, StoredCurves
from .assemble.read import ReadResult, cache_key, read_frame
from .assemble.roles import RoleOverrides, check_overrides
from .diagnose import LearnedModel
from .diagnose import select as select_rules
from .errors import InvalidParameterError
from .findings import Finding
from .ingest import readers
from .ingest.discover import RunSource, discover_runs
from .model_choice import ModelChoice, choose
from .params import NONE, InstanceOf, Interval, MappingOf, Options, validate_params
from .report import Report, RunReport
from .scale import backends
from .scale.cache import Cache, CacheLocation, default_folder, identities, settled
from .scale.remote import Origin, is_url, local_root, run_prefix
from .scale.tasks import STAGES, Settings, SourceNames, Task, TaskResult, judge
from .version import __version__, code_identity

Source = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | pd.DataFrame | ReadResult
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stages ``reading`` (finding the runs) and ``auditing`` (runs done)."""
Audited = Callable[[Report, int, int], None]
"""``audited(report, done, total)``: the report of the runs audited so far (those from the cache at once, then
task by task), with the findings known so far, after ``done`` of the ``total`` runs found; when ``done`` is
``total``, it is the report ``audit`` returns."""

_TASK_RUNS = 128  # runs per task, at most: the learned model predicts a task at once
_FIRST_TASK_RUNS = 4  # runs of the first task, each next one twice as many: the first runs are reported soon
_TASK_BYTES = 32 * 2**20  # bytes of log files per task, at most
_TASKS_PER_WORKER = 4  # tasks per worker at least, when the folder allows


_CLASS_COUNT = Interval(Integral, 2, None)
PARAMETERS = {
    "classes": [NONE, _CLASS_COUNT, MappingOf(_CLASS_COUNT)],
    "jobs": [NONE, Interval(Integral, 1, None), Options((-1,))],
    "strict": [InstanceOf((bool,), "True or False")],
}
"""What ``audit`` (and ``watch``, which audits) accept, beyond what the code checks itself."""


@validate_params(PARAMETERS)
def audit(
    source: Source,
    *,
    roles: RoleOverrides | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    classes: int | Mapping[str, int] | None = None,
    model: bool | str | os.PathLike[str] | LearnedModel = True,
    jobs: int | None = None,
    scheduler=None,
    cache: bool | str | os.PathLike[str] = True,
    strict: bool = False,
    progress: Progress | None = None,
    audited: Audited | None = None,
) -> Report:
    """Read every run below ``source``, measure it, diagnose it and report.

    ``source`` is a log directory or file, a list of them (runs are then named by the path they
    were found under), a tidy frame (columns ``run, tag, step, value``) or a ``ReadResult``.
    ``select`` / ``ignore`` pick rules by code prefix (``["CS2", "CS401"]``).
    ``classes`` is the number of classes (or a mapping of run name to it), for the first-loss
    check: without it, it is inferred from a first accuracy at chance level, when there is one.
    ``model`` is ``True`` for the learned model that ships with curvescope, ``False`` for the
    rules alone, or a path to (or an instance of) a model trained with ``curvescope train``.
    ``jobs`` audits runs in that many processes (``-1``: one per core), never more than the cores
    nor the runs to audit (``report.workers`` says how many were used); ``scheduler`` audits them
    on a Dask cluster instead (its address, ``"tcp://host:8786"``, or a ``distributed.Client``).
    ``cache`` keeps each run's scalars and report between audits: ``True`` in the user's cache
    folder (or ``$CURVESCOPE_CACHE_DIR``), a folder of your choice, or ``False`` for none.
    ``strict`` re-raises a rule's error instead of reporting it as a rule failure. ``progress``
    is told how far it got; ``audited`` is given the report as it grows, to show runs before the last is
    audited (an audit of a frame gives it once, whole).

    >>> report = curvescope.audit("fixtures/demo")              # doctest: +SKIP
    >>> report.to_frame()[["run", "labels", "confidence"]]      # doctest: +SKIP
    >>> report["keras/wine-mlp-tanh-sgd"].diagnosis.verdicts[0].evidence   # doctest: +SKIP
    >>> report.to_html("audit.html")                            # doctest: +SKIP
    """
    _check(jobs, scheduler)
    tell = progress or (lambda stage, done, total: None)
    overrides = check_overrides(roles)
    rules = tuple(select_rules(select, ignore))
    location, cache_findings = _cache_location(cache)
    store = location.open() if location is not None else None
    try:
        chosen = choose(model, store)
        settings = Settings(rules, None, classes, tuple(sorted((overrides or {}).items())), strict, location)
        summary = {
            "curvescope": __version__,
            "rules": [rule.code for rule in rules],
            "parameters": {rule.code: rule.get_params() for rule in rules},
            "model": chosen.name,
            "classes": dict(classes) if isinstance(classes, Mapping) else classes,
        }
        if isinstance(source, pd.DataFrame | ReadResult):
            reading = source if isinstance(source, ReadResult) else read_frame(source, roles=roles)
            runs, seconds = judge(reading, replace(settings, model=chosen.get()))
            report = Report(
                tuple(runs),
                (*cache_findings, *chosen.findings, *reading.findings),
                summary,
                reading,
                seconds={"reading": 0.0, **seconds},
            )
            if audited is not None:
                audited(report, len(runs), len(runs))
            return report
        tell("reading", 0, 0)
        plan = _plan(_paths(source), location)
        key = _settings_key(settings, chosen.identity) if store is not None else None
        known = (*cache_findings, *chosen.findings, *plan.findings)

        def gathered(results: list[TaskResult], workers: int) -> Report:
            return _gathered(results, known, summary, 1 if scheduler is not None else workers)

        def grown(results: list[TaskResult], workers: int) -> None:
            if audited is not None:
                done = sum(len(result.planned) for result in results)
                audited(gathered(results, workers), done, len(plan.groups))

        results, workers = _audit_runs(plan, settings, chosen, store, key, jobs=jobs, scheduler=scheduler, tell=tell, grown=grown)
        return gathered(results, workers)
    finally:
        if store is not None:
            store.close()


def load_model(model: bool | str | os.PathLike[str] | LearnedModel = True, cache: bool | str | os.PathLike[str] = True) -> None:
    """Load ``model`` now, unless the cache ``audit`` would use with this ``cache`` already knows it: an audit
    in this process then finds it loaded (or in the cache). For a server, while it starts."""
    location, _ = _cache_location(cache)
    store = location.open() if location is not None else None
    try:
        choose(model, store)
    finally:
        if store is not None:
            store.close()


def _check(jobs, scheduler) -> None:
    if scheduler is not None and jobs not in (None, 1):
        raise InvalidParameterError(
            "The 'jobs' and 'scheduler' parameters of audit cannot be used together: "
            "the cluster's workers set how many runs are audited at once."
        )


@dataclass(frozen=True)
class _Group:
    """All sources of one run, with its files' identities."""

    run: str
    sources: tuple[RunSource, ...]
    names: SourceNames
    identity: tuple
    origin: Origin | None = None

    @property
    def size(self) -> int:
        return sum(max(size, 0) for _, size, _, _ in self.identity)


@dataclass
class _Plan:
    groups: list[_Group]
    findings: list[Finding]


def _paths(source) -> list[str | os.PathLike[str]]:
    if isinstance(source, str | os.PathLike):
        return [source]
    if isinstance(source, Sequence) and source and all(isinstance(path, str | os.PathLike) for path in source):
        return list(source)
    raise InvalidParameterError(
        f"The 'source' parameter of audit must be a path, a list of paths, a DataFrame or a "
        f"ReadResult. Got {type(source).__name__} instead."
    )


def _plan(paths: list[str | os.PathLike[str]], cache: CacheLocation | None) -> _Plan:
    """Discover the runs below each path; with several paths, runs are named by the path they were found under."""
    prefixes = [run_prefix(path) for path in paths] if len(paths) > 1 else [None]
    if len(set(prefixes)) < len(prefixes):
        raise InvalidParameterError(f"The same path was given twice: {', '.join(sorted(map(str, prefixes)))}.")
    plan = _Plan([], [])
    for path, prefix in zip(paths, prefixes):
        root = local_root(path, cache)
        found = discover_runs(path, root, readers())
        names = SourceNames(str(root if root.is_dir() else root.parent), prefix)
        origin = Origin(os.fspath(path), str(root)) if is_url(path) else None
        plan.findings.extend(
            replace(
                f,
                source=f.source if prefix is None else names.prefixed(f.source),
                run=f.run if prefix is None else names.prefixed(f.run),
            )
            for f in found.findings
        )
        by_run: dict[str, list[RunSource]] = {}
        for item in found.sources:
            run = item.run if prefix is None else names.prefixed(item.run)
            by_run.setdefault(run, []).append(replace(item, run=run))
        for run, sources in by_run.items():
            plan.groups.append(_Group(run, tuple(sources), names, identities(f for s in sources for f in s.files), origin))
    plan.groups.sort(key=lambda group: group.run)
    return plan


def _audit_runs(
    plan: _Plan,
    settings: Settings,
    model: ModelChoice,
    store: Cache | None,
    key: str | None,
    *,
    jobs,
    scheduler,
    tell: Progress,
    grown: Callable[[list[TaskResult], int], None],
) -> tuple[list[TaskResult], int]:
    """Every run's result: from the cache when its files and the settings are unchanged, else audited
    anew; and the number of worker processes that audited them. ``grown`` is given the results so far
    and that number, once the cache has answered and after each task."""
    total = len(plan.groups)
    keys = {group.run: _report_key(key, group, settings.classes) for group in plan.groups} if key else {}
    stored = store.get_many("reports", list(keys.values())) if store is not None and keys else {}
    groups = {group.run: group for group in plan.groups}
    results: list[TaskResult] = []
    todo: list[_Group] = []
    for group in plan.groups:
        entry = stored.get(keys.get(group.run, ""))
        if entry is not None and entry[0] == group.identity:
            results.append(_located(entry[1], groups, settings))
        else:
            todo.append(group)
    workers = worker_count(jobs, len(todo))
    grown(results, workers)
    tell("auditing", len(results), total)
    if todo:
        settings = replace(settings, model=model.get())
    for result in _run(lambda workers: _tasks(todo, workers), settings, workers, scheduler):
        if store is not None and keys:
            store.put_many("reports", _entries(result, groups, keys))
        results.append(_located(result, groups, settings))
        grown(results, workers)
        tell("auditing", min(total, sum(len(r.runs) or 1 for r in results)), total)
    tell("auditing", total, total)
    return results, workers


def _gathered(results: list[TaskResult], findings: Sequence[Finding], summary: dict, workers: int) -> Report:
    """The report of ``results``: runs by name, after ``findings`` (those of the whole audit) the runs' own."""
    runs = tuple(sorted((run for result in results for run in result.runs), key=lambda run: run.run))
    found = sorted((f for result in results for f in result.findings), key=lambda f: f.run or "")
    seconds = {stage: sum(result.seconds.get(stage, 0.0) for result in results) for stage in STAGES}
    return Report(runs, (*findings, *found), summary, seconds=seconds, workers=workers)


def worker_count(jobs: int | None, runs: int) -> int:
    """The worker processes ``jobs`` asks for, but never more than the cores this process may use
    (more only compete for them, each with its own memory) nor than the runs to audit (a worker
    without a task is a process started for nothing)."""
    asked = backends.cores() if jobs == -1 else (jobs or 1)
    return max(1, min(asked, backends.cores(), runs))


def _run(plan: backends.Plan, settings: Settings, workers: int, scheduler) -> Iterator[TaskResult]:
    if scheduler is not None:
        return backends.on_dask(plan, settings, scheduler)
    return backends.in_processes(plan, settings, workers) if workers > 1 else backends.in_process(plan, settings)


def _tasks(groups: list[_Group], workers: int = 1) -> Iterator[Task]:
    """Runs in tasks of a bounded number of runs and bytes, each task's runs sharing one naming;
    with several workers, at least a few tasks per worker, so that none waits on another's. The first
    tasks are smaller, each twice the one before, so that the first runs are audited soon."""
    most = _TASK_RUNS if workers == 1 else max(1, min(_TASK_RUNS, math.ceil(len(groups) / (workers * _TASKS_PER_WORKER))))
    runs = min(most, _FIRST_TASK_RUNS)
    chunk: list[_Group] = []
    size = 0
    for group in groups:
        if chunk and (
            len(chunk) >= runs
            or size + group.size > _TASK_BYTES
            or (group.names, group.origin) != (chunk[0].names, chunk[0].origin)
        ):
            yield Task(tuple(s for g in chunk for s in g.sources), chunk[0].names, chunk[0].origin)
            chunk, size, runs = [], 0, min(most, 2 * runs)
        chunk.append(group)
        size += group.size
    if chunk:
        yield Task(tuple(s for g in chunk for s in g.sources), chunk[0].names, chunk[0].origin)


def _located(result: TaskResult, groups: Mapping[str, _Group], settings: Settings) -> TaskResult:
    """A result whose run reports read their curves again, when asked, from the files planned now."""
    planned = frozenset(result.planned)

    def located(report: RunReport) -> RunReport:
        group = groups[_planned_run(report.run, planned)]
        locator = RunLocator(report.run, group.sources, group.names, settings.overrides, settings.cache, group.identity)
        return replace(report, curves=StoredCurves(locator))

    return replace(result, runs=[located(report) for report in result.runs])


def _entries(result: TaskResult, groups: Mapping[str, _Group], keys: Mapping[str, str]):
    """A task's result cut into one cache entry per run, stored under its run's key."""
    planned = frozenset(result.planned)
    runs: dict[str, list[RunReport]] = {run: [] for run in result.planned}
    findings: dict[str, list[Finding]] = {run: [] for run in result.planned}
    for report in result.runs:
        runs[_planned_run(report.run, planned)].append(report)
    for item in result.findings:
        if (run := _planned_run(item.run, planned)) is not None:
            findings[run].append(item)
    for run in result.planned:
        yield keys[run], settled(groups[run].identity), TaskResult(runs[run], findings[run], planned=(run,))


def _planned_run(name: str | None, planned: frozenset[str]) -> str | None:
    """The planned run a reported run (or a sub-run, ``run/part``) belongs to: the longest that names it."""
    while name and name not in planned:
        name = name.rpartition("/")[0]
    return name or None


def _belongs(name: str, run: str) -> bool:
    return name == run or name.startswith(f"{run}/")


def _settings_key(settings: Settings, model_identity) -> str | None:
    """What a cached report depends on besides its files; None when it cannot be told (a model object)."""
    if model_identity is None:
        return None
    rules = [
        (type(rule).__module__, type(rule).__qualname__, rule.code, sorted(rule.get_params().items())) for rule in settings.rules
    ]
    return _digest(repr((code_identity(), rules, model_identity, settings.overrides, settings.strict)))


def _report_key(settings_key: str, group: _Group, classes) -> str:
    if isinstance(classes, Mapping):
        classes = sorted((name, count) for name, count in classes.items() if _belongs(name, group.run))
    return _digest(repr((settings_key, group.run, [cache_key(s) for s in group.sources], group.names, classes)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _cache_location(cache) -> tuple[CacheLocation | None, tuple[Finding, ...]]:
    if cache is False or cache is None:
        return None, ()
    if cache is True:
        location = CacheLocation(default_folder())
    elif isinstance(cache, str | os.PathLike):
        location = CacheLocation(Path(cache))
    else:
        raise InvalidParameterError(
            f"The 'cache' parameter of audit must be a bool or a folder. Got {type(cache).__name__} instead."
        )
    problem = location.problem()
    if problem is None:
        return location, ()
    return (None if problem.name == "cache-unusable" else location), (problem,)
