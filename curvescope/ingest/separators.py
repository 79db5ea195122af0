"""The separator of a CSV log (comma, tab or semicolon), told from its header and first rows.

The header alone can mislead: a column named ``note;a;b`` holds more semicolons than the header
has commas. The separator is the one that cuts the header and the first few rows into the same
number of cells (the most cells, when several do), as ``csv.Sniffer`` judges consistency, but
on at most ``HEAD_LINES`` lines of the first 64 KiB. When none does, the one found in most rows
is taken, and the doubt is said. Every CSV path (the sniffs and the reads)
asks here, so a file is read with the separator it was recognised by.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import islice

from .tables import per_file_version

SEPARATORS = (",", "\t", ";")
"""The separators tried, in the order that breaks a tie."""

HEAD_LINES = 6
"""The header and up to five rows decide."""

_HEAD_BYTES = 65536


@dataclass(frozen=True)
class Separator:
    """The separator of a table, the names its header holds, and the doubt left (None: none), said
    as a sentence for a finding."""

    sep: str
    names: list[str]
    doubt: str | None = None


def separator(head: bytes) -> Separator:
    """The separator of a table whose file begins with ``head`` (its first 64 KiB are looked at)."""
    lines = head[:_HEAD_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff").split("\n")
    whole = len(lines) if len(head) <= _HEAD_BYTES else len(lines) - 1  # the last line may be cut by the limit
    header = lines[0].rstrip("\r")
    rows = [line.rstrip("\r") for line in islice(filter(str.strip, islice(lines, 1, whole)), HEAD_LINES - 1)]
    in_header = [sep for sep in SEPARATORS if sep in header]
    if len(in_header) < 2:
        return _named(in_header[0] if in_header else ",", header)
    widths = {sep: _width(header, sep) for sep in in_header}
    consistent = [sep for sep in in_header if rows and all(_width(row, sep) == widths[sep] for row in rows)]
    if consistent:
        return _named(max(consistent, key=lambda sep: widths[sep]), header)
    guess = max(in_header, key=lambda sep: (sum(sep in row for row in rows), header.count(sep)))
    if not rows:
        return _named(guess, header)
    counts = " and ".join(f"{header.count(sep)} {_shown(sep)}" for sep in in_header)
    return _named(
        guess,
        header,
        f"The header holds {counts}, and no separator cuts the first rows into as many cells as it; "
        f"the file was read as separated by {_shown(guess)}.",
    )


@per_file_version(Separator(",", []))
def table_header(path: str, size: int, mtime_ns: int) -> Separator:
    """``separator`` of a file's first 64 KiB; a file that cannot be read has a header of no names."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)  # a header and a few rows are short: read more only when they are not
            if head.count(b"\n") < HEAD_LINES and len(head) == 4096:
                head += handle.read(_HEAD_BYTES + 1 - len(head))
            return separator(head)
    except OSError:
        return Separator(",", [])


def _width(line: str, sep: str) -> int:
    """How many cells ``line`` holds when cut at ``sep`` (quotes respected)."""
    if '"' not in line:
        return line.count(sep) + 1
    try:
        return len(next(csv.reader([line], delimiter=sep, strict=False), []))
    except csv.Error:
        return -1


def _named(sep: str, header: str, doubt: str | None = None) -> Separator:
    return Separator(sep, [name.strip().strip('"').strip() for name in header.split(sep)], doubt)


def _shown(sep: str) -> str:
    return {",": "','", "\t": "tabs", ";": "';'"}[sep]
