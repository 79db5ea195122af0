"""The incremental cache: each run's parsed scalars and finished report, kept between audits.

A run's entry is keyed by its files' identities (path, size, modification time, and a digest of
sampled blocks of their bytes), so an audit of a directory where nothing changed reads nothing
again. A file that only grew (a run still training) is read on from where its last read
stopped, which is kept apart from the entry (table ``progress``, see ``ingest.progress``); any
other change is read anew. The cache is
one SQLite file in the user's cache folder (``CURVESCOPE_CACHE_DIR`` or ``cache=DIR`` moves
it); deleting it at any time only costs the next audit its speed. A cache that cannot be
opened or written is set aside with one finding, never an error; a damaged file (not a database,
cut short, or failing a query as malformed) is moved aside and a new one started.

Entries are compressed pickles (a run's scalars take about a quarter of their pickled size):
the cache trusts its own folder, as a user's cache of Python objects does, and ignores any
entry written by another version of curvescope (or, for a development version, by other code).

``fingerprint(path)`` tells, with one ``stat`` per file, whether anything below a log directory
changed: ``watch`` and the app's cached audit re-read only when it did.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..findings import Finding, finding
from ..ingest.progress import sampled_digest
from ..text import encodable
from ..version import code_identity

ENV_FOLDER = "CURVESCOPE_CACHE_DIR"
_FILE = "cache-v1.sqlite"
_TABLES = ("scalars", "progress", "reports", "models")

FileIdentity = tuple[str, int, int, bytes]
"""A file's path (as given), size in bytes, modification time in nanoseconds and the
``sampled_digest`` of its bytes."""

SETTLE_SECONDS = 2.0
"""A file changed this recently may change again within its clock's resolution without its
size or time telling: an entry made from it is kept, but never taken as a hit."""


def default_folder() -> Path:
    """``CURVESCOPE_CACHE_DIR``, else the user's cache folder for curvescope."""
    if os.environ.get(ENV_FOLDER):
        return Path(os.environ[ENV_FOLDER])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("curvescope", appauthor=False))


def identities(files: Iterable[os.PathLike[str] | str]) -> tuple[FileIdentity, ...]:
    """Each file's identity; a file that cannot be read gets size and time -1 (never a hit).

    Size and time alone miss a file rewritten in place with its time set back (a copy that keeps
    times, a restored backup); the digest of sampled blocks sees such a rewrite where it samples."""
    found = []
    for file in files:
        try:
            with open(file, "rb") as handle:
                info = os.fstat(handle.fileno())
                found.append((str(file), info.st_size, info.st_mtime_ns, sampled_digest(handle, info.st_size)))
        except OSError:
            found.append((str(file), -1, -1, b""))
    return tuple(found)


def settled(identity: Sequence[FileIdentity]) -> tuple:
    """``identity`` to store with an entry: as it is when every file is older than
    ``SETTLE_SECONDS``, else marked, so that it never equals the files' identity again."""
    newest = max((mtime for _, _, mtime, _ in identity), default=0)
    return tuple(identity) if time.time_ns() - newest > SETTLE_SECONDS * 1e9 else ("unsettled", tuple(identity))


def fingerprint(path: str | os.PathLike[str]) -> str:
    """A hash of every file below ``path``: its name relative to ``path``, its size and modification time.

    It changes when a file is added, removed, renamed, grows or is rewritten, and costs one
    ``stat`` per file (no file is opened). Directory symlinks are followed once (a loop is not
    walked twice); an entry that cannot be stat'ed counts by its name alone. A missing path has a
    fingerprint too (the audit will say that it is missing).
    """
    root = os.fspath(path)
    digest = hashlib.blake2b(digest_size=16)
    if os.path.isfile(root):
        digest.update(_entry(os.path.basename(root), root))
        return digest.hexdigest()
    entries: list[bytes] = []
    seen: set[tuple[int, int]] = set()
    stack = [("", root)]
    while stack:
        relative, directory = stack.pop()
        try:
            info = os.stat(directory)
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(directory) as listing:
                children = list(listing)
        except OSError:
            entries.append(f"{relative}/\0?\n".encode("utf-8", "surrogateescape"))
            continue
        for child in children:
            name = f"{relative}/{child.name}" if relative else child.name
            try:
                is_dir = child.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                stack.append((name, child.path))
            else:
                entries.append(_entry(name, child))
    for entry in sorted(entries):
        digest.update(entry)
    return digest.hexdigest()


def _entry(name: str, file: str | os.DirEntry) -> bytes:
    try:
        info = file.stat() if isinstance(file, os.DirEntry) else os.stat(file)
    except OSError:
        return f"{name}\0?\0?\n".encode("utf-8", "surrogateescape")
    return f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class CacheLocation:
    """Where a cache lives: plain data, so it travels to worker processes and cluster workers."""

    folder: Path

    def open(self) -> Cache | None:
        """The cache, or None when its folder cannot be made or its file cannot be opened."""
        try:
            return Cache(self.folder)
        except (OSError, sqlite3.Error):
            return None

    def problem(self) -> Finding | None:
        """A finding when this cache cannot be used (``cache-unusable``: the audit then goes on
        without it) or was found damaged and started anew (``cache-rebuilt``)."""
        try:
            cache = Cache(self.folder)
        except (OSError, sqlite3.Error) as exc:
            return finding("cache-unusable", f"the cache cannot be used ({exc}); auditing without it.", source=str(self.folder))
        cache.close()
        return cache.rebuilt


class Cache:
    """One SQLite file of pickled entries, each stored under a key with the identity it was made for."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = folder / _FILE
        self._lock = threading.Lock()
        self.rebuilt: Finding | None = None
        """Said once, by the cache that found its file damaged and started a new one."""
        self._damaged = False
        damage = _damage(self.path)
        if damage is None:
            try:
                self._db = self._connect()
            except sqlite3.OperationalError:  # locked, read-only, not openable: not the file's fault
                raise
            except sqlite3.DatabaseError as exc:
                damage = str(exc)
        if damage is not None:
            aside = _set_aside(self.path)
            self._db = self._connect()
            self.rebuilt = finding(
                "cache-rebuilt",
                f"the cache file was damaged ({damage}); it was moved to {aside.name} and a new one started.",
                source=str(self.path),
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            for table in _TABLES:
                db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, version TEXT, identity BLOB, entry BLOB)")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _noted(self, exc: sqlite3.Error) -> None:
        """Remember a damaged file met while in use (not a lock or a full disk): it is set aside on close."""
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            self._damaged = True

    def get(self, table: str, key: str) -> tuple[Any, Any] | None:
        """``(identity, entry)`` stored under ``key``, or None (also for an unreadable or foreign entry)."""
        try:
            with self._lock:
                row = self._db.execute(f"SELECT version, identity, entry FROM {table} WHERE key = ?", (_stored(key),)).fetchone()
            if row is None or row[0] != code_identity():
                return None
            return _unpacked(row[1]), _unpacked(row[2])
        except sqlite3.Error as exc:
            self._noted(exc)
            return None
        except (zlib.error, *_FOREIGN):
            return None

    def get_many(self, table: str, keys: Sequence[str]) -> dict[str, tuple[Any, Any]]:
        """Every ``key`` found, as ``get`` gives it, in a few queries."""
        found: dict[str, tuple[Any, Any]] = {}
        asked = {_stored(key): key for key in keys}
        for start in range(0, len(keys), 500):
            part = [_stored(key) for key in keys[start : start + 500]]
            try:
                with self._lock:
                    rows = self._db.execute(
                        f"SELECT key, version, identity, entry FROM {table} WHERE key IN ({','.join('?' * len(part))})", part
                    ).fetchall()
            except sqlite3.Error as exc:
                self._noted(exc)
                return found
            for key, version, identity, entry in rows:
                if version != code_identity():
                    continue
                try:
                    found[asked.get(key, key)] = _unpacked(identity), _unpacked(entry)
                except (zlib.error, *_FOREIGN):
                    continue
        return found

    def put(self, table: str, key: str, identity: Any, entry: Any) -> None:
        self.put_many(table, [(key, identity, entry)])

    def put_many(self, table: str, items: Iterable[tuple[str, Any, Any]]) -> None:
        """Store entries; a full disk or a locked file loses them (the next audit reads again), nothing more."""
        rows = [(_stored(key), code_identity(), _packed(identity), _packed(entry)) for key, identity, entry in items]
        if not rows:
            return
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._noted(exc)
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def close(self) -> None:
        """Close the file; one found damaged while in use is set aside, for the next audit to start anew."""
        self._db.close()
        if self._damaged:
            _set_aside(self.path)


_HEADER = b"SQLite format 3\0"


def _damage(path: Path) -> str | None:
    """Why a cache file is damaged, seen from its 100-byte header: not an SQLite file, or shorter than
    the header says (a copy cut short); None when it looks whole or does not exist yet."""
    try:
        with open(path, "rb") as file:
            header, size = file.read(100), os.fstat(file.fileno()).st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None
    if len(header) < 100 or not header.startswith(_HEADER):
        return "not an SQLite database"
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and (page < 512 or size % page or size < pages * page):  # the page count is valid
        return f"cut short: {size} bytes of {pages * page}"
    return None


def _set_aside(path: Path) -> Path:
    """Move a damaged cache file out of the way (its journal files are dropped); where it went."""
    aside = path.with_name(path.name + ".damaged")
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    try:
        os.replace(path, aside)
    except FileNotFoundError:  # set aside already, by another process
        pass
    return aside


_FOREIGN = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError)
"""What unpickling an entry of other code raises: such an entry is a miss."""


def _stored(key: str) -> str:
    """``key`` as SQLite keeps it: a key naming a file whose name is not UTF-8 goes by its bytes in hex
    (no other key starts with ``bytes:``; writing the odd bytes as ``\\xNN`` could meet a real name)."""
    if encodable(key):
        return key
    try:
        return "bytes:" + key.encode("utf-8", "surrogateescape").hex()
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return "bytes:" + key.encode("utf-8", "surrogatepass").hex()


def _packed(value: Any) -> bytes:
    return zlib.compress(pickle.dumps(value, protocol=5), 1)


def _unpacked(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))
