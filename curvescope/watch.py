"""Watch a log folder while runs train: re-audit when its files change, report what changed.

The folder is polled, which works on local disks, network filesystems and object storage alike.
A folder is audited again only when a file was added, removed, grew or was rewritten (one
``stat`` per file, ``cache.fingerprint``); a URL (``s3://bucket/runs``) every round, as its
listing is the look (only changed files are fetched). Runs whose files are unchanged come from
the audit's cache. Each round yields a ``Change`` for every run whose labels are new or changed,
and for every reading finding not seen before; a run whose labels stay the same is not reported
again, however its confidence moves.

>>> for change in curvescope.watch("runs/", interval=10):        # doctest: +SKIP
...     print(change.step, change.run, change.before, "->", change.labels, change.fix)

``Watcher(path, **audit_options).poll()`` makes one round by hand, for a loop of your own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from numbers import Real
from typing import Any

from .assemble.roles import RoleOverrides
from .audit import audit
from .diagnose import LearnedModel
from .errors import LogdirNotFound, NoRunsFound, RemoteError
from .findings import Finding
from .params import Interval, validate_params
from .report import Report, RunReport
from .scale.cache import fingerprint
from .scale.remote import is_url

INTERVAL = 5.0
"""Seconds between two looks at the folder, by default."""


class ChangeKind(StrEnum):
    NEW = "new"
    """A run seen for the first time."""
    CHANGED = "changed"
    """A run whose labels are not the ones it had."""
    GONE = "gone"
    """A run whose logs are no longer in the folder."""
    FINDING = "finding"
    """A reading finding not seen before (a corrupt file, a half-written record, ...)."""


@dataclass(frozen=True)
class Change:
    """One thing that changed since the last round: a run's labels, or a new reading finding."""

    kind: ChangeKind
    run: str | None
    step: int | None = None
    """The run's last logged step (when it was last seen, for a run gone)."""
    before: tuple[str, ...] = ()
    """The labels the run had (empty for a new run; ``()`` also for a run that could not be judged)."""
    labels: tuple[str, ...] = ()
    """The labels it has now (empty for a run gone)."""
    confidence: float | None = None
    """The run's confidence now."""
    confidences: dict[str, float] = field(default_factory=dict)
    """Each label it has now and its confidence."""
    fix: str | None = None
    """The fix for its labels now, as the audit words it."""
    finding: Finding | None = None
    """The new finding, for a change of kind ``finding``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "run": self.run,
            "step": self.step,
            "before": list(self.before),
            "labels": list(self.labels),
            "fix": self.fix,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "confidences": {label: round(value, 4) for label, value in self.confidences.items()},
            "finding": None if self.finding is None else self.finding.to_dict(),
        }


class Watcher:
    """The state of one watch: what each run was labelled and which findings were reported.

    ``poll()`` makes one round; ``watch`` calls it every ``interval`` seconds. The first round
    reports every run as new, unless ``changes_only``: then it only sets what later rounds compare with.
    """

    def __init__(self, path: str | os.PathLike[str], *, changes_only: bool = False, **options: Any) -> None:
        self.path = path
        self.options = options
        self.note: str | None = None
        """Why no run can be seen (the folder holds none yet, or is missing), or None."""
        self._quiet = changes_only
        self._started = False
        self._fingerprint: str | None = None
        self._runs: dict[str, RunReport] = {}
        self._findings: set[tuple[str, str | None, str | None]] = set()

    def poll(self) -> list[Change]:
        """One round: the changes since the last one (none when no file changed)."""
        current = None if is_url(self.path) else fingerprint(self.path)
        if current is not None and current == self._fingerprint:
            return []
        self._fingerprint = current
        report = self._audit()
        if report is None:
            return []
        changes = [*self._run_changes(report), *self._finding_changes(report.findings)]
        quiet, self._quiet = self._quiet, False
        return [] if quiet else changes

    def _audit(self) -> Report | None:
        """The folder's report; None (with a note) when it cannot be seen after the first round: a
        folder gone for a moment, storage out of reach (the runs as last seen are kept)."""
        try:
            report = audit(self.path, **self.options)
        except NoRunsFound:
            report = Report((), (), {})
        except (LogdirNotFound, RemoteError) as exc:
            if not self._started:
                raise
            self.note = f"{exc} Still watching."
            return None
        self._started = True
        self.note = None if report.runs else f"{os.fspath(self.path)}: no runs yet; waiting for training logs to appear."
        return report

    def _run_changes(self, report: Report) -> list[Change]:
        now = {run.run: run for run in report}
        changes = [_gone(self._runs[name]) for name in self._runs.keys() - now.keys()]
        for name, run in now.items():
            before = self._runs.get(name)
            if before is None or set(before.labels) != set(run.labels):
                changes.append(_seen(run, before))
        self._runs = now
        return sorted(changes, key=lambda change: change.run or "")

    def _finding_changes(self, findings: Sequence[Finding]) -> list[Change]:
        changes = []
        for item in findings:
            key = (item.code, item.source, item.run)
            if key not in self._findings:
                self._findings.add(key)
                changes.append(Change(ChangeKind.FINDING, item.run, finding=item))
        return changes


def _seen(run: RunReport, before: RunReport | None) -> Change:
    return Change(
        ChangeKind.NEW if before is None else ChangeKind.CHANGED,
        run.run,
        _step(run),
        () if before is None else before.labels,
        run.labels,
        run.confidence,
        run.label_confidences(),
        run.fix,
    )


def _gone(run: RunReport) -> Change:
    return Change(ChangeKind.GONE, run.run, _step(run), run.labels)


def _step(run: RunReport) -> int | None:
    step = run.numbers.get("last_step")
    return None if step is None else int(step)


@validate_params({"interval": [Interval(Real, 0, None, closed="neither")]})
def watch(
    path: str | os.PathLike[str],
    *,
    interval: float = INTERVAL,
    changes_only: bool = False,
    roles: RoleOverrides | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    classes: int | Mapping[str, int] | None = None,
    model: bool | str | os.PathLike[str] | LearnedModel = True,
    jobs: int | None = None,
    scheduler=None,
    cache: bool | str | os.PathLike[str] = True,
    strict: bool = False,
    stop: threading.Event | None = None,
    waiting: Callable[[str], None] | None = None,
) -> Iterator[Change]:
    """Audit ``path`` every ``interval`` seconds while its files change; yield each change once.

    The first round yields every run (kind ``new``) and every reading finding; later rounds
    yield runs that appeared, whose labels changed or that are gone, and findings not reported
    before. ``changes_only`` skips the first round's report (what was there when the watch began).
    A folder with no runs yet is waited on (``waiting`` is told why, once each time that begins);
    a missing ``path`` raises ``LogdirNotFound`` at the first round. The other options are
    ``audit``'s; keep ``cache`` on, so that unchanged runs are not audited again. The watch ends
    when ``stop`` is set (it is not waited on longer than needed), else it never does.

    >>> stop = threading.Event()                                     # doctest: +SKIP
    >>> for change in curvescope.watch("runs/", stop=stop):          # doctest: +SKIP
    ...     print(change.run, change.labels)
    """
    watcher = Watcher(
        path,
        changes_only=changes_only,
        roles=roles,
        select=select,
        ignore=ignore,
        classes=classes,
        model=model,
        jobs=jobs,
        scheduler=scheduler,
        cache=cache,
        strict=strict,
    )
    return _rounds(watcher, interval, stop or threading.Event(), waiting)


def _rounds(watcher: Watcher, interval: float, stop: threading.Event, waiting: Callable[[str], None] | None) -> Iterator[Change]:
    told = None
    while not stop.is_set():
        yield from watcher.poll()
        if waiting is not None and watcher.note is not None and watcher.note != told:
            waiting(watcher.note)
        told = watcher.note
        stop.wait(interval)
