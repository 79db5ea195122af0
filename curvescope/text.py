"""Text from the logs and the file system, made safe to keep and to show.

A file name is bytes: one that is not UTF-8 (a Latin-1 name copied from an old machine or a
Samba share) reaches Python with its odd bytes as lone surrogates, which no UTF-8 encoder
(pandas' strings, SQLite, a terminal) accepts. ``shown`` writes such bytes as ``\\xe9``, so
the name can be kept, compared and printed, and reads as what it is.

A name is also text a terminal may act on: ``printable`` writes control characters and direction
marks as escapes, for every line curvescope prints on a terminal.
"""

from __future__ import annotations

import re


def shown(text: str) -> str:
    """``text`` with the bytes of a non-UTF-8 file name written as ``\\xNN`` (other text as it is)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 as it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What a terminal acts on rather than shows: control characters (ESC starts a sequence that can
clear the screen, set the window title, hide or overwrite text) and the marks that reorder text."""


def printable(text: str, *, keep: str = "") -> str:
    """``text`` safe to print on a terminal: every control character (but those in ``keep``) and
    every direction mark written as an escape (``\\x1b``, ``\\u202e``), a name's odd bytes as ``\\xNN``."""
    text = shown(text)
    if text.isprintable() or not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda match: match.group() if match.group() in keep else _escaped(match.group()), text)


def terminal_safe(text: str) -> str:
    """A whole document (CSV, Markdown, HTML) for a terminal: as ``printable``, lines and tabs kept."""
    return printable(text, keep="\n\t")


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
