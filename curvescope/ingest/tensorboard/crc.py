"""CRC-32C (Castagnoli) as TFRecord stores it, for one byte string or many records at once.

CRC is affine over GF(2): for two byte strings of equal length L, ``crc(x) ^ crc(y)`` is the
zero-initialised CRC of ``x ^ y``, the XOR over positions i of ``T[L-1-i][x_i ^ y_i]``,
where ``T[k][b]`` is that CRC of byte ``b`` followed by ``k`` zero bytes. Records of one
length in an event file differ in a few bytes (step, wall time, value), so each length's
records get their CRCs from the first one's (one C call) plus a table lookup per record for
each byte position where any of them differs.
"""

from __future__ import annotations

import crc32c
import numpy as np
import pandas as pd

from .wire import reader

POLYNOMIAL = 0x82F63B78
"""CRC-32C's polynomial, bit-reflected."""
TABLE_LIMIT = 1024
"""Records longer than this (images, histograms, graphs) are checked one C call each."""
TABLE_FROM = 512
"""Lengths shared by fewer records are checked one C call each: the tables' numpy passes cost
about as much as a few hundred C calls, whatever the number of records."""
_MASK_DELTA = 0xA282EAD8


def masked_crc(data: bytes) -> int:
    """The masked CRC-32C TFRecord stores."""
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked(crc: np.ndarray) -> np.ndarray:
    """TFRecord's CRC mask, for an array of CRCs."""
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


def checksums(data, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The CRC-32C of each record ``data[starts[i] : starts[i] + lengths[i]]``."""
    crcs = np.empty(len(starts), dtype=np.uint32)
    u8 = np.frombuffer(data, dtype=np.uint8)
    for lo in range(0, len(starts), BLOCK):
        block = slice(lo, lo + BLOCK)
        crcs[block] = _block_checksums(data, u8, starts[block], lengths[block])
    return crcs


BLOCK = 1 << 16
"""Records checked together: the passes over their bytes stay in cache."""


def _block_checksums(data, u8: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    crcs = np.empty(len(starts), dtype=np.uint32)
    codes, distinct = pd.factorize(lengths)
    by_table = (np.bincount(codes, minlength=len(distinct)) >= TABLE_FROM) & (distinct >= 8) & (distinct <= TABLE_LIMIT)
    for code in np.flatnonzero(by_table).tolist():
        group = np.flatnonzero(codes == code)
        crcs[group] = _of_equal_length(data, u8, starts[group], int(distinct[code]))
    rest = np.flatnonzero(~by_table[codes]) if by_table.any() else slice(None)
    crcs[rest] = _one_by_one(data, starts[rest], lengths[rest])
    return crcs


def _one_by_one(data, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    slices = map(slice, starts.tolist(), (starts + lengths).tolist())
    return np.fromiter(map(crc32c.crc32c, map(data.__getitem__, slices)), dtype=np.uint32, count=len(starts))


def _of_equal_length(data, u8: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """CRCs of records of one ``length`` (at least 8): the first's, corrected byte by byte."""
    first = int(starts[0])
    crcs = np.full(len(starts), crc32c.crc32c(data[first : first + length]), dtype=np.uint32)
    tables = _zero_tables(length)
    words = reader(u8, "<u8")
    for at in range(0, length, 8):
        overlap = max(0, at + 8 - length)  # the last word is read ending at the record's end
        at -= overlap
        difference = words(starts + at)
        difference ^= difference[0]
        differs = np.bitwise_or.reduce(difference).tobytes()
        columns = difference.view(np.uint8).reshape(-1, 8)
        for byte in range(overlap, 8):
            if differs[byte]:
                crcs ^= tables[length - 1 - at - byte][columns[:, byte]]
    return crcs


def _crc_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(POLYNOMIAL), table >> 1).astype(np.uint32)
    return table


TABLE = _crc_table()
"""The byte-wise CRC-32C table: ``T[0]``."""
_TABLES = TABLE[None, :].copy()


def _zero_tables(length: int) -> np.ndarray:
    """``T[k]`` for ``k < length``, extended one zero byte at a time as longer records come."""
    global _TABLES
    have = len(_TABLES)
    if have < length:
        tables = np.empty((length, 256), dtype=np.uint32)
        tables[:have] = _TABLES
        for k in range(have, length):
            previous = tables[k - 1]
            tables[k] = (previous >> np.uint32(8)) ^ TABLE[previous & np.uint32(0xFF)]
        _TABLES = tables
    return _TABLES
