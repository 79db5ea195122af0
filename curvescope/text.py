"""Text from the logs and the file system, made safe to keep and to show.

A file name is bytes: one that is not UTF-8 (a Latin-1 name copied from an old machine or a
Samba share) reaches Python with its odd bytes as lone surrogates, which no UTF-8 encoder
(pandas' strings, SQLite, a terminal) accepts. ``shown`` writes such bytes as ``\\xe9``, so
the name can be kept, compared and printed, and reads as what it is.
"""

from __future__ import annotations


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
