"""Assemble runs: readers' frames in, one tidy scalars frame out.

Per run: the readers' rows are joined in write order, each repeated ``(tag, step)`` keeps
its newest write (what TensorBoard shows), roles are resolved, and every point is counted
per file (read, kept, replaced) so nothing leaves without a trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .findings import Finding, finding
from .roles import ROLES, resolve_roles
from .schema import SCALAR_COLUMNS, empty_scalars, from_codes

_MAX_STEPS_LISTED = 5


@dataclass
class RunPart:
    """Rows one reader read for one run, with sources already relative to the log directory."""

    run: str
    scalars: pd.DataFrame
    hparams: dict[str, Any] = field(default_factory=dict)


@dataclass
class AssembledRuns:
    scalars: pd.DataFrame
    roles: dict[str, dict[str, str]]
    hparams: dict[str, dict[str, Any]]
    files: pd.DataFrame
    findings: list[Finding]


@dataclass
class _RunColumns:
    """One run's deduplicated, sorted columns; tag/source/role as codes into run-local names."""

    run: str
    tags: list[str]
    tag: np.ndarray
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    sources: list[str]
    source: np.ndarray
    roles: dict[str, str]


def assemble(parts: Sequence[RunPart], overrides: Mapping[str, tuple[str, ...]] | None = None,
             *, keep: str = "last") -> AssembledRuns:
    """Join parts into runs (split sub-runs), deduplicate, resolve roles, count per file."""
    by_run: dict[str, list[pd.DataFrame]] = {}
    hparams: dict[str, dict[str, Any]] = {}
    for part in parts:
        for run, frame in _split_subruns(part):
            by_run.setdefault(run, []).append(frame)
            if part.hparams:
                hparams.setdefault(run, {}).update(part.hparams)
    findings: list[Finding] = []
    columns: list[_RunColumns] = []
    accounting: list[pd.DataFrame] = []
    for run in sorted(by_run):
        run_columns, run_findings, run_accounting = _assemble_run(run, by_run[run], overrides, keep)
        columns.append(run_columns)
        findings.extend(run_findings)
        accounting.append(run_accounting)
    files = pd.concat(accounting, ignore_index=True) if accounting else _empty_accounting()
    return AssembledRuns(
        scalars=_concat_runs(columns),
        roles={c.run: c.roles for c in columns},
        hparams={run: hparams[run] for run in sorted(hparams)},
        files=files,
        findings=findings,
    )


def _split_subruns(part: RunPart):
    frame = part.scalars
    if "run" not in frame.columns:
        yield part.run, frame
        return
    subrun = frame["run"].astype("str").fillna("")
    for name, rows in frame.drop(columns="run").groupby(subrun.to_numpy(), sort=True):
        yield (f"{part.run}/{name}" if name else part.run), rows


def _assemble_run(run: str, frames: list[pd.DataFrame], overrides, keep: str):
    tags, tag = _sorted_codes(*_joint_codes([f["tag"] for f in frames]))
    sources, source = _sorted_codes(*_joint_codes([f["source"] for f in frames]))
    step = np.concatenate([f["step"].to_numpy(np.int64) for f in frames])
    wall_time = np.concatenate([f["wall_time"].to_numpy(np.float64) for f in frames])
    value = np.concatenate([f["value"].to_numpy(np.float64) for f in frames])
    order = np.lexsort((np.arange(len(step)), step, tag))
    findings = []
    if keep == "all":
        kept = order
    else:
        kept, rewritten = _newest_writes(order, tag, step, value)
        if len(rewritten):
            findings.append(_repeated_steps_finding(run, tags, tag, step, rewritten, len(step) - len(kept)))
    accounting = _account(run, sources, source, kept)
    kept_value = value[kept]
    non_finite = ~np.isfinite(kept_value)
    if non_finite.any():
        findings.append(_non_finite_finding(run, tags, tag[kept], step[kept], kept_value, non_finite))
    counts = np.bincount(tag[kept], minlength=len(tags))
    roles = resolve_roles({name: int(count) for name, count in zip(tags, counts) if count}, overrides)
    if "train_loss" not in roles and "val_loss" not in roles:
        listed = ", ".join(sorted(t for t, c in zip(tags, counts) if c)[:8]) or "none"
        findings.append(finding(
            "no-loss-curve",
            f"no tag was recognised as a training or validation loss (tags: {listed}). "
            "Name one with roles={'train_loss': TAG}.",
            run=run))
    columns = _RunColumns(run, tags, tag[kept], step[kept], wall_time[kept], value[kept], sources, source[kept], roles)
    return columns, findings, accounting


def _joint_codes(columns: list[pd.Series]) -> tuple[list[str], np.ndarray]:
    """Shared names and int32 codes for label columns of several frames (categorical or not)."""
    names: dict[str, int] = {}
    codes = []
    for column in columns:
        categorical = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("str").astype("category")
        local = categorical.cat.categories
        mapping = np.array([names.setdefault(str(name), len(names)) for name in local], dtype=np.int32)
        local_codes = categorical.cat.codes.to_numpy()
        codes.append(mapping[local_codes] if len(mapping) else local_codes.astype(np.int32))
    return list(names), (np.concatenate(codes) if codes else np.array([], dtype=np.int32))


def _sorted_codes(names: list[str], codes: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Renumber codes so that names are in sorted order (rows then sort by tag name)."""
    order = np.argsort(np.array(names, dtype=object), kind="stable")
    rank = np.empty(len(names), dtype=np.int32)
    rank[order] = np.arange(len(names), dtype=np.int32)
    return [names[i] for i in order], (rank[codes] if len(names) else codes)


def _newest_writes(order: np.ndarray, tag: np.ndarray, step: np.ndarray, value: np.ndarray):
    """Rows to keep (the last write of each tag and step, in sorted order), and the dropped
    rows whose value differs from the kept one: real rewrites, not exact repeats such as the
    ``epoch`` a trainer logs on both its train and its eval row of one step."""
    tag_sorted, step_sorted = tag[order], step[order]
    last_of_group = np.ones(len(order), dtype=bool)
    last_of_group[:-1] = (tag_sorted[1:] != tag_sorted[:-1]) | (step_sorted[1:] != step_sorted[:-1])
    kept = order[last_of_group]
    group = np.cumsum(np.r_[True, last_of_group[:-1]]) - 1
    dropped = order[~last_of_group]
    old, new = value[dropped], value[kept[group[~last_of_group]]]
    same = (old == new) | (np.isnan(old) & np.isnan(new))
    return kept, dropped[~same]


def _repeated_steps_finding(run, tags, tag, step, rewritten, dropped) -> Finding:
    steps = np.unique(step[rewritten])
    tag_names = sorted({tags[i] for i in np.unique(tag[rewritten])})
    shown = ", ".join(tag_names[:4]) + (f" and {len(tag_names) - 4} more" if len(tag_names) > 4 else "")
    repeats = dropped - len(rewritten)
    also = f"; {repeats} exact repeats of a kept value were dropped too" if repeats else ""
    return finding(
        "repeated-steps",
        f"{len(rewritten)} points at steps written again with another value (steps {steps[0]}–{steps[-1]}, tags {shown}) "
        f"were replaced by the newest write, as TensorBoard shows them{also}",
        run=run, count=len(rewritten), steps=tuple(int(s) for s in steps[:_MAX_STEPS_LISTED]))


def _non_finite_finding(run, tags, tag, step, value, non_finite) -> Finding:
    nan = int(np.isnan(value).sum())
    inf = int(non_finite.sum()) - nan
    first = int(np.argmin(np.where(non_finite, step, np.iinfo(np.int64).max)))
    kinds = " and ".join(part for part in (f"{nan} NaN" if nan else "", f"{inf} infinite" if inf else "") if part)
    return finding(
        "non-finite-values",
        f"{kinds} values kept as evidence; the first at step {step[first]} of {tags[tag[first]]!r}",
        run=run, count=int(non_finite.sum()), steps=(int(step[first]),))


def _account(run: str, sources: list[str], source: np.ndarray, kept: np.ndarray) -> pd.DataFrame:
    read = np.bincount(source, minlength=len(sources))
    kept_counts = np.bincount(source[kept], minlength=len(sources))
    return pd.DataFrame({
        "run": pd.Series([run] * len(sources), dtype="str"),
        "source": pd.Series(sources, dtype="str"),
        "rows_read": read.astype(np.int64),
        "rows_kept": kept_counts.astype(np.int64),
        "rows_replaced": (read - kept_counts).astype(np.int64),
    })


def _empty_accounting() -> pd.DataFrame:
    return pd.DataFrame({
        "run": pd.Series([], dtype="str"), "source": pd.Series([], dtype="str"),
        "rows_read": np.array([], np.int64), "rows_kept": np.array([], np.int64),
        "rows_replaced": np.array([], np.int64),
    })


def _concat_runs(columns: list[_RunColumns]) -> pd.DataFrame:
    """One frame with global categoricals, built from codes without materialising strings per row."""
    if not columns:
        return empty_scalars()
    tag_names: dict[str, int] = {}
    source_names: dict[str, int] = {}
    lengths = np.array([len(c.step) for c in columns])
    tag_codes, source_codes, role_codes = [], [], []
    role_index = {role: i for i, role in enumerate(ROLES)}
    for c in columns:
        tag_map = np.array([tag_names.setdefault(name, len(tag_names)) for name in c.tags] or [0], dtype=np.int32)
        source_map = np.array([source_names.setdefault(name, len(source_names)) for name in c.sources] or [0], dtype=np.int32)
        role_of_tag = np.full(max(len(c.tags), 1), -1, dtype=np.int8)
        for role, tag in c.roles.items():
            role_of_tag[c.tags.index(tag)] = role_index[role]
        tag_codes.append(tag_map[c.tag])
        source_codes.append(source_map[c.source])
        role_codes.append(role_of_tag[c.tag])
    frame = pd.DataFrame({
        "run": from_codes(np.repeat(np.arange(len(columns), dtype=np.int32), lengths), [c.run for c in columns]),
        "tag": from_codes(np.concatenate(tag_codes), list(tag_names)),
        "step": np.concatenate([c.step for c in columns]),
        "wall_time": np.concatenate([c.wall_time for c in columns]),
        "value": np.concatenate([c.value for c in columns]),
        "source": from_codes(np.concatenate(source_codes), list(source_names)),
        "role": from_codes(np.concatenate(role_codes), list(ROLES)),
    })
    return frame[list(SCALAR_COLUMNS)]
