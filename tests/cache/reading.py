"""Reading a log folder with and without the cache, and watching which bytes are read."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pandas as pd

from curvescope.assemble.read import ReadResult, read_sources
from curvescope.ingest import jsonlogs, lines, readers
from curvescope.ingest.discover import discover, relative_name
from curvescope.ingest.progress import Mark
from curvescope.ingest.tensorboard import batch
from curvescope.scale.cache import CacheLocation


def read_cached(root: Path, folder: Path) -> ReadResult:
    """``root`` read with the cache in ``folder``, opened and closed as an audit's task does."""
    cache = CacheLocation(folder).open()
    try:
        return _read(root, cache)
    finally:
        if cache is not None:
            cache.close()


def read_cold(root: Path) -> ReadResult:
    return _read(root, None)


def _read(root: Path, cache) -> ReadResult:
    found = discover(root, readers())
    return read_sources(found.sources, lambda name: None if name is None else relative_name(Path(name), root), cache=cache)


def assert_same(got: ReadResult, expected: ReadResult) -> None:
    """Equal in every part: the tidy frame (dtypes and categories included), findings, roles, hparams, files."""
    pd.testing.assert_frame_equal(got.scalars, expected.scalars)
    pd.testing.assert_frame_equal(got.files, expected.files)
    assert got.findings == expected.findings
    assert got.roles == expected.roles
    assert got.hparams == expected.hparams
    assert (got.runs, got.formats) == (expected.runs, expected.formats)


@dataclass
class Reads:
    """What readers read from disk: the bytes read on after each mark, and the files read whole."""

    tails: list[int] = field(default_factory=list)
    whole: int = 0


@contextmanager
def watched_reads() -> Iterator[Reads]:
    """Count the bytes read on after marks and the whole-file reads of event files, CSVs and JSON lines."""
    reads = Reads()
    read_on = Mark.read_on

    def counted_read_on(mark: Mark) -> bytes | None:
        data = read_on(mark)
        if data is not None:
            reads.tails.append(len(data))
        return data

    def counted(function):
        def whole(*args, **kwargs):
            reads.whole += 1
            return function(*args, **kwargs)

        return whole

    with (
        mock.patch.object(Mark, "read_on", counted_read_on),
        mock.patch.object(batch, "load", counted(batch.load)),
        mock.patch.object(lines, "csv_bytes", counted(lines.csv_bytes)),
        mock.patch.object(jsonlogs, "_lines_bytes", counted(jsonlogs._lines_bytes)),
    ):
        yield reads


def age(root: Path, seconds: float = 60) -> None:
    """Date every file below ``root`` ``seconds`` back, so that the cache takes it as settled."""
    then = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
