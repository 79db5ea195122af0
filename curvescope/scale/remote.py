"""Logs in object storage or behind any fsspec URL (``s3://``, ``gs://``, ``memory://``).

A URL is mirrored into a folder of the cache (``<cache>/remote/<protocol>/<bucket>/<key>``) and
read from there like any local folder. One listing finds the files below the URL; only those
whose size, modification time or ETag changed since the last mirror are fetched, concurrently,
and mirrored files gone remotely are deleted. A local copy carries its remote modification
time, so the scalars cache sees an unchanged file as unchanged. What was mirrored, and what
could not be fetched, is kept in a small manifest (``.curvescope-mirror.json``, hidden from
discovery) in the mirror's root.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem
from fsspec.registry import known_implementations

from ..errors import InvalidParameterError, LogdirNotFound, RemoteAccessDenied, RemoteError
from ..findings import Finding, finding
from .cache import CacheLocation

ENV_OPTIONS = "CURVESCOPE_STORAGE_OPTIONS"
"""A JSON object of keyword arguments for ``fsspec.filesystem`` (credentials, endpoint, ...)."""

MANIFEST = ".curvescope-mirror.json"
FETCHERS = 16  # files fetched at once
_LOCAL_PROTOCOLS = ("file", "local")
_VERSION_KEYS = ("ETag", "etag", "md5Hash", "generation", "version_id")
_TIME_KEYS = ("LastModified", "last_modified", "mtime", "updated", "modified", "created")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class _RemoteFile:
    """One file below the URL: where it is remotely, its name in the mirror, and what it is now."""

    path: str
    name: str
    size: int
    version: str
    modified_ns: int | None


def is_url(path: str | os.PathLike[str]) -> bool:
    """True for an fsspec URL (``s3://bucket/runs``); False for a local path, Windows drives included."""
    text = os.fspath(path)
    return isinstance(text, str) and "://" in text and not _WINDOWS_DRIVE.match(text)


def run_prefix(path: str | os.PathLike[str]) -> str:
    """How runs found below ``path`` are named when several paths are audited together: a URL
    as written, a local path in POSIX form."""
    return os.fspath(path).rstrip("/") if is_url(path) else Path(path).as_posix().rstrip("/")


def local_root(path: str | os.PathLike[str], cache: CacheLocation | None = None) -> Path:
    """The local folder (or file) to read for ``path``: the path itself, or the mirror of a URL.

    The mirror lives in ``cache``'s folder, or in a temporary folder removed at exit when
    ``cache`` is None. Raises ``LogdirNotFound`` for a missing bucket or prefix,
    ``RemoteAccessDenied`` and ``RemoteError`` for storage that cannot be used."""
    if not is_url(path):
        return Path(path)
    url = os.fspath(path)
    protocol = fsspec.core.split_protocol(url)[0]
    if protocol in _LOCAL_PROTOCOLS:
        return Path(LocalFileSystem._strip_protocol(url))
    fs, remote = _filesystem(url, protocol)
    remote = remote.rstrip("/")
    listing = _listing(fs, remote, url)
    target = _mirrors(cache) / _safe_folder(protocol) / _relative(remote.lstrip("/"), url)
    if set(listing) == {remote}:
        files, manifest = [_remote_file(remote, target.name, listing[remote])], target.parent / f".{target.name}{MANIFEST}"
    else:
        files, manifest = _below(listing, remote), target / MANIFEST
        _sweep(target, {file.name for file in files})
    failed = _mirror(fs, files, manifest, url)
    if files and len(failed) == len(files):
        raise _all_failed(url, failed)
    return target


@dataclass(frozen=True)
class Origin:
    """Where a mirror's files come from: the URL read, and the folder (or file) it was mirrored to
    where the audit started. A worker on another machine fetches what it needs from the URL."""

    url: str
    mirror: str

    def fetch(self, files: Sequence[Path]) -> Path:
        """Fetch ``files`` (paths in the mirror) from the URL into this machine's own copy of the
        mirror; returns that copy's root. A file that cannot be fetched is left out (its reader
        then reports it)."""
        protocol = fsspec.core.split_protocol(self.url)[0]
        fs, remote = _filesystem(self.url, protocol)
        remote = remote.rstrip("/")
        root = _scratch() / "workers" / _safe_folder(protocol) / _relative(remote.lstrip("/"), self.url)
        mirror = Path(self.mirror)
        wanted = [(file, Path(os.path.relpath(file, mirror)).as_posix()) for file in files]
        if any(name.startswith("..") for _, name in wanted):
            raise InvalidParameterError(f"{self.url}: a file outside its mirror was asked for.")
        if wanted == [(mirror, ".")]:  # the URL names one file
            _fetch(fs, [_RemoteFile(remote, root.name, 0, "", None)], root.parent)
            return root
        _fetch(fs, [_RemoteFile(f"{remote}/{name}", name, 0, "", None) for _, name in wanted], root)
        return root


def fetch_failures(root: Path) -> list[Finding]:
    """Each file of a mirrored URL that could not be fetched, as a finding (none for a local folder)."""
    manifest = _read_manifest(root / MANIFEST) if root.is_dir() else {}
    url = str(manifest.get("url", "")).rstrip("/")
    return [
        finding("unreadable-file", f"could not be fetched from {url}/{name} ({reason}); skipped", source=name)
        for name, reason in sorted(_entries(manifest, "failed").items())
    ]


def _mirror(fs: fsspec.AbstractFileSystem, files: list[_RemoteFile], manifest: Path, url: str) -> dict[str, str]:
    """Fetch each file that changed since ``manifest`` was written; returns the names that failed, with why."""
    folder = manifest.parent
    before = _entries(_read_manifest(manifest), "files")
    stale = [file for file in files if before.get(file.name) != file.version or not _intact(folder / file.name, file.size)]
    failed = _fetch(fs, stale, folder)
    for name in failed:
        _remove(folder, name)
    _write_manifest(
        manifest, {"url": url, "files": {file.name: file.version for file in files if file.name not in failed}, "failed": failed}
    )
    return failed


def _below(listing: Mapping[str, Mapping[str, Any]], remote: str) -> list[_RemoteFile]:
    """The visible files below a folder's URL, named relative to it."""
    names = {path: path[len(remote) :].strip("/") for path in listing}
    return [
        _remote_file(path, names[path], listing[path]) for path in sorted(listing) if names[path] and not _hidden(names[path])
    ]


def _sweep(folder: Path, names: set[str]) -> None:
    """Delete each visible file of a folder's mirror that is no longer below its URL."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in list(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if name not in names and not _hidden(name) and path.is_file():
            _remove(folder, name)


def _filesystem(url: str, protocol: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem for ``url`` (a fresh instance: current credentials, no stale listings) and its path."""
    options = {**_storage_options(), "skip_instance_cache": True}
    try:
        return fsspec.core.url_to_fs(url, **options)
    except ImportError as exc:
        raise RemoteError(
            f"{url}: the {protocol}:// protocol needs a package that is not installed: {_install_hint(protocol, exc)}."
        ) from None
    except Exception as exc:
        if "protocol not known" in str(exc).lower():
            raise RemoteError(f"{url}: no fsspec filesystem is known for the {protocol}:// protocol.") from None
        raise RemoteError(f"{url}: cannot be opened ({_reason(exc)}).") from None


def _storage_options() -> dict[str, Any]:
    text = os.environ.get(ENV_OPTIONS, "").strip()
    if not text:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParameterError(f"{ENV_OPTIONS} is not valid JSON ({exc}).") from None
    if not isinstance(options, dict):
        raise InvalidParameterError(f"{ENV_OPTIONS} must be a JSON object of storage options. Got {text[:80]!r} instead.")
    return options


def _install_hint(protocol: str, exc: ImportError) -> str:
    """``pip install <package>`` for a protocol fsspec knows, else what fsspec said."""
    module = known_implementations.get(protocol, {}).get("class", "").split(".")[0]
    return f"pip install {module}" if module and module != "fsspec" else _reason(exc)


def _listing(fs: fsspec.AbstractFileSystem, remote: str, url: str) -> dict[str, Mapping[str, Any]]:
    """Every file below ``remote`` (or ``remote`` itself when it is one), in one listing call."""
    try:
        found = fs.find(remote, detail=True)
    except FileNotFoundError as exc:
        raise LogdirNotFound(f"{url}: no such bucket or location ({_reason(exc)}).") from None
    except PermissionError as exc:
        raise RemoteAccessDenied(
            f"{url}: access denied while listing ({_reason(exc)}). Check the credentials and that they may list this location."
        ) from None
    except Exception as exc:
        raise RemoteError(f"{url}: cannot be listed ({_reason(exc)}). Check the endpoint and the network.") from None
    files = {name.rstrip("/"): info for name, info in found.items() if info.get("type", "file") == "file"}
    if not files:
        raise LogdirNotFound(
            f"{url}: nothing below this URL (no such prefix, or an empty one). Pass the folder holding your runs."
        )
    return files


def _remote_file(path: str, name: str, info: Mapping[str, Any]) -> _RemoteFile:
    size = int(info.get("size") or 0)
    modified = _modified_ns(info)
    tag = next((str(info[key]) for key in _VERSION_KEYS if info.get(key)), "")
    return _RemoteFile(path, name, size, f"{size}|{modified}|{tag}", modified)


def _modified_ns(info: Mapping[str, Any]) -> int | None:
    """The remote modification time in nanoseconds since the epoch, when the listing gives one."""
    for key in _TIME_KEYS:
        value = info.get(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(value, datetime):
            return round(value.timestamp() * 1e9)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return round(value * 1e9)
    return None


def _fetch(fs: fsspec.AbstractFileSystem, files: list[_RemoteFile], folder: Path) -> dict[str, str]:
    """Fetch ``files`` into ``folder``, ``FETCHERS`` at a time; the names that failed, with why."""
    with ThreadPoolExecutor(FETCHERS) as pool:
        problems = list(pool.map(lambda file: _fetch_one(fs, file, folder), files))
    return {file.name: problem for file, problem in zip(files, problems) if problem}


def _fetch_one(fs: fsspec.AbstractFileSystem, file: _RemoteFile, folder: Path) -> str | None:
    """Fetch one file beside its place, then move it there: a reader never sees half a file."""
    local = folder / file.name
    part = local.with_name(f".{local.name}.part-{os.getpid()}-{threading.get_ident()}")
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(file.path, str(part))
        if file.modified_ns is not None:
            os.utime(part, ns=(file.modified_ns, file.modified_ns))
        os.replace(part, local)
    except PermissionError:
        return "access denied"
    except FileNotFoundError:
        return "gone since it was listed"
    except Exception as exc:
        return _reason(exc)
    finally:
        part.unlink(missing_ok=True)
    return None


def _all_failed(url: str, failed: Mapping[str, str]) -> RemoteError:
    name, reason = next(iter(sorted(failed.items())))
    if all(problem == "access denied" for problem in failed.values()):
        return RemoteAccessDenied(
            f"{url}: access denied reading the files below it (such as {name}). "
            "Check the credentials and that they may read this location."
        )
    return RemoteError(f"{url}: no file below it could be fetched ({name}: {reason}).")


def _mirrors(cache: CacheLocation | None) -> Path:
    folder = (cache.folder if cache is not None else _scratch()) / "remote"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@functools.cache
def _scratch() -> Path:
    """A folder for mirrors when there is no cache, removed when the interpreter exits."""
    folder = Path(tempfile.mkdtemp(prefix="curvescope-remote-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _safe_folder(protocol: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", protocol)


def _relative(path: str, url: str) -> Path:
    """``path`` as a relative local path; a URL whose path climbs out (``..``) is refused."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidParameterError(f"{url}: a URL with '..' in its path is not supported.")
    return Path(*parts) if parts else Path()


def _hidden(name: str) -> bool:
    """Hidden entries (``.git``, a mirror's manifest) are skipped, as discovery skips them; so are
    keys with a ``..`` part, which would lead outside the mirror."""
    return any(part.startswith(".") for part in name.split("/"))


def _inside(path: Path, folder: Path) -> bool:
    return ".." not in Path(os.path.relpath(path, folder)).parts


def _intact(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _remove(folder: Path, name: str) -> None:
    """Delete a mirrored file, and the folders it leaves empty, never outside ``folder``."""
    path = folder / name
    if not _inside(path, folder):
        return
    path.unlink(missing_ok=True)
    for parent in path.parents:
        if parent == folder or not _inside(parent, folder):
            break
        try:
            parent.rmdir()
        except OSError:
            break


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _entries(manifest: Mapping[str, Any], key: str) -> dict[str, str]:
    entries = manifest.get(key)
    return {str(name): str(value) for name, value in entries.items()} if isinstance(entries, dict) else {}


def _write_manifest(path: Path, manifest: Mapping[str, Any]) -> None:
    """Write the manifest whole or not at all; a manifest that cannot be written costs the next mirror a fetch."""
    part = path.with_name(f"{path.name}.part-{os.getpid()}-{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    """An exception in one short line: its first line, or its type when it says nothing."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 200 else f"{text[:197]}..."
