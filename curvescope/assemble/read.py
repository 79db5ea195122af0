"""``curvescope.read``: a log directory (or one file) into the tidy scalars frame and findings."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..findings import Finding, Severity, finding
from ..ingest import readers
from ..ingest.base import BatchRead, BatchReader, Resumable, RunRead
from ..ingest.discover import RunSource, discover_runs, relative_name
from ..ingest.progress import Progress
from ..params import Options, validate_params
from ..scale.cache import Cache, CacheLocation, default_folder, identities, settled
from ..scale.memory import release_free_memory
from ..scale.remote import local_root
from ..schema import reader_frame
from .kinds import kind_findings, run_kinds
from .roles import ROLES, RoleChoice, RoleOverrides, check_overrides
from .runs import AssembledRuns, Block, assemble, block_of_run

_DUPLICATES = ("last", "all")
_BATCH_BYTES = 64 * 2**20  # files read in one pass by a batch reader, at most


@dataclass(frozen=True)
class ReadResult:
    """Everything read from a log directory.

    ``scalars``: the tidy frame (``run, tag, step, wall_time, value, source, role``), sorted
    by run, tag and step. ``findings``: every data-health problem met, each naming its file
    or run. ``roles``: per run, which tag plays which role. ``hparams``: per run, the logged
    hyperparameters. ``files``: per file, rows read, kept and replaced by newer writes.
    """

    scalars: pd.DataFrame
    findings: tuple[Finding, ...]
    roles: dict[str, dict[str, str]]
    hparams: dict[str, dict[str, Any]]
    files: pd.DataFrame
    runs: tuple[str, ...]
    formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored_files: int = 0
    explanations: dict[str, dict[str, RoleChoice]] = field(default_factory=dict)
    """Per run and role: the tag chosen, by which pattern, and why the other candidates lost."""
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per run: what kind of run it is, beyond plain supervised training (``rl``, ``fine_tune``), and why."""

    def run(self, name: str) -> pd.DataFrame:
        """The rows of one run."""
        if name not in self.runs:
            raise KeyError(f"no run named {name!r}; runs: {', '.join(self.runs[:10])}")
        return self.scalars[self.scalars["run"] == name]

    @validate_params({"role": [Options(ROLES)]})
    def curve(self, run: str, role: str) -> pd.Series:
        """The values of a run's tag that plays ``role``, indexed by step (empty when absent)."""
        tag = self.roles.get(run, {}).get(role)
        rows = self.run(run)
        rows = rows[rows["tag"] == tag] if tag else rows.iloc[:0]
        return pd.Series(rows["value"].to_numpy(), index=pd.Index(rows["step"].to_numpy(), name="step"), name=tag or role)

    def summary(self) -> pd.DataFrame:
        """One row per run: formats, tags, points, first and last step, roles found, findings."""
        grouped = self.scalars.groupby("run", observed=True)
        stats = pd.DataFrame(
            {
                "tags": grouped["tag"].nunique(),
                "points": grouped.size(),
                "first_step": grouped["step"].min(),
                "last_step": grouped["step"].max(),
            }
        )
        stats.index = stats.index.astype("str")
        problems = pd.Series([f.run for f in self.findings if f.run], dtype="str").value_counts()
        rows = []
        for run in self.runs:
            has = run in stats.index
            rows.append(
                {
                    "run": run,
                    "format": ", ".join(self.formats.get(run, ())),
                    "tags": int(stats.at[run, "tags"]) if has else 0,
                    "points": int(stats.at[run, "points"]) if has else 0,
                    "first_step": int(stats.at[run, "first_step"]) if has else pd.NA,
                    "last_step": int(stats.at[run, "last_step"]) if has else pd.NA,
                    "roles": ", ".join(f"{role}={tag}" for role, tag in self.roles.get(run, {}).items()),
                    "findings": int(problems.get(run, 0)),
                }
            )
        frame = pd.DataFrame(rows, columns=["run", "format", "tags", "points", "first_step", "last_step", "roles", "findings"])
        return frame.astype({"first_step": "Int64", "last_step": "Int64"})

    def worst_severity(self) -> Severity | None:
        order = list(Severity)
        return max((f.severity for f in self.findings), key=order.index, default=None)


@validate_params({"duplicates": [Options(_DUPLICATES)]})
def read(path: str | os.PathLike[str], *, roles: RoleOverrides | None = None, duplicates: str = "last") -> ReadResult:
    """Read every training log below ``path`` into one tidy frame.

    ``roles`` overrides the default tag roles, e.g. ``{"val_loss": "eval/my_loss"}``.
    ``duplicates="last"`` keeps the newest write of a repeated step, as TensorBoard shows it;
    ``"all"`` keeps every point as written. Raises ``LogdirNotFound`` for a missing path and
    ``NoRunsFound`` when no file below it is a log; every other problem is a finding.

    >>> result = curvescope.read("fixtures/demo")          # doctest: +SKIP
    >>> result.scalars.query("role == 'val_loss'")          # doctest: +SKIP
    """
    overrides = check_overrides(roles)
    root = local_root(path, CacheLocation(default_folder()))
    found = discover_runs(path, root, readers())
    base = root if root.is_dir() else root.parent
    result = read_sources(found.sources, lambda name: _relative(name, base), overrides=overrides, duplicates=duplicates)
    return replace(result, findings=(*found.findings, *result.findings), ignored_files=found.ignored)


def read_sources(
    sources: Sequence[RunSource],
    source_name: Callable[[str], str | None],
    *,
    overrides: Mapping[str, tuple[str, ...]] | None = None,
    duplicates: str = "last",
    cache: Cache | None = None,
) -> ReadResult:
    """Read discovered runs into one ``ReadResult``; ``source_name`` names a file as reported.

    With a ``cache``, a run whose files are unchanged since it was last read is taken from it,
    a run whose files only grew is read on from where it was left (by a ``Resumable`` reader),
    and every run read is stored in it."""
    reading = _Reading(source_name=source_name)
    if cache is None:
        for batch in _batches(list(sources)):
            reading.add(batch)
            release_free_memory()
    else:
        cached, earlier = _cached(sources, cache)
        fresh = _resumed(earlier, cache)
        fresh.update(
            (source, run_read)
            for batch in _batches([s for s in sources if s not in cached and s not in fresh])
            for source, run_read in _read_each(batch)
        )
        _store(fresh, cache)
        for source in sources:
            reading.add_read(source, cached[source] if source in cached else fresh[source])
    blocks, reading.blocks = reading.blocks, []
    assembled = assemble(blocks, overrides, keep=duplicates, source_name=lambda name: source_name(name) or name)
    findings = _without_empty_runs(assembled, reading)
    hparams = {run: reading.hparams[run] for run in sorted(reading.hparams)}
    kinds = run_kinds(assembled.roles, hparams)
    return ReadResult(
        scalars=assembled.scalars,
        findings=tuple(sorted(findings + kind_findings(kinds), key=lambda f: f.run or "")),
        roles=assembled.roles,
        hparams=hparams,
        files=assembled.files,
        runs=tuple(sorted(assembled.roles)),
        formats={run: tuple(names) for run, names in reading.formats.items()},
        explanations=assembled.explanations,
        kinds=kinds,
    )


_NOTHING_IN_IT = frozenset({"empty-file", "ignored-file"})
"""What reading says of a file that looks like a log but holds none: such a file is no run."""


def _without_empty_runs(assembled: AssembledRuns, reading: _Reading) -> list[Finding]:
    """Every finding, once the runs that hold nothing at all are let go (from ``assembled.roles`` and
    ``reading.formats``): a file that looks like a log but yields no point, and that reading found
    nothing wrong with but its emptiness (an empty CSV beside real runs), is a finding on its folder
    (no run), not a run of its own. Alone (no run beside it holds a point) it stays listed, so that
    what was found is shown. A run whose files could not be read stays a run: it is reported as
    not judged, with why."""
    with_points = set(assembled.scalars["run"].unique().astype(str)) if len(assembled.scalars) else set()
    by_run: dict[str, list[Finding]] = {}
    for item in reading.findings:
        by_run.setdefault(item.run or "", []).append(item)
    empty = {
        run
        for run in assembled.roles
        if with_points and run not in with_points and all(item.name in _NOTHING_IN_IT for item in by_run.get(run, ()))
    }
    for run in empty:
        del assembled.roles[run]
        reading.formats.pop(run, None)
        reading.hparams.pop(run, None)
    moved = [replace(item, run=None) if item.run in empty else item for item in reading.findings]
    return moved + [item for item in assembled.findings if item.run not in empty]


def cache_key(source: RunSource) -> str:
    """A run's files by one reader, as named from the working folder (a path given otherwise reads again)."""
    return f"{source.reader.name}|{os.path.abspath(source.path)}|{source.path}"


def _cached(sources: Sequence[RunSource], cache: Cache) -> tuple[dict[RunSource, RunRead], dict[RunSource, RunRead]]:
    """The sources whose files are all as they were when the cache stored them, and the earlier
    reads of the others that a ``Resumable`` reader may read on from."""
    if not sources:
        return {}, {}
    keys = {cache_key(source): source for source in sources}
    unchanged: dict[RunSource, RunRead] = {}
    earlier: dict[RunSource, RunRead] = {}
    for key, (identity, entry) in cache.get_many("scalars", list(keys)).items():
        source = keys[key]
        if not isinstance(entry, RunRead):
            continue
        if identity == identities(source.files):
            unchanged[source] = entry
        elif isinstance(source.reader, Resumable) and entry.resume is not None:
            earlier[source] = entry
    return unchanged, earlier


def _resumed(earlier: Mapping[RunSource, RunRead], cache: Cache) -> dict[RunSource, RunRead]:
    """Each run read on from its earlier read, where its reader can; the others are left out.

    Where each read stopped is stored apart from its scalars (a hit never loads it), and is used
    only with the scalars read up to the same marks."""
    progress = cache.get_many("progress", [cache_key(source) for source in earlier]) if earlier else {}
    resumed: dict[RunSource, RunRead] = {}
    for source, run_read in earlier.items():
        stored = progress.get(cache_key(source), (None, None))[1]
        if not isinstance(stored, Progress) or stored.marks != run_read.resume.marks:
            continue
        try:
            later = source.reader.resume(source.path, list(source.files), replace(run_read, resume=stored))
        except Exception:  # a reader that fails to read on reads anew
            later = None
        if later is not None:
            resumed[source] = later
    return resumed


def _store(fresh: Mapping[RunSource, RunRead], cache: Cache) -> None:
    """Each run read, under the identity of its files; where a resumable read stopped, apart."""
    scalars, progress = [], []
    for source, run_read in fresh.items():
        key, identity = cache_key(source), settled(identities(source.files))
        resumable = isinstance(source.reader, Resumable) and run_read.resume is not None
        if resumable:
            progress.append((key, identity, run_read.resume))
        scalars.append((key, identity, replace(run_read, resume=run_read.resume.without_state() if resumable else None)))
    cache.put_many("scalars", scalars)
    cache.put_many("progress", progress)


_FRAME_COLUMNS = ("run", "tag", "step", "value")


def read_frame(frame: pd.DataFrame, *, roles: RoleOverrides | None = None) -> ReadResult:
    """A ``ReadResult`` from scalars already in a frame: columns ``run, tag, step, value`` and
    optionally ``wall_time`` and ``source``. Repeated steps, roles and findings are handled as
    for files.

    >>> curvescope.read_frame(pd.DataFrame({"run": "a", "tag": "loss", "step": [0, 1], "value": [2.3, 1.9]}))  # doctest: +SKIP
    """
    overrides = check_overrides(roles)
    missing = [column for column in _FRAME_COLUMNS if column not in frame.columns]
    if missing:
        raise SchemaError(
            f"scalars frame: column {missing[0]!r} is missing (found: {', '.join(map(str, frame.columns))})."
            f" A frame of runs needs columns {', '.join(_FRAME_COLUMNS)}."
        )
    steps = pd.to_numeric(frame["step"], errors="coerce")
    if steps.isna().any() or (steps % 1 != 0).any() or (steps < 0).any():
        raise SchemaError("scalars frame: column 'step' must hold whole numbers >= 0.")
    names, part = np.unique(frame["run"].astype("str").to_numpy(dtype=object), return_inverse=True)
    rows = reader_frame(
        frame["tag"].astype("str").to_numpy(dtype=object),
        steps.to_numpy(dtype=np.int64),
        frame["wall_time"].to_numpy(dtype=np.float64) if "wall_time" in frame.columns else np.full(len(frame), np.nan),
        pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=np.float64),
        frame["source"].astype("str").to_numpy(dtype=object) if "source" in frame.columns else "<frame>",
    )
    assembled = assemble([Block(rows, [str(name) for name in names], part.astype(np.int32))], overrides)
    runs = tuple(sorted(assembled.roles))
    kinds = run_kinds(assembled.roles, {})
    return ReadResult(
        scalars=assembled.scalars,
        findings=tuple(sorted(assembled.findings + kind_findings(kinds), key=lambda f: f.run or "")),
        explanations=assembled.explanations,
        kinds=kinds,
        roles=assembled.roles,
        hparams={},
        files=assembled.files,
        runs=runs,
        formats=dict.fromkeys(runs, ("frame",)),
    )


@dataclass
class _Reading:
    """What the readers returned so far: blocks of rows, and per run its findings, hparams and formats."""

    source_name: Callable[[str], str | None]
    blocks: list[Block] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    hparams: dict[str, dict[str, Any]] = field(default_factory=dict)
    formats: dict[str, list[str]] = field(default_factory=dict)

    def add(self, batch: list[RunSource]) -> None:
        """Read a batch: in one pass where its reader can, else run by run."""
        together = _read_together(batch)
        if together is None:
            for source in batch:
                self.add_read(source, _read_source(source))
            return
        part = together.scalars["part"].to_numpy(np.int32)
        self.blocks.append(Block(together.scalars.drop(columns="part"), [source.run for source in batch], part))
        for source, findings, hparams in zip(batch, together.findings, together.hparams):
            self._note(source, [source.run], findings, hparams)

    def add_read(self, source: RunSource, run_read: RunRead) -> None:
        block = block_of_run(source.run, run_read.scalars)
        self.blocks.append(block)
        self._note(source, block.runs, run_read.findings, run_read.hparams)

    def _note(self, source: RunSource, runs: list[str], findings: list[Finding], hparams: dict) -> None:
        self.findings.extend(replace(f, source=self.source_name(f.source), run=f.run or source.run) for f in findings)
        for run in runs if hparams else ():
            self.hparams.setdefault(run, {}).update(hparams)
        self.formats.setdefault(source.run, []).append(source.reader.name)


def _batches(sources: list[RunSource]) -> list[list[RunSource]]:
    """Runs of one batch-capable reader go together, up to a bounded size of files; others alone."""
    batches: list[list[RunSource]] = []
    open_batch: dict[str, tuple[list[RunSource], int]] = {}
    for source in sources:
        if not isinstance(source.reader, BatchReader):
            batches.append([source])
            continue
        size = sum(_size(path) for path in source.files)
        batch, total = open_batch.get(source.reader.name, ([], 0))
        if batch and total + size > _BATCH_BYTES:
            batch, total = [], 0
        if not batch:
            batches.append(batch)
        batch.append(source)
        open_batch[source.reader.name] = (batch, total + size)
    return batches


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_each(batch: list[RunSource]) -> list[tuple[RunSource, RunRead]]:
    """What each source of a batch gave, read in one pass where its reader can."""
    together = _read_together(batch)
    if together is None:
        return [(source, _read_source(source)) for source in batch]
    part = together.scalars["part"].to_numpy(np.int32)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(len(batch) + 1))
    rows = together.scalars.drop(columns="part").take(order)
    progress = together.resume or [None] * len(batch)
    return [
        (
            source,
            RunRead(
                rows.iloc[bounds[i] : bounds[i + 1]].reset_index(drop=True),
                together.findings[i],
                together.hparams[i],
                progress[i],
            ),
        )
        for i, source in enumerate(batch)
    ]


def _read_together(batch: list[RunSource]) -> BatchRead | None:
    """A batch in one pass, or None when it is one run or the pass failed (then each run is read alone)."""
    reader = batch[0].reader
    if len(batch) < 2 or not isinstance(reader, BatchReader):
        return None
    try:
        return reader.read_batch([(source.path, list(source.files)) for source in batch])
    except Exception:  # one bad run must not cost its batch
        return None


def _read_source(source: RunSource) -> RunRead:
    """One reader on one run; a reader that crashes costs its files, never the whole read."""
    try:
        return source.reader.read(source.path, list(source.files))
    except Exception as exc:
        return RunRead(
            findings=[
                finding(
                    "unreadable-file", f"the {source.reader.name} reader failed: {type(exc).__name__}: {exc}", source=str(file)
                )
                for file in source.files
            ]
        )


def _relative(source: str | None, base: Path) -> str | None:
    return None if source is None else relative_name(Path(source), base)
