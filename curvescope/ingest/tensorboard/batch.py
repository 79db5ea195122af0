"""Many runs' event files read together into one frame, with TensorBoard's rule for scalars.

Files are laid out run after run, each run's files in write order, and read in one pass:
framing, checksums and decoding work on all their records at once. Then each value is
given its run-level tag (the Keras split folder as a prefix) and kept if it is a
``simple_value``, or a one-number tensor whose tag's first metadata in the run (across the
run's files, in order) marks a scalar.
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
from ...schema import from_codes
from ..base import BatchRead
from . import fast as fast_decoder
from . import slow as slow_decoder
from .records import Buffer, Findings, Records, frame, load
from .values import NOT_NUMBER, NUMBER, SIMPLE, Values, ascending


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


def read_batch(runs: Sequence[tuple[Path, Sequence[Path]]], *, verify_crc: bool = True, fast: bool = True) -> BatchRead:
    """Every scalar of every run, rows of each run in write order (file after file)."""
    files = _Files.of(runs)
    buffers, findings = load(files.paths)
    names: dict[str, int] = {}
    read = []
    buffers.reverse()
    while buffers:  # each buffer's bytes (a mapped file) are released once decoded
        read.append(_read_buffer(buffers.pop(), files, names, findings, verify_crc=verify_crc, fast=fast))
    read = read or [_NOTHING]
    rows = _Rows.of(read)
    scalar = _of_scalar_tags(rows, read, files, len(names))
    keep = (rows.kind == SIMPLE) | ((rows.kind == NUMBER) & scalar)
    skipped = np.flatnonzero((rows.kind == NOT_NUMBER) & scalar)
    tags = list(names)
    run_findings, hparams = _per_run(read, rows, keep, skipped, tags, findings, files, len(runs))
    return BatchRead(scalars=_frame(rows, keep, tags, files), findings=run_findings, hparams=hparams)


def _read_buffer(buffer: Buffer, files: _Files, names: dict[str, int], findings: Findings, *, verify_crc: bool, fast: bool):
    """One buffer framed and decoded; its framing findings added to ``findings``."""
    records, framing = frame(buffer, verify_crc=verify_crc)
    findings.update(framing)
    decode = fast_decoder.decode if fast else slow_decoder.decode
    values = decode(records) if len(records.starts) else Values.empty()
    return _named(records, values, files, names)


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


def _named(records: Records, values: Values, files: _Files, names: dict[str, int]) -> _Read:
    """The values' files, and their tags numbered in ``names`` as the run knows them (prefixed)."""
    file = records.file[values.record]
    metadata_file = records.file[values.metadata.record]
    raw = len(values.tags)
    pairs = [files.prefix[file] * raw + values.tag, files.prefix[metadata_file] * raw + values.metadata.tag]
    table = np.zeros(len(files.prefixes) * raw, dtype=np.int32)
    for pair in np.flatnonzero(np.bincount(np.concatenate(pairs), minlength=len(table))).tolist():
        prefix, tag = divmod(pair, raw)
        table[pair] = names.setdefault(files.prefixes[prefix] + values.tags[tag], len(names))
    return _Read(records.file, values, file, table[pairs[0]], metadata_file, table[pairs[1]])


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
            [part.file, part.tag, part.values.step, part.values.wall_time, part.values.value, part.values.kind]
            for part in read
        ]
        if len(read) == 1:
            return cls(*columns[0])
        file = np.concatenate([part.file for part in read])
        order = None if ascending(file) else np.argsort(file, kind="stable")  # each file is in one buffer
        joined = [np.concatenate(column) for column in zip(*columns)]
        return cls(*(joined if order is None else [column[order] for column in joined]))


def _of_scalar_tags(rows: _Rows, read: list[_Read], files: _Files, tag_count: int) -> np.ndarray:
    """Whether each row's tag is a scalar tag of its run: its first metadata in the run says so."""
    scalar = np.zeros(len(rows.kind), dtype=bool)
    file = np.concatenate([part.metadata_file for part in read])
    record = np.concatenate([part.values.metadata.record for part in read])
    order = np.lexsort((record, file))  # records of one file are all in one buffer
    key = (files.part[file] * np.int64(tag_count) + np.concatenate([part.metadata_tag for part in read]))[order]
    distinct, first = np.unique(key, return_index=True)
    scalar_keys = distinct[np.concatenate([part.values.metadata.scalar for part in read])[order][first]]
    tensors = np.flatnonzero(rows.kind != SIMPLE)
    if not scalar_keys.size or not tensors.size:
        return scalar
    keys = files.part[rows.file[tensors]] * np.int64(tag_count) + rows.tag[tensors]
    at = np.minimum(np.searchsorted(scalar_keys, keys), len(scalar_keys) - 1)
    scalar[tensors] = scalar_keys[at] == keys
    return scalar


def _per_run(read, rows: _Rows, keep, skipped, tags, findings: Findings, files: _Files, runs: int):
    """Each run's findings and hyperparameters, file after file."""
    count = len(files.paths)
    records = np.zeros(count, dtype=np.int64)
    unparsed = np.zeros(count, dtype=np.int64)
    file_hparams: dict[int, list[dict[str, Any]]] = {}
    for part in read:
        records += np.bincount(part.record_file, minlength=count)
        unparsed += np.bincount(part.record_file[part.values.unparsed], minlength=count)
        for record, hparams in part.values.hparams:
            file_hparams.setdefault(int(part.record_file[record]), []).append(hparams)
    kept = np.bincount(rows.file[keep], minlength=count)
    unsupported = _unsupported(rows, skipped, tags, files)
    run_findings: list[list[Finding]] = [[] for _ in range(runs)]
    run_hparams: list[dict[str, Any]] = [{} for _ in range(runs)]
    sources = files.sources
    for file, part in enumerate(files.part.tolist()):
        problems = findings.get(file, [])
        if unparsed[file]:
            problems = [*problems, _not_events(int(unparsed[file]), sources[file])]
        run_findings[part].extend(problems)
        run_findings[part].extend(unsupported.get(file, []))
        if not kept[file] and not problems and file not in file_hparams:
            run_findings[part].append(_nothing_read(int(records[file]), sources[file]))
        for hparams in file_hparams.get(file, []):
            run_hparams[part].update(hparams)
    return run_findings, run_hparams


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
)
