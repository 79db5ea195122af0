"""The protocol-buffer wire format, decoded for many messages at once.

Every function takes the file's bytes as a uint8 array and arrays of positions, one per
message or field, and works on all of them with numpy operations: no Python loop runs per
message. Anything these functions do not expect (a field number above 15, a group, a
length running past its message) is reported, so the caller can hand that message to the
protobuf library instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5

_FIXED_SIZE = np.zeros(256, dtype=np.int64)
_FIXED_SIZE[[k for k in range(128) if k & 7 == FIXED64]] = 8
_FIXED_SIZE[[k for k in range(128) if k & 7 == FIXED32]] = 4
_AFTER_FIRST_BYTE = np.where(_FIXED_SIZE > 0, _FIXED_SIZE - 1, 0)
"""Where a field ends, counted from the byte after the key's: fixed payloads are read whole."""
_COUNTED = np.array([k & 7 in (VARINT, LENGTH) for k in range(256)])
"""Keys followed by a varint: the value, or the payload's length."""
_LENGTH = np.array([k & 7 == LENGTH for k in range(256)])
_WELL_FORMED = np.zeros(256, dtype=bool)
_WELL_FORMED[[k for k in range(8, 128) if k & 7 in (VARINT, FIXED64, LENGTH, FIXED32)]] = True
"""One-byte keys (field numbers 1 to 15) with a wire type this module decodes."""


def key(field: int, wire_type: int) -> int:
    return field << 3 | wire_type


def varints(
    u8: np.ndarray, at: np.ndarray, stop: np.ndarray, wanted: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The varints starting at ``at`` (each ending before ``stop``): values, end positions, ok.

    Where ``wanted`` is false only the first byte is looked at (the caller ignores the result).
    """
    last = len(u8) - 1
    byte = u8[np.minimum(at, last)]
    value = (byte & 0x7F).astype(np.uint64)
    end = at + 1
    ok = at < stop
    going_on = (byte >= 0x80) & ok
    if wanted is not None:
        going_on &= wanted
    more = np.flatnonzero(going_on)
    shift = 7
    while more.size:
        pos = end[more]
        inside = pos < stop[more]
        byte = u8[np.minimum(pos, last)]
        value[more] |= (byte & 0x7F).astype(np.uint64) << np.uint64(shift)
        end[more] = pos + 1
        ok[more[~inside]] = False
        more = more[inside & (byte >= 0x80)]
        shift += 7
        if shift >= 70:
            ok[more] = False
            break
    return value, end, ok


@dataclass
class Fields:
    """One field of each of several messages: round k of a walk holds each message's k-th field."""

    owner: np.ndarray
    """Index of the message (into the arrays the walk was given)."""
    key: np.ndarray
    """Field number << 3 | wire type."""
    at: np.ndarray
    """Where the payload starts (after the length, for length-delimited fields)."""
    value: np.ndarray
    """The varint's value, or the payload's length for length-delimited fields."""


class Walk:
    """Walk the fields of many messages at once; ``broken`` lists messages the walk could not follow."""

    def __init__(self, u8: np.ndarray, begin: np.ndarray, end: np.ndarray):
        self.u8 = u8
        self.begin = begin
        self.end = end
        self.broken: list[np.ndarray] = []

    def __iter__(self) -> Iterator[Fields]:
        u8 = self.u8
        owner = np.flatnonzero(self.begin < self.end)
        pos, stop = self.begin[owner], self.end[owner]
        while owner.size:
            keys = u8[pos]
            at = pos + 1
            counted = _COUNTED[keys]
            value, after, ok = varints(u8, at, stop, counted)  # only the first byte of fixed payloads
            value = value.view(np.int64)
            length = _LENGTH[keys]
            ok &= _WELL_FORMED[keys] & ((value >= 0) | ~length)
            nxt = after + _AFTER_FIRST_BYTE[keys]
            nxt += np.where(length, np.minimum(value, stop), 0)
            at = np.where(length, after, at)
            ok &= nxt <= stop
            if not ok.all():
                self.broken.append(owner[~ok])
                owner, keys, at, value, nxt, stop = (a[ok] for a in (owner, keys, at, value, nxt, stop))
            yield Fields(owner, keys, at, value)
            going = nxt < stop
            owner, pos, stop = owner[going], nxt[going], stop[going]

    def broken_messages(self) -> np.ndarray:
        return np.concatenate(self.broken) if self.broken else np.zeros(0, dtype=np.int64)


def reader(u8: np.ndarray, dtype: str):
    """A function reading little-endian numbers of ``dtype`` at any (unaligned) byte positions."""
    width = np.dtype(dtype).itemsize
    view = np.ndarray((max(len(u8) - width + 1, 0),), dtype=dtype, buffer=u8, strides=(1,))
    return view.__getitem__


_PRIME = np.uint64(0x100000001B3)


def distinct_strings(u8: np.ndarray, at: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
    """Codes for the byte strings ``u8[at : at + length]`` and the distinct strings, in first-seen order.

    Strings are hashed eight bytes at a time, factorised by hash, then every string is compared
    with the first of its code word by word, so equal codes mean equal bytes.
    """
    if not len(at):
        return np.zeros(0, dtype=np.int64), []
    reading = _Words(u8, at, length)
    words = [reading.word(k) for k in range(reading.count)]
    digest = length.astype(np.uint64)
    for word in words:
        digest = (digest ^ word) * _PRIME
    codes, _ = pd.factorize(digest)
    first = first_of_each(codes)
    same = length == length[first][codes]
    for word in words:
        same &= word == word[first][codes]
    if not same.all():  # a 64-bit hash collision: factorise the strings themselves (slow, exact)
        every = np.array([u8[i : i + n].tobytes() for i, n in zip(at, length)], dtype=object)
        codes, _ = pd.factorize(every)
        first = first_of_each(codes)
    strings = [u8[at[i] : at[i] + length[i]].tobytes() for i in first]
    return codes, strings


def first_of_each(codes: np.ndarray) -> np.ndarray:
    """Where each code first occurs, for codes numbered in order of first occurrence."""
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=new[1:])
    return np.flatnonzero(new)


def first_word(u8: np.ndarray, at: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The first eight bytes of each string as a little-endian word, zero past its end."""
    return _Words(u8, at, length).word(0) if len(at) else np.zeros(0, dtype=np.uint64)


_MASKS = np.array([(1 << (8 * width)) - 1 for width in range(9)], dtype=np.uint64)


class _Words:
    """The k-th eight-byte word of each string, zero past its end."""

    def __init__(self, u8: np.ndarray, at: np.ndarray, length: np.ndarray):
        self.at = at
        self.length = length
        self.u8 = u8
        self.count = int(-(-int(length.max()) // 8)) if len(length) else 0
        self.last = len(u8) - 8
        self.near_end = np.flatnonzero(at + 8 * self.count > self.last)
        """Strings whose words cannot all be read whole: read byte by byte."""
        self.read = reader(u8, "<u8")

    def word(self, k: int) -> np.ndarray:
        left = np.minimum(np.maximum(self.length - 8 * k, 0), 8)
        pos = self.at + 8 * k
        if not self.near_end.size:
            return self.read(pos) & _MASKS[left]
        word = self.read(np.minimum(np.maximum(pos, 0), max(self.last, 0))) if self.last >= 0 else np.zeros(len(pos), np.uint64)
        word &= _MASKS[left]
        word[self.near_end] = self._bytewise(pos[self.near_end], left[self.near_end])
        return word

    def _bytewise(self, pos: np.ndarray, left: np.ndarray) -> np.ndarray:
        word = np.zeros(len(pos), dtype=np.uint64)
        for b in range(8):
            take = left > b
            word[take] |= self.u8[pos[take] + b].astype(np.uint64) << np.uint64(8 * b)
        return word
