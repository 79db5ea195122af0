"""One run's event files into one frame, with TensorBoard's rule for which values are scalars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ...findings import Finding, finding
from ...schema import from_codes, reader_frame
from ..base import RunRead
from . import fast as fast_decoder
from . import slow as slow_decoder
from .records import read_records
from .values import NOT_NUMBER, NUMBER, SIMPLE, Values


@dataclass
class _File:
    source: str
    values: Values
    records: int
    findings: list[Finding]


def read_run(run_path: Path, files: Sequence[Path], *, verify_crc: bool = True, fast: bool = True) -> RunRead:
    """Every scalar of the run's files, file after file, each in write order."""
    read = [_read_file(Path(path), Path(run_path), verify_crc=verify_crc, fast=fast) for path in _in_order(files)]
    tags: dict[str, int] = {}
    scalar_tag: dict[str, bool] = {}
    for file in read:
        for tag, (_, scalar) in sorted(file.values.first_metadata.items(), key=lambda item: item[1][0]):
            scalar_tag.setdefault(tag, scalar)
    kept = []
    findings: list[Finding] = []
    hparams: dict = {}
    for index, file in enumerate(read):
        values = file.values
        remap = np.array([tags.setdefault(tag, len(tags)) for tag in values.tags], dtype=np.int32)
        is_scalar = np.array([scalar_tag.get(tag, False) for tag in values.tags], dtype=bool)
        of_scalar_tag = is_scalar[values.tag] if len(values.tags) else np.zeros(0, dtype=bool)
        keep = (values.kind == SIMPLE) | ((values.kind == NUMBER) & of_scalar_tag)
        rows = slice(None) if keep.all() else np.flatnonzero(keep)
        kept.append((remap[values.tag[rows]] if len(remap) else values.tag, values, rows, index))
        findings.extend(file.findings)
        findings.extend(_unsupported(values, of_scalar_tag, file.source))
        if not keep.any() and not file.findings and not values.hparams:
            findings.append(_nothing_read(file))
        hparams.update(values.hparams)
    return RunRead(scalars=_frame(kept, list(tags), [file.source for file in read]), findings=findings, hparams=hparams)


def _in_order(files: Sequence[Path]) -> list[Path]:
    """Write order: event file names start with the time the writer opened them."""
    return sorted(files, key=lambda path: (Path(path).name, str(path)))


def _read_file(path: Path, run_path: Path, *, verify_crc: bool, fast: bool) -> _File:
    source = str(path)
    records = read_records(path, verify_crc=verify_crc)
    decode = fast_decoder.decode if fast else slow_decoder.decode
    values = decode(records, source=source) if len(records.starts) else Values.empty()
    prefix = _split_prefix(path, run_path)
    if prefix:
        values.tags = [prefix + tag for tag in values.tags]
        values.first_metadata = {prefix + tag: where for tag, where in values.first_metadata.items()}
    return _File(source, values, len(records.starts), records.findings + values.findings)


def _split_prefix(path: Path, run_path: Path) -> str:
    """``validation/`` for ``run/validation/events...``: the file's folder below the run."""
    try:
        folder = path.parent.relative_to(run_path)
    except ValueError:
        return ""
    return "" if folder == Path(".") else folder.as_posix() + "/"


def _unsupported(values: Values, of_scalar_tag: np.ndarray, source: str) -> list[Finding]:
    skipped = np.flatnonzero((values.kind == NOT_NUMBER) & of_scalar_tag)
    if not skipped.size:
        return []
    names = sorted({values.tags[code] for code in values.tag[skipped]})
    return [
        finding(
            "unsupported-value",
            f"{skipped.size} value(s) of scalar tag(s) {', '.join(names)} are not one number; they were skipped",
            source=source,
            count=int(skipped.size),
            steps=tuple(int(step) for step in values.step[skipped[:10]]),
        )
    ]


def _nothing_read(file: _File) -> Finding:
    if file.records <= 1:
        return finding("empty-file", "the event file holds no events beyond its header", source=file.source)
    return finding(
        "ignored-file",
        f"the event file's {file.records} events hold no scalars (graphs, histograms, images or text only)",
        source=file.source,
    )


def _frame(kept, tags: list[str], sources: list[str]):
    """The reader frame, with tags that no kept row uses left out of the categories."""
    codes = np.concatenate([code for code, *_ in kept]) if kept else np.zeros(0, dtype=np.int32)

    def column(name):
        if len(kept) == 1:
            _, values, rows, _ = kept[0]
            return getattr(values, name)[rows]
        return np.concatenate([getattr(values, name)[rows] for _, values, rows, _ in kept]) if kept else []

    used = np.zeros(len(tags) + 1, dtype=bool)
    used[codes] = True
    if not used[: len(tags)].all():
        renumber = np.cumsum(used) - 1
        tags = [tag for tag, is_used in zip(tags, used) if is_used]
        codes = renumber[codes].astype(np.int32)
    source_codes = np.concatenate([np.full(len(code), index, dtype=np.int32) for code, _, _, index in kept]) if kept else codes
    return reader_frame(
        pd.Categorical.from_codes(codes, dtype=_tag_dtype(tuple(tags)), validate=False),
        column("step"),
        column("wall_time"),
        column("value"),
        from_codes(source_codes, sources),
    )


@lru_cache(maxsize=1024)
def _tag_dtype(tags: tuple[str, ...]) -> pd.CategoricalDtype:
    """Runs of one experiment log the same tags: their categories are built once."""
    return pd.CategoricalDtype(pd.Index(list(tags), dtype="str"))
