"""Segments of a log that restarted: where a tag's step goes back, a new session began.

A Keras ``CSVLogger(append=True)`` run again, a Lightning ``metrics.csv`` written on by a
resumed trainer, the event files of a run resumed from a checkpoint: one log, several sessions.
Drawn as one curve they zig-zag; keeping the newest write of each step splices two sessions
where the later one is shorter. So each tag's points are cut, in write order, into segments: a
new segment starts where the tag's step goes back (a step written again without going back is a
plain rewrite). Each restart of a run is then read from its reference curve (the training loss,
else the validation loss, else its longest tag, among those that restarted):

- **resumed**: the new segment starts after the old one's first step (from a checkpoint). As
  TensorBoard purges on a restart, the old segment's points at or after the restart step are
  dropped and the run is judged stitched.
- **restarted from scratch**: the new segment starts at (or before) the old one's first step and
  its first value is nearer the old first value than the old last. The run is judged on the
  segments from the last such restart on; the earlier ones are left out.
- **continued in place**: the step count started again but the curve goes on from the old last
  value (a second ``fit`` call on the same model). The run is judged stitched: the new segment's
  steps are shifted to follow the old one's.

Each run that restarted gets one ``restarted-log`` finding saying which view was judged and why.
The tidy frame's ``segment`` column keeps, for every point, the session it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..findings import Finding, finding
from .roles import resolve_roles

if TYPE_CHECKING:
    from .runs import _Columns

RESUMED, SCRATCH, CONTINUED = "resumed", "scratch", "continued"


@dataclass
class Segmented:
    """What segmenting found: every row's step (shifted where a continued segment was stitched),
    the rows left out of the judged view (None when none), each row's segment, and findings."""

    steps: np.ndarray
    left_out: np.ndarray | None
    segments: np.ndarray | None
    findings: list[Finding]

    def segment_of(self, rows: np.ndarray) -> np.ndarray:
        if self.segments is None:
            return np.zeros(len(rows), dtype=np.int32)
        return self.segments[rows].astype(np.int32)


@dataclass(frozen=True)
class _Restart:
    """One restart of a run's reference curve: how the new segment began, and what it was judged."""

    index: int
    kind: str
    step: int
    old_first: tuple[int, float]
    old_last: tuple[int, float]
    new_first: float


def segment(c: _Columns, overrides: Mapping[str, tuple[str, ...]] | None, *, judge: bool = True) -> Segmented:
    """Cut every (run, tag) into segments where its step goes back (after at least two points of
    the segment); with ``judge``, choose each restarted run's view (rows left out, steps shifted)
    and say which in a finding."""
    if len(c.step) < 2:
        return Segmented(c.step, None, None, [])
    key = c.run.astype(np.int64) * max(len(c.tags), 1) + c.tag
    written = np.argsort(key, kind="stable")  # each (run, tag) in write order
    k, steps = key[written], c.step[written]
    same = k[1:] == k[:-1]
    back = np.r_[False, same & (steps[1:] < steps[:-1])]
    if not back.any():
        return Segmented(c.step, None, None, [])
    starts = np.flatnonzero(np.r_[True, ~same])
    lengths = np.diff(np.r_[starts, len(k)])
    position = np.arange(len(k)) - np.repeat(starts, lengths)
    # a session has at least two points, so steps written in falling order are no restarts; and a
    # tag whose steps go back at more than a quarter of its points is written out of order, not restarted
    back &= (position >= 2) & ~np.r_[False, back[:-1]]
    unordered = np.add.reduceat(back.astype(np.int64), starts) * 4 > lengths
    back &= ~np.repeat(unordered, lengths)
    if not back.any():
        return Segmented(c.step, None, None, [])
    counted = np.cumsum(back)
    per_group = counted - np.repeat(counted[starts], lengths)
    segments = np.empty(len(k), dtype=np.int32)
    segments[written] = per_group
    if not judge:
        return Segmented(c.step, None, segments, [])
    shifted = c.step.copy()
    left_out = np.zeros(len(k), dtype=bool)
    findings = []
    restarted_runs = np.unique(c.run[written[back]])
    rows_of_runs = written[np.isin(c.run[written], restarted_runs)]  # per run, per tag, in write order
    run_of_rows = c.run[rows_of_runs]
    bounds = np.flatnonzero(np.r_[True, run_of_rows[1:] != run_of_rows[:-1], True])
    for start, end in zip(bounds[:-1], bounds[1:]):
        rows = rows_of_runs[start:end]
        findings.append(_judge_run(c, rows, segments, shifted, left_out, overrides))
    return Segmented(shifted, left_out, segments, findings)


def _judge_run(c, rows, segments, shifted, left_out, overrides) -> Finding:
    """Choose the view of one restarted run: mark rows left out and shift steps in place."""
    run = c.runs[int(c.run[rows[0]])]
    by_tag: dict[int, np.ndarray] = {}
    tag_of = c.tag[rows]
    for tag in np.unique(tag_of):
        by_tag[int(tag)] = rows[tag_of == tag]
    counts = {c.tags[tag]: len(tag_rows) for tag, tag_rows in by_tag.items()}
    restarted = {c.tags[tag] for tag, tag_rows in by_tag.items() if segments[tag_rows].max() > 0}
    roles = resolve_roles(counts, overrides)
    preferred = [roles.get("train_loss"), roles.get("val_loss")]
    name = next((tag for tag in preferred if tag in restarted), None) or max(restarted, key=lambda t: (counts[t], t))
    reference = by_tag[c.tags.index(name)]
    restarts = _restarts(c, reference, segments)
    first_kept = max((r.index for r in restarts if r.kind == SCRATCH), default=0)
    offsets = _offsets(c, reference, segments, restarts, first_kept)
    before, purged = 0, 0
    for tag_rows in by_tag.values():
        earlier, overlapped = _view(c, tag_rows, segments, restarts, first_kept, offsets, shifted, left_out)
        before, purged = before + earlier, purged + overlapped
    return _finding(run, name, restarts, first_kept, offsets, (before, purged), int(segments[reference].max()) + 1)


def _restarts(c, reference: np.ndarray, segments: np.ndarray) -> list[_Restart]:
    found = []
    seg = segments[reference]
    for index in range(1, int(seg.max()) + 1):
        old, new = reference[seg == index - 1], reference[seg == index]
        if not len(old) or not len(new):
            continue
        old_first, old_last, new_first = _point(c, old, 0), _point(c, old, -1), _point(c, new, 0)
        new_step = int(c.step[new[0]])
        if new_step > old_first[0]:
            kind = RESUMED
        elif abs(new_first[1] - old_first[1]) <= abs(new_first[1] - old_last[1]) or not np.isfinite(new_first[1]):
            kind = SCRATCH
        else:
            kind = CONTINUED
        found.append(_Restart(index, kind, new_step, old_first, old_last, new_first[1]))
    return found


def _point(c, rows: np.ndarray, at: int) -> tuple[int, float]:
    """The first (``at=0``) or last (``-1``) finite point of some rows, as (step, value); NaN when none is finite."""
    values = c.value[rows]
    finite = np.flatnonzero(np.isfinite(values))
    if not len(finite):
        return int(c.step[rows[at]]), float("nan")
    i = finite[at]
    return int(c.step[rows[i]]), float(values[i])


def _offsets(c, reference, segments, restarts, first_kept) -> dict[int, int]:
    """How far each continued segment's steps move so that they follow the view before it."""
    offsets: dict[int, int] = {}
    seg = segments[reference]
    shift = 0
    for restart in restarts:
        if restart.index <= first_kept:
            continue
        before = reference[(seg >= first_kept) & (seg < restart.index)]
        if restart.kind == CONTINUED and len(before):
            last = max(int(c.step[row]) + offsets.get(int(segments[row]), 0) for row in before[-1:])
            shift = last + 1 - restart.step
        elif restart.kind == RESUMED:
            shift = offsets.get(restart.index - 1, 0)
        offsets[restart.index] = shift
    return offsets


def _view(c, rows, segments, restarts, first_kept, offsets, shifted, left_out) -> tuple[int, int]:
    """One tag's view: segments before ``first_kept`` left out; a resumed segment purges the points
    before it at or after its first step; a continued one is shifted. Returns the points left out
    before the fresh start, and those purged."""
    seg = segments[rows]
    kinds = {r.index: r.kind for r in restarts}
    out = seg < first_kept
    earlier_sessions = int(out.sum())
    for index in range(first_kept + 1, int(seg.max()) + 1):
        new = rows[seg == index]
        if not len(new):
            continue
        shifted[new] = c.step[new] + offsets.get(index, 0)
        if kinds.get(index, RESUMED) == RESUMED:
            earlier = (seg >= first_kept) & (seg < index) & ~out
            out |= earlier & (shifted[rows] >= shifted[new[0]])
    left_out[rows[out]] = True
    return earlier_sessions, int(out.sum()) - earlier_sessions


def _finding(run, tag, restarts, first_kept, offsets, dropped, count) -> Finding:
    """Sessions are counted from 1 in words; the frame's ``segment`` column counts them from 0."""
    sessions = f"the log holds {count} sessions (the steps of {tag!r} go back {len(restarts)} time{'s' * (len(restarts) > 1)})"
    parts = []
    for r in restarts:
        where = f"session {r.index + 1} starts at step {r.step:,}"
        if r.kind == RESUMED:
            parts.append(f"{where}, after session {r.index}'s first step: resumed from a checkpoint")
        elif r.kind == SCRATCH:
            parts.append(
                f"{where} with {r.new_first:.4g}, near session {r.index}'s first value {r.old_first[1]:.4g}"
                f" (not its last, {r.old_last[1]:.4g}): restarted from scratch"
            )
        else:
            parts.append(
                f"{where} with {r.new_first:.4g}, near session {r.index}'s last value {r.old_last[1]:.4g}"
                f" (not its first, {r.old_first[1]:.4g}): continued in place, its steps shifted by {offsets.get(r.index, 0):,}"
            )
    stitched = any(r.index > first_kept for r in restarts)
    if first_kept and not stitched:
        judged = f"Judged on the last session (segment {first_kept})"
    elif first_kept:
        judged = f"Judged on sessions {first_kept + 1}–{count} stitched (segments {first_kept}–{count - 1})"
    else:
        judged = "Judged on the stitched run"
    before, purged = dropped
    left = (f"; {before} points of the earlier sessions left out" if before else "") + (
        f"; {purged} points at or after a resume's step purged, as TensorBoard does" if purged else ""
    )
    return finding(
        "restarted-log",
        f"{sessions}: {'; '.join(parts)}. {judged}{left}",
        run=run,
        count=len(restarts),
        steps=tuple(r.step for r in restarts[:5]),
    )
