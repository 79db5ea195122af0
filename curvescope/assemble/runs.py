"""Assemble runs: readers' frames in, one tidy scalars frame out.

Every reader's rows are joined in write order and handled together, whatever the number of
runs: a log whose steps go back (a restarted or resumed session appended to the same log)
is cut into segments and judged on the view its data supports (see ``segments``), each
repeated ``(run, tag, step)`` of that view keeps its newest write (what TensorBoard shows),
roles are resolved per run, and every point is counted per file (read, kept, replaced) so
nothing leaves without a trace. The work is vectorised over all runs at once: the cost of
a run is its points, not a fixed overhead per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..findings import Finding, finding
from ..scale.memory import release_free_memory
from ..schema import SCALAR_COLUMNS, empty_scalars, from_codes
from .derived import loss_scale_findings, sum_components
from .roles import ROLES, RoleChoice, TagStats, explain_roles
from .segments import Segmented, segment

_MAX_STEPS_LISTED = 5
_STEP_BITS = 40  # steps below 2**40 share one sort key with their run and tag


@dataclass
class Block:
    """Rows some reader read: reader columns with relative sources, and the run of each row
    as ``part`` (an index into ``runs``)."""

    scalars: pd.DataFrame
    runs: list[str]
    part: np.ndarray


@dataclass
class AssembledRuns:
    scalars: pd.DataFrame
    roles: dict[str, dict[str, str]]
    files: pd.DataFrame
    findings: list[Finding]
    explanations: dict[str, dict[str, RoleChoice]] = field(default_factory=dict)


@dataclass
class _Columns:
    """All rows as integer codes into shared names, in write order."""

    runs: list[str]
    run: np.ndarray
    tags: list[str]
    tag: np.ndarray
    sources: list[str]
    source: np.ndarray
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray


def block_of_run(run: str, scalars: pd.DataFrame) -> Block:
    """A block for one run's frame; an optional ``run`` column names sub-runs (``run/<name>``)."""
    if "run" not in scalars.columns:
        return Block(scalars, [run], np.zeros(len(scalars), dtype=np.int32))
    names = scalars["run"].astype("str").fillna("")
    subruns, part = np.unique(names.to_numpy(dtype=object), return_inverse=True)
    runs = [f"{run}/{name}" if name else run for name in subruns]
    return Block(scalars.drop(columns="run"), runs, part.astype(np.int32))


def assemble(
    blocks: list[Block],
    overrides: Mapping[str, tuple[str, ...]] | None = None,
    *,
    keep: str = "last",
    source_name: Callable[[str], str] = str,
) -> AssembledRuns:
    """Join blocks into runs, deduplicate, resolve roles, count per file, report findings.

    ``blocks`` is emptied as it is joined, so that readers' frames are freed early.
    ``source_name`` turns a reader's file name into the one reported (relative to the logdir)."""
    columns = _join(blocks, source_name)
    release_free_memory()
    order = _sorted_order(columns)
    segmented = Segmented(columns.step, None, None, [])
    if _written_out_of_order(order, columns):  # only then can a step have gone back
        segmented = segment(columns, overrides, judge=keep != "all")
        columns.step = segmented.steps
        order = _sorted_order(columns)
    findings: list[Finding] = list(segmented.findings)
    if keep == "all":
        kept = order
    else:
        if segmented.left_out is not None:
            order = order[~segmented.left_out[order]]
        kept, rewritten = _newest_writes(order, columns)
        del order
        release_free_memory()
        findings.extend(_repeated_steps_findings(columns, rewritten, kept))
    findings.extend(_non_finite_findings(columns, kept))
    roles, explanations, role_of_row, role_findings = _roles(columns, kept, overrides)
    findings.extend(role_findings)
    files = _accounting(columns, kept)
    scalars = sum_components(_frame(columns, kept, role_of_row, segmented), roles, explanations, overrides or {})
    findings.extend(loss_scale_findings(scalars, roles))
    return AssembledRuns(
        scalars=scalars,
        roles=roles,
        files=files,
        findings=sorted(findings, key=lambda f: (f.run or "", f.code)),
        explanations=explanations,
    )


def _join(blocks: list[Block], source_name: Callable[[str], str]) -> _Columns:
    """Concatenate blocks into integer-coded columns; run, tag and source codes follow sorted names.

    Consumes ``blocks``: each block's frame is let go once its columns are joined, so that the
    readers' frames and the joined columns are not all held at once."""
    run_names = sorted({name for block in blocks for name in block.runs})
    run_index = {name: i for i, name in enumerate(run_names)}
    tag_names, source_names = _NameTable(), _NameTable(source_name)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ("run", "tag", "source", "step", "wall_time", "value")}
    while blocks:
        block = blocks.pop(0)
        frame = block.scalars
        parts["run"].append(np.array([run_index[name] for name in block.runs], dtype=np.int32)[block.part])
        parts["tag"].append(tag_names.codes(frame["tag"]))
        parts["source"].append(source_names.codes(frame["source"]))
        for name, dtype in (("step", np.int64), ("wall_time", np.float64), ("value", np.float64)):
            parts[name].append(frame[name].to_numpy(dtype))
        del block, frame
    tags, tag_rank = tag_names.sorted()
    sources, source_rank = source_names.sorted()
    return _Columns(
        runs=run_names,
        run=_concatenate(parts.pop("run"), np.int32).astype(_code_dtype(len(run_names))),
        tags=tags,
        tag=tag_rank[_concatenate(parts.pop("tag"), np.int32)],
        sources=sources,
        source=source_rank[_concatenate(parts.pop("source"), np.int32)],
        step=_concatenate(parts.pop("step"), np.int64),
        wall_time=_concatenate(parts.pop("wall_time"), np.float64),
        value=_concatenate(parts.pop("value"), np.float64),
    )


def _concatenate(parts: list[np.ndarray], dtype) -> np.ndarray:
    """One array of the parts; a single part as it is, without a copy."""
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _code_dtype(count: int) -> np.dtype:
    """The smallest unsigned integer type that holds codes for ``count`` names."""
    return np.min_scalar_type(max(count - 1, 0))


class _NameTable:
    """Names seen across blocks, each with one code."""

    def __init__(self, rename: Callable[[str], str] = str) -> None:
        self.index: dict[str, int] = {}
        self.rename = rename

    def codes(self, column: pd.Series) -> np.ndarray:
        labels = column.array if isinstance(column.dtype, pd.CategoricalDtype) else pd.Categorical(column.astype("str"))
        mapping = np.array(
            [self.index.setdefault(self.rename(str(name)), len(self.index)) for name in labels.categories] or [0], dtype=np.int32
        )
        return mapping[labels.codes]

    def sorted(self) -> tuple[list[str], np.ndarray]:
        """Names in sorted order, and each old code's new code."""
        names = list(self.index)
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.zeros(max(len(names), 1), dtype=_code_dtype(len(names)))
        rank[order] = np.arange(len(names))
        return [names[i] for i in order], rank


def _sorted_order(c: _Columns) -> np.ndarray:
    """Row order by run, tag, step, then write order (a stable sort keeps writes in order)."""
    key = c.run.astype(np.int64)
    key *= max(len(c.tags), 1)
    key += c.tag
    if len(key) and c.step.min() >= 0 and c.step.max() < 2**_STEP_BITS and key.max() < 2 ** (63 - _STEP_BITS):
        key <<= _STEP_BITS
        key |= c.step
        return np.argsort(key, kind="stable")
    return np.lexsort((c.step, key))


def _written_out_of_order(order: np.ndarray, c: _Columns) -> bool:
    """Whether some tag of some run has a step written after a higher one: rows sorted by run,
    tag and step (then write order) are then not in write order within their tag."""
    if len(order) < 2:
        return False
    same = (c.run[order[1:]] == c.run[order[:-1]]) & (c.tag[order[1:]] == c.tag[order[:-1]])
    return bool((same & (order[1:] < order[:-1])).any())


def _same_point(c: _Columns, sorted_rows: np.ndarray) -> np.ndarray:
    """For sorted rows: whether each row has the same run, tag and step as the next."""
    run, tag, step = c.run[sorted_rows], c.tag[sorted_rows], c.step[sorted_rows]
    return (run[1:] == run[:-1]) & (tag[1:] == tag[:-1]) & (step[1:] == step[:-1])


def _newest_writes(order: np.ndarray, c: _Columns) -> tuple[np.ndarray, np.ndarray]:
    """Rows to keep (the last write of each point, in sorted order), and the dropped rows
    whose value differs from the kept one: real rewrites, not exact repeats such as the
    ``epoch`` a trainer logs on both its train and its eval row of one step."""
    last_of_point = np.ones(len(order), dtype=bool)
    last_of_point[:-1] = ~_same_point(c, order)
    kept = order[last_of_point]
    point = np.cumsum(np.r_[True, last_of_point[:-1]]) - 1 if len(order) else order
    dropped = order[~last_of_point]
    old, new = c.value[dropped], c.value[kept[point[~last_of_point]]]
    same = (old == new) | (np.isnan(old) & np.isnan(new))
    return kept, dropped[~same]


def _repeated_steps_findings(c: _Columns, rewritten: np.ndarray, kept: np.ndarray) -> list[Finding]:
    dropped_per_run = np.bincount(c.run, minlength=len(c.runs)) - np.bincount(c.run[kept], minlength=len(c.runs))
    findings = []
    for run in np.unique(c.run[rewritten]):
        rows = rewritten[c.run[rewritten] == run]
        steps = np.unique(c.step[rows])
        tag_names = [c.tags[i] for i in np.unique(c.tag[rows])]
        shown = ", ".join(tag_names[:4]) + (f" and {len(tag_names) - 4} more" if len(tag_names) > 4 else "")
        repeats = int(dropped_per_run[run]) - len(rows)
        also = f"; {repeats} exact repeats of a kept value were dropped too" if repeats else ""
        findings.append(
            finding(
                "repeated-steps",
                f"{len(rows)} points at steps written again with another value (steps {steps[0]}–{steps[-1]}, tags {shown}) "
                f"were replaced by the newest write, as TensorBoard shows them{also}",
                run=c.runs[run],
                count=len(rows),
                steps=tuple(int(s) for s in steps[:_MAX_STEPS_LISTED]),
            )
        )
    return findings


def _non_finite_findings(c: _Columns, kept: np.ndarray) -> list[Finding]:
    rows = kept[~np.isfinite(c.value[kept])]
    findings = []
    for run in np.unique(c.run[rows]):
        of_run = rows[c.run[rows] == run]
        values = c.value[of_run]
        nan = int(np.isnan(values).sum())
        inf = len(of_run) - nan
        first = of_run[np.argmin(c.step[of_run])]
        kinds = " and ".join(part for part in (f"{nan} NaN" if nan else "", f"{inf} infinite" if inf else "") if part)
        findings.append(
            finding(
                "non-finite-values",
                f"{kinds} values kept as evidence; the first at step {c.step[first]} of {c.tags[c.tag[first]]!r}",
                run=c.runs[run],
                count=len(of_run),
                steps=(int(c.step[first]),),
            )
        )
    return findings


def _roles(c: _Columns, kept: np.ndarray, overrides):
    """Each run's roles and their explanation, the role code of each kept row (-1 for none), and no-loss findings."""
    pairs, row_pair, counts = _runs_of_equal(c.run[kept].astype(np.int64) * max(len(c.tags), 1) + c.tag[kept])
    pair_run, pair_tag = np.divmod(pairs, max(len(c.tags), 1))
    finite, low, high = _ranges(c.value[kept], counts)
    role_of_pair = np.full(len(pairs), -1, dtype=np.int8)
    role_index = {role: i for i, role in enumerate(ROLES)}
    roles: dict[str, dict[str, str]] = {}
    explanations: dict[str, dict[str, RoleChoice]] = {}
    findings = []
    bounds = np.searchsorted(pair_run, np.arange(len(c.runs) + 1))
    for run, name in enumerate(c.runs):
        start, end = bounds[run], bounds[run + 1]
        tag_stats = {
            c.tags[pair_tag[i]]: TagStats(int(counts[i]), int(finite[i]), float(low[i]), float(high[i]))
            for i in range(start, end)
        }
        explained = explain_roles(tag_stats, overrides)
        chosen = {role: choice.tag for role, choice in explained.items() if choice.tag is not None}
        roles[name], explanations[name] = chosen, explained
        position = {c.tags[t]: start + i for i, t in enumerate(pair_tag[start:end])}
        for role, tag in chosen.items():
            role_of_pair[position[tag]] = role_index[role]
        if "train_loss" not in chosen and "val_loss" not in chosen:
            listed = ", ".join(sorted(tag_stats)[:8]) or "none"
            refused = [
                f"{tag} ({why})"
                for role in ("train_loss", "val_loss")
                if role in explained
                for tag, why in explained[role].others
            ]
            also = f"; refused: {', '.join(refused[:4])}" if refused else ""
            findings.append(
                finding(
                    "no-loss-curve",
                    f"no tag was recognised as a training or validation loss (tags: {listed}){also}. "
                    "Name one with roles={'train_loss': TAG}.",
                    run=name,
                )
            )
    return roles, explanations, role_of_pair[row_pair] if len(kept) else np.zeros(0, np.int8), findings


def _ranges(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per run of ``counts`` consecutive values: how many are finite, and the lowest and highest finite one."""
    if not len(counts):
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    ok = np.isfinite(values)
    finite = np.add.reduceat(ok.astype(np.int64), starts)
    low = np.minimum.reduceat(np.where(ok, values, np.inf), starts)
    high = np.maximum.reduceat(np.where(ok, values, -np.inf), starts)
    return finite, low, high


def _runs_of_equal(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(..., return_inverse=True, return_counts=True)`` for values already sorted, without a sort."""
    if not len(sorted_values):
        return sorted_values, np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    inverse = np.zeros(len(sorted_values), dtype=np.int32 if len(starts) < 2**31 else np.int64)
    inverse[starts[1:]] = 1
    np.cumsum(inverse, out=inverse)
    return sorted_values[starts], inverse, np.diff(np.r_[starts, len(sorted_values)])


def _frame(c: _Columns, kept: np.ndarray, role_of_row: np.ndarray, segmented: Segmented) -> pd.DataFrame:
    """The tidy frame of the kept rows. Consumes ``c``: each column is let go once gathered."""
    if not len(kept):
        return empty_scalars()
    segment_of_row = segmented.segment_of(kept)
    names = {"run": c.runs, "tag": c.tags, "source": c.sources}
    columns = {}
    for name in ("run", "tag", "step", "wall_time", "value", "source"):
        gathered = getattr(c, name)[kept]
        setattr(c, name, None)
        columns[name] = from_codes(gathered, names[name]) if name in names else gathered
    columns["role"] = from_codes(role_of_row, list(ROLES))
    columns["segment"] = segment_of_row
    return pd.DataFrame({name: columns[name] for name in SCALAR_COLUMNS}, copy=False)


def _accounting(c: _Columns, kept: np.ndarray) -> pd.DataFrame:
    """Per run and file: rows read, kept, and replaced by a newer write of the same point."""
    width = max(len(c.sources), 1)
    pair = c.run.astype(np.int64) * width + c.source
    if len(c.runs) * width <= 2**22:  # few enough pairs to count directly
        read_all = np.bincount(pair, minlength=len(c.runs) * width)
        kept_all = np.bincount(pair[kept], minlength=len(c.runs) * width)
        pairs = np.flatnonzero(read_all)
        read, kept_counts = read_all[pairs], kept_all[pairs]
    else:
        pairs, read = np.unique(pair, return_counts=True)
        kept_counts = np.bincount(np.searchsorted(pairs, pair[kept]), minlength=len(pairs))
    run, source = np.divmod(pairs, width)
    return pd.DataFrame(
        {
            "run": pd.Series([c.runs[i] for i in run], dtype="str"),
            "source": pd.Series([c.sources[i] for i in source], dtype="str"),
            "rows_read": read.astype(np.int64),
            "rows_kept": kept_counts.astype(np.int64),
            "rows_replaced": (read - kept_counts).astype(np.int64),
        }
    )
