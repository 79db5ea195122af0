"""The app reads only below the directory it was started with: a typed folder, or a symbolic link,
that leads outside is refused with a message naming it."""

from __future__ import annotations

import os
from pathlib import Path

from curvescope.errors import InvalidParameterError


def confine(root: str | os.PathLike[str], typed: str | os.PathLike[str] | None) -> Path:
    """The directory (or file) a user typed, resolved, when it lies below ``root``; else an error.

    ``typed`` is relative to ``root`` (or absolute); empty means ``root`` itself. Symlinks and
    ``..`` are resolved before the check, so neither leads out. Raises ``InvalidParameterError``
    naming the typed path when it points outside ``root``.
    """
    base = Path(root).resolve()
    text = os.fspath(typed or "").strip()
    if not text:
        return base
    try:
        target = (base / text).resolve()
    except (OSError, ValueError) as err:
        raise InvalidParameterError(f"{text}: not a usable path ({err}). Type a directory below {base.name}/.") from None
    if not target.is_relative_to(base):
        raise InvalidParameterError(
            f"{text}: outside the directory the app was started with ({base.name}/); "
            f"only paths below it can be read. Type a directory below {base.name}/."
        )
    return target


def links_outside(root: str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> list[str]:
    """Symbolic links below ``path`` (``root`` by default) whose targets lie outside ``root``: their
    names relative to ``root``, sorted. Links that stay inside are followed once, so that a link to a
    link out is found too; nothing outside ``root`` is listed."""
    base = Path(root).resolve()
    start = Path(path).resolve() if path is not None else base
    outside: set[str] = set()
    seen: set[Path] = set()
    stack = [start] if start.is_dir() else []
    while stack:
        directory = stack.pop()
        if directory in seen:
            continue
        seen.add(directory)
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    target = Path(entry.path).resolve()
                    if not target.is_relative_to(base):
                        outside.add(
                            Path(entry.path).relative_to(base).as_posix() if Path(entry.path).is_relative_to(base) else entry.name
                        )
                        continue
                    if target.is_dir():
                        stack.append(target)
                elif entry.is_dir():
                    stack.append(Path(entry.path))
            except (OSError, RuntimeError):  # a link loop resolves to an error: the audit reports it
                continue
    return sorted(outside)


def confine_links(root: str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> None:
    """Raise ``InvalidParameterError`` naming the links below ``path`` that lead outside ``root``
    (``links_outside``): reading through them would read outside the directory."""
    outside = links_outside(root, path)
    if outside:
        base = Path(root).resolve().name
        shown = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
        raise InvalidParameterError(
            f"{shown}: symbolic link{'s' if len(outside) > 1 else ''} to outside the directory the app was started with "
            f"({base}/); only paths below it can be read. Start the app on a directory that also holds the target, "
            "or choose a folder without such links."
        )
