"""The reader interface and the registry of readers.

A reader knows one log format. Discovery asks each registered reader, in order, whether it
reads a file (``sniff``); the first that says yes owns the file. Files are grouped into runs
by ``run_path``; each run's files go to ``read`` together, in name order, so a reader can
merge restarts or pick the newest of several copies. Adding a format is adding a reader:
no other reader changes. Third-party readers register through the ``curvescope.readers``
entry-point group (the object it names: a reader instance or a class to instantiate).
A reader may describe itself for the README's formats table with a ``row`` (``FormatRow``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import pandas as pd

from ..errors import PluginError
from ..findings import Finding
from ..plugins import PluginGroup
from ..schema import empty_reader_frame
from .progress import Progress

ENTRY_POINT_GROUP = "curvescope.readers"


@dataclass
class RunRead:
    """What a reader read for one run.

    ``scalars`` has the reader columns (``tag, step, wall_time, value, source``; ``source``
    is the file's path as given) in write order: the order points were written, so that the
    newest write of a repeated step is the last one. An optional ``run`` column names
    sub-runs (a long CSV with a ``run`` column holds several runs in one file).
    ``resume``: where a ``Resumable`` reader stopped, to read on from there (None: read anew).
    """

    scalars: pd.DataFrame = field(default_factory=empty_reader_frame)
    findings: list[Finding] = field(default_factory=list)
    hparams: dict[str, Any] = field(default_factory=dict)
    resume: Progress | None = None


@dataclass
class BatchRead:
    """What a reader read for several runs at once (see ``BatchReader``).

    ``scalars`` has the reader columns plus ``part``: int32, the index of the run (in the
    sequence the reader was given) each row belongs to; rows of one part are in write order.
    ``findings``, ``hparams`` and ``resume`` (when the reader is ``Resumable``) hold one entry per part.
    """

    scalars: pd.DataFrame
    findings: list[list[Finding]]
    hparams: list[dict[str, Any]]
    resume: list[Progress | None] = field(default_factory=list)


@runtime_checkable
class BatchReader(Protocol):
    """A reader that reads many runs faster together than one by one (optional)."""

    def read_batch(self, runs: Sequence[tuple[Path, Sequence[Path]]]) -> BatchRead:
        """Read each ``(run_path, files)`` as ``read`` would, in one pass over all of them."""
        ...


@runtime_checkable
class Resumable(Protocol):
    """A reader that reads on where an earlier read of a run stopped, once its files only grew (optional).

    Its reads leave in ``RunRead.resume`` where they stopped in each file."""

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        """The run as ``read`` would read it now, from ``earlier`` and the bytes written since;
        None when a file did more than grow (then the run is read anew)."""
        ...


@runtime_checkable
class Reader(Protocol):
    """One log format."""

    name: ClassVar[str]
    per_file: ClassVar[bool]
    """True for formats that hold one run per file (a CSV log); when several such files share
    a directory, each file is its own run, named by its path."""

    def sniff(self, path: Path) -> bool:
        """Whether this reader reads ``path`` (by name and, cheaply, by content). Never raises."""
        ...

    def run_path(self, path: Path) -> Path:
        """The directory whose path names the run ``path`` belongs to (usually its parent)."""
        ...

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        """Read every file of one run. Problems with a file are findings, never exceptions."""
        ...


@dataclass(frozen=True)
class FormatRow:
    """A reader's row of the README's formats table (optional: ``row`` on the reader class)."""

    format: str
    """What the format is, as a user knows it (``Keras `CSVLogger```)."""
    recognised_by: str
    """What in a file's name or content makes this reader claim it."""
    run: str
    """What one run is: the directory, the file, ... and what else is read with it."""


_REGISTRY: dict[str, Reader] = {}


def register_reader(reader: Reader, *, before: str | None = None) -> Reader:
    """Add ``reader`` to the registry (optionally ahead of the reader named ``before``)."""
    if reader.name in _REGISTRY:
        raise PluginError(
            f"reader {reader.name!r}: a reader with this name is already registered "
            f"({type(_REGISTRY[reader.name]).__module__}). Pick another name."
        )
    if before is None or before not in _REGISTRY:
        _REGISTRY[reader.name] = reader
        return reader
    items = list(_REGISTRY.items())
    index = [name for name, _ in items].index(before)
    items.insert(index, (reader.name, reader))
    _REGISTRY.clear()
    _REGISTRY.update(items)
    return reader


def readers() -> tuple[Reader, ...]:
    """Every registered reader, in sniffing order: built-ins first, then plugins by name."""
    PLUGINS.load()
    return tuple(_REGISTRY.values())


def _adopt(ep, plugin) -> None:
    if ep.name in _REGISTRY:
        return
    reader = plugin() if isinstance(plugin, type) else plugin
    if not isinstance(reader, Reader):
        raise PluginError(f"reader plugin {ep.name!r} ({ep.value}) does not provide name, sniff, run_path and read.")
    register_reader(reader)


PLUGINS = PluginGroup(ENTRY_POINT_GROUP, "reader", _adopt)
