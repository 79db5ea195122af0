"""Discovery: walk a log directory, give each file to the reader that claims it, group runs.

A run is named by its directory's path relative to the directory being read (POSIX
separators), or by the file's relative path for a file-per-run format whose directory holds
several such files. Hidden entries (``.git``, ``.ipynb_checkpoints``) are skipped; symlinked
directories are followed once, so a symlink loop is reported, not walked forever.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LogdirNotFound, NoRunsFound
from ..findings import Finding, finding
from ..scale.remote import fetch_failures
from ..text import shown
from .base import Reader


@dataclass(frozen=True)
class RunSource:
    """The files of one run that one reader reads."""

    run: str
    path: Path
    reader: Reader
    files: tuple[Path, ...]


@dataclass
class Discovery:
    sources: list[RunSource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ignored: int = 0
    """Files no reader claimed (checkpoints, images, configs): not logs, not problems."""


def discover(path: str | os.PathLike[str], readers: Sequence[Reader]) -> Discovery:
    """Find every run below ``path`` (a directory, or a single log file)."""
    root = Path(path)
    if not root.exists():
        hint = " (a broken symlink)" if root.is_symlink() else ""
        raise LogdirNotFound(f"{root}: no such file or directory{hint}. Pass a log directory or a log file.")
    base = root if root.is_dir() else root.parent
    result = Discovery(findings=fetch_failures(root))
    claimed: dict[tuple[str, Path], list[Path]] = defaultdict(list)
    owners: dict[str, Reader] = {}
    files = [root] if root.is_file() else _walk(root, result.findings, base)
    for file in files:
        reader = _claim(file, readers)
        if reader is None:
            problem = _unreadable_log(file)
            if problem is None:
                result.ignored += 1
            else:
                result.findings.append(finding("unreadable-file", problem, source=relative_name(file, base)))
            continue
        owners[reader.name] = reader
        claimed[(reader.name, reader.run_path(file))].append(file)
    per_file_count: dict[Path, int] = defaultdict(int)
    for (name, run_path), run_files in claimed.items():
        if owners[name].per_file:
            per_file_count[run_path] += len(run_files)
    for (name, run_path), run_files in sorted(claimed.items(), key=lambda item: (str(item[0][1]), item[0][0])):
        reader = owners[name]
        if reader.per_file and per_file_count[run_path] > 1:
            for file in sorted(run_files):
                result.sources.append(RunSource(_run_name(file, base), file, reader, (file,)))
        else:
            result.sources.append(RunSource(_run_name(run_path, base), run_path, reader, tuple(sorted(run_files))))
    result.sources.sort(key=lambda source: (source.run, source.reader.name))
    return result


def discover_runs(path: str | os.PathLike[str], root: Path, readers: Sequence[Reader]) -> Discovery:
    """``discover`` below ``root`` (``path`` itself, or where a URL was mirrored); raises
    ``NoRunsFound``, naming ``path`` as given, when nothing there is a log."""
    found = discover(root, readers)
    if not found.sources and not found.findings:
        raise NoRunsFound(
            f"{os.fspath(path)}: no training logs found ({found.ignored} files, none a TensorBoard event file, CSV log, "
            "trainer_state.json, JSON-lines log, MLflow run or Ray Tune trial). Point at the directory holding your runs."
        )
    return found


def relative_name(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` in POSIX form, or as given when it lies elsewhere; the bytes of
    a name that is not UTF-8 are written as ``\\xNN`` (see ``text.shown``)."""
    try:
        return shown(path.relative_to(base).as_posix())
    except ValueError:
        return shown(path.as_posix())


def _run_name(run_path: Path, base: Path) -> str:
    """The run's path relative to the directory read; a run at or above it goes by its own name."""
    try:
        name = run_path.relative_to(base).as_posix()
    except ValueError:
        name = "."
    return shown((run_path.resolve().name or ".") if name == "." else name)


def _claim(file: Path, readers: Sequence[Reader]) -> Reader | None:
    for reader in readers:
        try:
            if reader.sniff(file):
                return reader
        except Exception:  # a sniff must never sink discovery; the file is then simply not claimed
            continue
    return None


def _walk(root: Path, findings: list[Finding], base: Path) -> Iterator[Path]:
    """Every regular file below ``root``, depth first in name order, following directory symlinks once."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            info = directory.stat()
        except OSError as exc:
            findings.append(finding("unreadable-directory", _os_problem(exc), source=relative_name(directory, base)))
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            findings.append(
                finding(
                    "unreadable-directory",
                    "already read through another path (a symlink loop or a second link to it); skipped",
                    source=relative_name(directory, base),
                )
            )
            continue
        seen.add(key)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            findings.append(finding("unreadable-directory", _os_problem(exc), source=relative_name(directory, base)))
            continue
        subdirectories = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    subdirectories.append(Path(entry.path))
                elif entry.is_file():
                    yield Path(entry.path)
                elif entry.is_symlink():
                    findings.append(finding("unreadable-file", "broken symlink", source=relative_name(Path(entry.path), base)))
            except OSError as exc:
                findings.append(finding("unreadable-file", _os_problem(exc), source=relative_name(Path(entry.path), base)))
        stack.extend(reversed(subdirectories))


LOG_SUFFIXES = frozenset({".csv", ".tsv", ".log", ".json", ".jsonl", ".ndjson", ".txt"})
"""Suffixes of the logs that readers recognise by their content (a CSV's header, a JSON line):
such a file that no reader claimed and that cannot be opened, or whose text is not UTF-8, may
be a log, and is reported."""

_TEXT_HEAD = 65536
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _unreadable_log(file: Path) -> str | None:
    """Why a file no reader claimed cannot be read, when it may be a log that could not be sniffed; else None."""
    if file.suffix.lower() not in LOG_SUFFIXES:
        return None
    try:
        with open(file, "rb") as handle:
            head = handle.read(_TEXT_HEAD)
    except OSError as exc:
        return _os_problem(exc) + "; if it is a log, nothing was read from it"
    problem = _not_text(head)
    return None if problem is None else f"{problem}; if it is a log, nothing was read from it (logs are UTF-8 text)"


def _not_text(head: bytes) -> str | None:
    """Why the first bytes of a file are not UTF-8 text (a UTF-16 file, NUL bytes, other bytes), or None."""
    if head.startswith(_WIDE_BOMS):
        return "is UTF-16 or UTF-32 text (it starts with a byte-order mark)"
    nul = head.find(b"\0")
    if nul >= 0:
        return f"holds NUL bytes (the first at byte {nul})"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or len(head) < _TEXT_HEAD:  # not a character cut by the head's end
            return f"is not UTF-8 text (byte {exc.start} is {head[exc.start : exc.start + 1].hex()})"
    return None


def _os_problem(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"cannot be read ({reason.lower()})"
