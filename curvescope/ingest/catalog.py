"""The README's formats table, rendered from the readers' own rows (``FormatRow``).

``python -m curvescope.ingest.catalog README.md`` rewrites the table under ``### Formats`` in
place; a test fails while the README's table differs from the one rendered here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .base import FormatRow, Reader

HEADING = "### Formats"
_TABLE = re.compile(r"(?m)^\| format \| recognised by \| run \|\n\|---\|---\|---\|\n(?:\|.*\|\n)*")


def builtin_readers() -> tuple[Reader, ...]:
    """The readers curvescope ships, in sniffing order (plugins left out)."""
    from . import BUILTIN_READERS

    return BUILTIN_READERS


def format_rows(readers: Sequence[Reader] | None = None) -> list[FormatRow]:
    """The rows of the readers that describe themselves, in sniffing order."""
    chosen = builtin_readers() if readers is None else readers
    return [row for row in (getattr(reader, "row", None) for reader in chosen) if isinstance(row, FormatRow)]


def format_table(readers: Sequence[Reader] | None = None) -> str:
    """The formats table as Markdown, one row per reader (the built-in readers by default)."""
    lines = ["| format | recognised by | run |", "|---|---|---|"]
    lines += [f"| {row.format} | {row.recognised_by} | {row.run} |" for row in format_rows(readers)]
    return "\n".join(lines) + "\n"


def readme_table(text: str) -> str | None:
    """The formats table under the README's ``### Formats`` heading, or None when there is none."""
    start = text.find(HEADING)
    found = _TABLE.search(text, start) if start >= 0 else None
    return found.group(0) if found else None


def with_table(text: str) -> str:
    """The README text with its formats table replaced by the rendered one."""
    start = text.find(HEADING)
    found = _TABLE.search(text, start) if start >= 0 else None
    if found is None:
        raise ValueError(f"no formats table under {HEADING!r}")
    return text[: found.start()] + format_table() + text[found.end() :]


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv) or ["README.md"]
    for name in paths:
        path = Path(name)
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
