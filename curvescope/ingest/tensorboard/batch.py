"""Many runs' event files read together into one frame, with TensorBoard's rule for scalars.

Files are laid out run after run, each run's files in write order, and read in one pass:
framing, checksums and decoding work on all their records at once. Then each value is
given its run-level tag (the Keras split folder as a prefix) and kept if it is a
``simple_value``, or a one-number tensor whose tag's first metadata in the run (across the
run's files, in order) marks a scalar.

Each read notes where it stopped in each file (``EventsProgress``), so that a run still being
written is read on from there (``resume_run``): only the records written since are decoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...findings import Finding, finding
from ...schema import appended, from_codes
from ..base import BatchRead, RunRead
from ..progress import Mark, Progress
from . import fast as fast_decoder
from . import slow as slow_decoder
from .records import Buffer, Findings, Records, frame, load, load_after
from .values import NOT_NUMBER, NUMBER, SIMPLE, Values, ascending
from .walk import FOOTER


@dataclass
class _Files:
    """The batch's files in reading order, with each file's run (``part``) and tag prefix."""

    paths: list[Path]
    sources: list[str]
    part: np.ndarray
    prefix: np.ndarray
    """Code into ``prefixes``."""
    prefixes: list[str]

    @classmethod
    def of(cls, runs: Sequence[tuple[Path, Sequence[Path]]]) -> _Files:
        paths, parts, prefix_codes = [], [], []
        prefixes: dict[str, int] = {}
        for part, (run_path, files) in enumerate(runs):
            run_path = Path(run_path)
            for path in _in_order(files):
                paths.append(path)
                parts.append(part)
                prefix_codes.append(prefixes.setdefault(_split_prefix(path, run_path), len(prefixes)))
        part, prefix = np.array(parts, dtype=np.int32), np.array(prefix_codes, dtype=np.int64)
        return cls(paths, [str(path) for path in paths], part, prefix, list(prefixes))


@dataclass
class _Read:
    """One buffer's values, with each value's file and run-level tag (its bytes are let go)."""

    record_file: np.ndarray
    """The file of each of the buffer's records."""
    values: Values
    file: np.ndarray
    tag: np.ndarray
    metadata_file: np.ndarray
    metadata_tag: np.ndarray
    marks: dict[int, Mark]
    """Where reading stopped in each file of the buffer."""


@dataclass(frozen=True)
class EventsProgress:
    """What reading on in a run's event files needs besides their marks: per file, the records
    read and values kept so far and whether they held hyperparameters; per tag, whether its first
    metadata marks a scalar; and the tags whose tensors no metadata has marked yet."""

    records: tuple[int, ...]
    kept: tuple[int, ...]
    hparams: tuple[bool, ...]
    scalar: dict[str, bool]
    unmarked: frozenset[str]

    def counts(self, count: int) -> _Counts:
        """The counts so far of ``count`` files: these files first, then new ones."""
        new = [0] * (count - len(self.records))
        return _Counts(
            np.array([*self.records, *new], dtype=np.int64),
            np.array([*self.kept, *new], dtype=np.int64),
            np.zeros(count, dtype=np.int64),
            {},
            np.array([*self.hparams, *new], dtype=bool),
        )

    def metadata_with(self, later: tuple[np.ndarray, np.ndarray], tags: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """Each tag's first metadata in one run (as ``_first_metadata`` gives it, keys being codes
        into ``tags``), from these and ``later``, that of the bytes read on; None when those hold
        the first metadata of a tag written before, or metadata that says otherwise than the first."""
        first = {tags[key]: scalar for key, scalar in zip(*(column.tolist() for column in later))}
        if any(tag in self.unmarked or self.scalar.get(tag, scalar) != scalar for tag, scalar in first.items()):
            return None
        codes = {tag: code for code, tag in enumerate(tags)}
        first.update((tag, scalar) for tag, scalar in self.scalar.items() if tag in codes)
        keys = sorted(codes[tag] for tag in first)
        return np.array(keys, dtype=np.int64), np.array([first[tags[key]] for key in keys], dtype=bool)


def read_batch(runs: Sequence[tuple[Path, Sequence[Path]]], *, verify_crc: bool = True, fast: bool = True) -> BatchRead:
    """Every scalar of every run, rows of each run in write order (file after file)."""
    files = _Files.of(runs)
    buffers, findings = load(files.paths)
    read, tags = _read_buffers(buffers, files, findings, verify_crc=verify_crc, fast=fast)
    batch = _Decoded.of(read, tags, files, findings, len(runs), _first_metadata(read, files, len(tags)))
    return BatchRead(batch.frame(), batch.findings, batch.hparams, batch.progress())


def resume_run(run_path: Path, paths: Sequence[Path], earlier: RunRead) -> RunRead | None:
    """The run read on from where ``earlier`` stopped: the bytes its files gained, and whole any
    file written after them (a restart). None when a file did more than grow, a new file sorts
    before an old one, or the new bytes would change what the earlier read decided (a tag's
    first metadata, the hyperparameters): then the run is read anew."""
    progress = earlier.resume
    state = progress.state if progress is not None else None
    files = _Files.of([(run_path, paths)])
    old = len(progress.marks) if isinstance(state, EventsProgress) else 0
    if not old or [mark.path for mark in progress.marks] != files.sources[:old]:
        return None
    before = state.counts(len(files.paths))
    loaded = load_after(files.paths, [*progress.marks, *[None] * (len(files.paths) - old)], before.records)
    if loaded is None:
        return None
    buffer, findings = loaded
    read, tags = _read_buffers([buffer], files, findings, verify_crc=True, fast=True)
    metadata = state.metadata_with(_first_metadata(read, files, len(tags)), tags)
    if metadata is None or any(part.values.hparams for part in read):
        return None
    batch = _Decoded.of(read, tags, files, findings, 1, metadata, before)
    scalars = _appended(earlier.scalars, batch.frame().drop(columns="part"), files.sources)
    return RunRead(scalars, batch.findings[0], dict(earlier.hparams), batch.progress(state)[0])


def _read_buffers(buffers: list[Buffer], files: _Files, findings: Findings, *, verify_crc: bool, fast: bool):
    """Each buffer framed and decoded (its bytes, a mapped file, released once decoded), and the run-level tags."""
    names: dict[str, int] = {}
    read = []
    buffers.reverse()
    while buffers:
        read.append(_read_buffer(buffers.pop(), files, names, findings, verify_crc=verify_crc, fast=fast))
    return read or [_NOTHING], list(names)


def _read_buffer(buffer: Buffer, files: _Files, names: dict[str, int], findings: Findings, *, verify_crc: bool, fast: bool):
    """One buffer framed and decoded; its framing findings added to ``findings``."""
    records, framing = frame(buffer, verify_crc=verify_crc)
    findings.update(framing)
    decode = fast_decoder.decode if fast else slow_decoder.decode
    values = decode(records) if len(records.starts) else Values.empty()
    return _named(records, values, files, names, _marks(buffer, records))


def _marks(buffer: Buffer, records: Records) -> dict[int, Mark]:
    """Where reading stopped in each file of the buffer: after its last complete record."""
    local = np.zeros(int(buffer.files.max(initial=-1)) + 1, dtype=np.int64)
    local[buffer.files] = np.arange(len(buffer.files))
    count = np.bincount(local[records.file], minlength=len(buffer.files))
    last = np.cumsum(count) - 1
    marks = {}
    with memoryview(buffer.data) as view:
        for i, file in enumerate(buffer.files.tolist()):
            begin, size = int(buffer.offsets[i]), int(buffer.sizes[i])
            end = int(records.starts[last[i]] + records.lengths[last[i]]) + FOOTER if count[i] else begin
            whole = view[begin : begin + size] if not buffer.skipped[i] else None
            marks[file] = Mark.of(buffer.sources[i], buffer.in_file(i, end), buffer.in_file(i, begin + size), whole)
    return marks


@dataclass
class _Decoded:
    """A batch's values under TensorBoard's rule for scalars, with each run's findings and hyperparameters."""

    read: list[_Read]
    rows: _Rows
    tags: list[str]
    files: _Files
    metadata: tuple[np.ndarray, np.ndarray]
    keep: np.ndarray
    counts: _Counts
    findings: list[list[Finding]]
    hparams: list[dict[str, Any]]
    resumable: np.ndarray

    @classmethod
    def of(
        cls,
        read: list[_Read],
        tags: list[str],
        files: _Files,
        findings: Findings,
        runs: int,
        metadata: tuple[np.ndarray, np.ndarray],
        before: _Counts | None = None,
    ) -> _Decoded:
        rows = _Rows.of(read)
        scalar = _of_scalar_tags(rows, files, len(tags), metadata)
        keep = (rows.kind == SIMPLE) | ((rows.kind == NUMBER) & scalar)
        skipped = np.flatnonzero((rows.kind == NOT_NUMBER) & scalar)
        counts = _Counts.of(read, rows, keep, len(files.paths), before)
        run_findings, hparams, resumable = _per_run(counts, rows, skipped, tags, findings, files, runs)
        return cls(read, rows, tags, files, metadata, keep, counts, run_findings, hparams, resumable)

    def frame(self) -> pd.DataFrame:
        return _frame(self.rows, self.keep, self.tags, self.files)

    def progress(self, earlier: EventsProgress | None = None) -> list[Progress | None]:
        """Where each run's read stopped; None for a run with a file that cannot be read on."""
        marks = {file: mark for part in self.read for file, mark in part.marks.items()}
        scalar, unmarked = self._tag_states(earlier)
        bounds = np.searchsorted(self.files.part, np.arange(len(self.findings) + 1)).tolist()
        progress: list[Progress | None] = []
        for part, (first, last) in enumerate(zip(bounds, bounds[1:])):
            files = range(first, last)
            if not all(self.resumable[file] and file in marks for file in files):
                progress.append(None)
                continue
            state = EventsProgress(
                tuple(self.counts.records[first:last].tolist()),
                tuple(self.counts.kept[first:last].tolist()),
                tuple(self.counts.held_hparams(file) for file in files),
                scalar[part],
                unmarked[part],
            )
            progress.append(Progress(tuple(marks[file] for file in files), state))
        return progress

    def _tag_states(self, earlier: EventsProgress | None) -> tuple[list[dict[str, bool]], list[frozenset[str]]]:
        """Per run: whether each tag's first metadata marks a scalar, and the tags whose tensors no metadata marked."""
        runs, tag_count = len(self.findings), len(self.tags)
        scalar = [dict(earlier.scalar) if earlier else {} for _ in range(runs)]
        for key, marked in zip(*(column.tolist() for column in self.metadata)):
            part, tag = divmod(key, tag_count)
            scalar[part][self.tags[tag]] = marked
        tensors = np.flatnonzero(self.rows.kind != SIMPLE)
        unmarked = [set(earlier.unmarked) if earlier else set() for _ in range(runs)]
        for key in np.unique(self.files.part[self.rows.file[tensors]] * np.int64(tag_count) + self.rows.tag[tensors]).tolist():
            part, tag = divmod(key, tag_count)
            unmarked[part].add(self.tags[tag])
        return scalar, [frozenset(tags - scalar[part].keys()) for part, tags in enumerate(unmarked)]


def _appended(earlier: pd.DataFrame, later: pd.DataFrame, sources: list[str]) -> pd.DataFrame:
    """Rows read on after ``earlier``'s, each file's after its earlier rows (files in ``sources``' order)."""
    joined = appended(earlier, later)
    source = joined["source"].array
    rank = np.array([sources.index(name) for name in source.categories], dtype=np.int64)[source.codes]
    return joined if ascending(rank) else joined.take(np.argsort(rank, kind="stable")).reset_index(drop=True)


def _in_order(files: Sequence[Path]) -> list[Path]:
    """Write order: event file names start with the time the writer opened them."""
    return sorted(map(Path, files), key=lambda path: (path.name, str(path)))


def _split_prefix(path: Path, run_path: Path) -> str:
    """``validation/`` for ``run/validation/events...``: the file's folder below the run."""
    if path.parent == run_path:
        return ""
    try:
        folder = path.parent.relative_to(run_path)
    except ValueError:
        return ""
    return "" if folder == Path(".") else folder.as_posix() + "/"


def _named(records: Records, values: Values, files: _Files, names: dict[str, int], marks: dict[int, Mark]) -> _Read:
    """The values' files, and their tags numbered in ``names`` as the run knows them (prefixed)."""
    file = records.file[values.record]
    metadata_file = records.file[values.metadata.record]
    raw = len(values.tags)
    pairs = [files.prefix[file] * raw + values.tag, files.prefix[metadata_file] * raw + values.metadata.tag]
    table = np.zeros(len(files.prefixes) * raw, dtype=np.int32)
    for pair in np.flatnonzero(np.bincount(np.concatenate(pairs), minlength=len(table))).tolist():
        prefix, tag = divmod(pair, raw)
        table[pair] = names.setdefault(files.prefixes[prefix] + values.tags[tag], len(names))
    return _Read(records.file, values, file, table[pairs[0]], metadata_file, table[pairs[1]], marks)


@dataclass
class _Rows:
    """The values of every buffer as columns, in file order (so each run's rows are in write order)."""

    file: np.ndarray
    tag: np.ndarray
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    kind: np.ndarray

    @classmethod
    def of(cls, read: list[_Read]) -> _Rows:
        columns = [
            [part.file, part.tag, part.values.step, part.values.wall_time, part.values.value, part.values.kind] for part in read
        ]
        if len(read) == 1:
            return cls(*columns[0])
        file = np.concatenate([part.file for part in read])
        order = None if ascending(file) else np.argsort(file, kind="stable")  # each file is in one buffer
        joined = [np.concatenate(column) for column in zip(*columns)]
        return cls(*(joined if order is None else [column[order] for column in joined]))


def _first_metadata(read: list[_Read], files: _Files, tag_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each (run, tag) key that carried metadata, in order, and whether its first metadata in the run
    (across the run's files, in order) marks a scalar."""
    file = np.concatenate([part.metadata_file for part in read])
    record = np.concatenate([part.values.metadata.record for part in read])
    order = np.lexsort((record, file))  # records of one file are all in one buffer
    key = (files.part[file] * np.int64(tag_count) + np.concatenate([part.metadata_tag for part in read]))[order]
    distinct, first = np.unique(key, return_index=True)
    return distinct, np.concatenate([part.values.metadata.scalar for part in read])[order][first].astype(bool)


def _of_scalar_tags(rows: _Rows, files: _Files, tag_count: int, metadata: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Whether each row's tag is a scalar tag of its run: its first metadata in the run says so."""
    scalar = np.zeros(len(rows.kind), dtype=bool)
    keys, first_scalar = metadata
    scalar_keys = keys[first_scalar]
    tensors = np.flatnonzero(rows.kind != SIMPLE)
    if not scalar_keys.size or not tensors.size:
        return scalar
    keys = files.part[rows.file[tensors]] * np.int64(tag_count) + rows.tag[tensors]
    at = np.minimum(np.searchsorted(scalar_keys, keys), len(scalar_keys) - 1)
    scalar[tensors] = scalar_keys[at] == keys
    return scalar


@dataclass
class _Counts:
    """Per file of a batch, earlier reads of it included: records read, values kept, records that
    are not events, the hyperparameters read now, and whether earlier reads found any."""

    records: np.ndarray
    kept: np.ndarray
    unparsed: np.ndarray
    hparams: dict[int, list[dict[str, Any]]]
    had_hparams: np.ndarray

    @classmethod
    def of(cls, read: list[_Read], rows: _Rows, keep: np.ndarray, count: int, before: _Counts | None = None) -> _Counts:
        before = before or cls.none(count)
        records, unparsed = before.records.copy(), np.zeros(count, dtype=np.int64)
        hparams: dict[int, list[dict[str, Any]]] = {}
        for part in read:
            records += np.bincount(part.record_file, minlength=count)
            unparsed += np.bincount(part.record_file[part.values.unparsed], minlength=count)
            for record, found in part.values.hparams:
                hparams.setdefault(int(part.record_file[record]), []).append(found)
        kept = before.kept + np.bincount(rows.file[keep], minlength=count)
        return cls(records, kept, unparsed, hparams, before.had_hparams)

    def held_hparams(self, file: int) -> bool:
        return file in self.hparams or bool(self.had_hparams[file])

    @classmethod
    def none(cls, count: int) -> _Counts:
        zeros = np.zeros(count, dtype=np.int64)
        return cls(zeros, zeros, zeros, {}, np.zeros(count, dtype=bool))


def _per_run(counts: _Counts, rows: _Rows, skipped, tags, findings: Findings, files: _Files, runs: int):
    """Each run's findings and hyperparameters, file after file, and whether each file can be read
    on later: nothing in it but complete events and at most a cut-off last record."""
    unsupported = _unsupported(rows, skipped, tags, files)
    run_findings: list[list[Finding]] = [[] for _ in range(runs)]
    run_hparams: list[dict[str, Any]] = [{} for _ in range(runs)]
    resumable = np.zeros(len(files.paths), dtype=bool)
    sources = files.sources
    for file, part in enumerate(files.part.tolist()):
        problems = findings.get(file, [])
        resumable[file] = (
            all(problem.name == "truncated-record" for problem in problems)
            and not counts.unparsed[file]
            and file not in unsupported
        )
        if counts.unparsed[file]:
            problems = [*problems, _not_events(int(counts.unparsed[file]), sources[file])]
        run_findings[part].extend(problems)
        run_findings[part].extend(unsupported.get(file, []))
        if not counts.kept[file] and not problems and not counts.held_hparams(file):
            run_findings[part].append(_nothing_read(int(counts.records[file]), sources[file]))
        for hparams in counts.hparams.get(file, []):
            run_hparams[part].update(hparams)
    return run_findings, run_hparams, resumable


def _unsupported(rows: _Rows, skipped: np.ndarray, tags: list[str], files: _Files) -> dict[int, list[Finding]]:
    """Per file: the values of scalar tags that are not one number."""
    by_file: dict[int, list[Finding]] = {}
    for file in np.unique(rows.file[skipped]).tolist():
        mine = skipped[rows.file[skipped] == file]
        names = sorted({tags[code] for code in rows.tag[mine].tolist()})
        by_file[file] = [
            finding(
                "unsupported-value",
                f"{mine.size} value(s) of scalar tag(s) {', '.join(names)} are not one number; they were skipped",
                source=files.sources[file],
                count=int(mine.size),
                steps=tuple(int(step) for step in rows.step[mine[:10]]),
            )
        ]
    return by_file


def _not_events(count: int, source: str) -> Finding:
    return finding(
        "corrupt-record",
        f"{count} record(s) passed their checksum but are not valid events; they were skipped",
        source=source,
        count=count,
    )


def _nothing_read(records: int, source: str) -> Finding:
    if records <= 1:
        return finding("empty-file", "the event file holds no events beyond its header", source=source)
    return finding(
        "ignored-file",
        f"the event file's {records} events hold no scalars (graphs, histograms, images or text only)",
        source=source,
    )


def _frame(rows: _Rows, keep: np.ndarray, tags: list[str], files: _Files) -> pd.DataFrame:
    """The reader frame plus ``part``, with tags no kept row uses left out of the categories."""
    kept = slice(None) if keep.all() else np.flatnonzero(keep)
    codes = rows.tag[kept]
    used = np.bincount(codes, minlength=len(tags)) > 0
    if not used.all():
        tags = [tag for tag, is_used in zip(tags, used.tolist()) if is_used]
        codes = (np.cumsum(used) - 1)[codes]
    file = rows.file[kept]
    columns = {
        "tag": pd.Categorical.from_codes(codes, dtype=_tag_dtype(tuple(tags)), validate=False),
        "step": rows.step[kept],
        "wall_time": rows.wall_time[kept],
        "value": rows.value[kept],
        "source": from_codes(file, files.sources),
        "part": files.part[file],
    }
    return pd.DataFrame(columns, copy=False)  # the columns are this frame's alone: no copy


@lru_cache(maxsize=1024)
def _tag_dtype(tags: tuple[str, ...]) -> pd.CategoricalDtype:
    """Batches of one experiment log the same tags: their categories are built once."""
    return pd.CategoricalDtype(pd.Index(list(tags), dtype="str"))


_NOTHING = _Read(
    np.zeros(0, dtype=np.int32),
    Values.empty(),
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.int32),
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.int32),
    {},
)
