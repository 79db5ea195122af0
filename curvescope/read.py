"""``curvescope.read``: a log directory (or one file) into the tidy scalars frame and findings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InvalidParameterError, NoRunsFound
from .findings import Finding, Severity, finding
from .frame import RunPart, assemble
from .ingest import readers
from .ingest.base import RunRead
from .ingest.discover import RunSource, discover, relative_name
from .roles import ROLES, RoleOverrides, check_overrides

_DUPLICATES = ("last", "all")


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

    def run(self, name: str) -> pd.DataFrame:
        """The rows of one run."""
        if name not in self.runs:
            raise KeyError(f"no run named {name!r}; runs: {', '.join(self.runs[:10])}")
        return self.scalars[self.scalars["run"] == name]

    def curve(self, run: str, role: str) -> pd.Series:
        """The values of a run's tag that plays ``role``, indexed by step (empty when absent)."""
        if role not in ROLES:
            raise InvalidParameterError(f"The 'role' parameter must be one of {', '.join(ROLES)}. Got {role!r} instead.")
        tag = self.roles.get(run, {}).get(role)
        rows = self.run(run)
        rows = rows[rows["tag"] == tag] if tag else rows.iloc[:0]
        return pd.Series(rows["value"].to_numpy(), index=pd.Index(rows["step"].to_numpy(), name="step"), name=tag or role)

    def summary(self) -> pd.DataFrame:
        """One row per run: formats, tags, points, first and last step, roles found, findings."""
        grouped = self.scalars.groupby("run", observed=True)
        stats = pd.DataFrame({
            "tags": grouped["tag"].nunique(),
            "points": grouped.size(),
            "first_step": grouped["step"].min(),
            "last_step": grouped["step"].max(),
        })
        stats.index = stats.index.astype("str")
        problems = pd.Series([f.run for f in self.findings if f.run], dtype="str").value_counts()
        rows = []
        for run in self.runs:
            has = run in stats.index
            rows.append({
                "run": run,
                "format": ", ".join(self.formats.get(run, ())),
                "tags": int(stats.at[run, "tags"]) if has else 0,
                "points": int(stats.at[run, "points"]) if has else 0,
                "first_step": int(stats.at[run, "first_step"]) if has else pd.NA,
                "last_step": int(stats.at[run, "last_step"]) if has else pd.NA,
                "roles": ", ".join(f"{role}={tag}" for role, tag in self.roles.get(run, {}).items()),
                "findings": int(problems.get(run, 0)),
            })
        frame = pd.DataFrame(rows, columns=["run", "format", "tags", "points", "first_step", "last_step", "roles", "findings"])
        return frame.astype({"first_step": "Int64", "last_step": "Int64"})

    def worst_severity(self) -> Severity | None:
        order = list(Severity)
        return max((f.severity for f in self.findings), key=order.index, default=None)


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
    if duplicates not in _DUPLICATES:
        raise InvalidParameterError(
            f"The 'duplicates' parameter of read must be one of {', '.join(_DUPLICATES)}. Got {duplicates!r} instead.")
    root = Path(path)
    found = discover(root, readers())
    if not found.sources and not found.findings:
        raise NoRunsFound(
            f"{root}: no training logs found ({found.ignored} files, none a TensorBoard event file, CSV log, "
            "trainer_state.json, JSON-lines log, MLflow run or Ray Tune trial). Point at the directory holding your runs.")
    base = root if root.is_dir() else root.parent
    parts: list[RunPart] = []
    findings = list(found.findings)
    formats: dict[str, list[str]] = {}
    for source in found.sources:
        run_read = _read_source(source)
        parts.append(RunPart(source.run, _relative_sources(run_read.scalars, base), run_read.hparams))
        findings.extend(
            replace(f, source=_relative(f.source, base), run=f.run or source.run) for f in run_read.findings
        )
        formats.setdefault(source.run, []).append(source.reader.name)
    assembled = assemble(parts, overrides, keep=duplicates)
    runs = sorted({*formats, *assembled.roles})
    return ReadResult(
        scalars=assembled.scalars,
        findings=tuple(findings + assembled.findings),
        roles=assembled.roles,
        hparams=assembled.hparams,
        files=assembled.files,
        runs=tuple(runs),
        formats={run: tuple(names) for run, names in formats.items()},
        ignored_files=found.ignored,
    )


def _read_source(source: RunSource) -> RunRead:
    """One reader on one run; a reader that crashes costs its files, never the whole read."""
    try:
        return source.reader.read(source.path, list(source.files))
    except Exception as exc:
        return RunRead(findings=[
            finding("unreadable-file", f"the {source.reader.name} reader failed: {type(exc).__name__}: {exc}",
                    source=str(file))
            for file in source.files
        ])


def _relative(source: str | None, base: Path) -> str | None:
    return None if source is None else relative_name(Path(source), base)


def _relative_sources(frame: pd.DataFrame, base: Path) -> pd.DataFrame:
    if frame.empty:
        return frame
    column = frame["source"]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("str").astype("category")
    renamed = column.cat.rename_categories([relative_name(Path(name), base) for name in column.cat.categories])
    return frame.assign(source=renamed)
