"""Damage never costs the intact part of a log: for every built-in reader, a real sample damaged at a
random byte (cut there, or every byte after it overwritten) still gives every point its undamaged
prefix gives alone (same tag, step and value).

The prefix ends at the last whole line (or, in an event file, the last whole record) before the
damage: the line the damage falls in is damaged itself. Samples are the fuzzer's, in ``fixtures/``.
"""

from __future__ import annotations

import random
import shutil
import struct
import sys
from pathlib import Path

import pytest

import curvescope
from curvescope.ingest import BUILTIN_READERS, readers
from curvescope.ingest.discover import discover

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import _fuzzing  # noqa: E402

OFFSETS = 12
"""Damaged bytes tried per reader and kind of damage."""


def _samples() -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Per reader name, the first run of the fuzzer's sample folders it reads: its folder and files."""
    found: dict[str, tuple[Path, tuple[str, ...]]] = {}
    for folder in _fuzzing.SAMPLE_FOLDERS:
        base = ROOT / "fixtures" / folder
        for source in discover(base, readers()).sources:
            found.setdefault(source.reader.name, (base, tuple(str(Path(f).relative_to(base)) for f in source.files)))
    return found


SAMPLES = _samples()


def points(folder: Path, target: str) -> set[tuple[str, int, str]]:
    """The (tag, step, value) points read from ``target`` below ``folder``, every write kept (values as
    text, so that a NaN equals a NaN)."""
    try:
        frame = curvescope.read(folder, duplicates="all").scalars
    except curvescope.errors.NoRunsFound:
        return set()
    mine = frame[frame["source"].astype(str) == target]
    return set(zip(mine["tag"].astype(str), mine["step"].astype(int), map(repr, mine["value"].astype(float)), strict=True))


def copy_sample(base: Path, files: tuple[str, ...], folder: Path, target: str, data: bytes) -> Path:
    for file in files:
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        if file == target:
            (folder / file).write_bytes(data)
        else:
            shutil.copyfile(base / file, folder / file)
    return folder


def whole_units_before(data: bytes, offset: int, events: bool) -> int:
    """Where the last whole line (or event record) before ``offset`` ends."""
    if not events:
        return data.rfind(b"\n", 0, offset) + 1
    end = 0
    while end + 12 <= offset:
        record = end + 16 + struct.unpack_from("<Q", data, end)[0]
        if record > offset:
            break
        end = record
    return end


def test_every_reader_has_a_sample():
    assert {reader.name for reader in BUILTIN_READERS} <= set(SAMPLES)


@pytest.mark.parametrize("reader", [reader.name for reader in BUILTIN_READERS])
@pytest.mark.parametrize("damage", ["cut", "overwritten"])
def test_damage_at_any_byte_keeps_every_point_before_it(tmp_path, reader, damage):
    base, files = SAMPLES[reader]
    whole = copy_sample(base, files, tmp_path / "whole", "", b"")
    target = max(files, key=lambda file: len(points(whole, file)))
    data = (base / target).read_bytes()
    rng = random.Random(f"{reader}:{damage}")
    lost = []
    for case in range(OFFSETS):
        offset = rng.randrange(1, len(data))
        cut = whole_units_before(data, offset, reader == "tensorboard")
        rest = data[cut:offset] if damage == "cut" else bytes(rng.randrange(256) for _ in range(len(data) - cut))
        intact = points(copy_sample(base, files, tmp_path / f"prefix{case}", target, data[:cut]), target)
        damaged = points(copy_sample(base, files, tmp_path / f"damaged{case}", target, data[:cut] + rest), target)
        if intact - damaged:
            lost.append(f"damage at byte {offset} (prefix {cut} bytes): {sorted(intact - damaged)[:3]}")
    assert not lost, f"{target} lost intact points:\n" + "\n".join(lost)


def test_lines_of_garbage_after_a_log_do_not_make_a_column_of_numbers_text(tmp_path):
    """Rows without a step (garbage) used to count in deciding whether a column holds metrics."""
    base, files = SAMPLES["lightning_csv"]
    target = next(file for file in files if file.endswith("metrics.csv"))
    data = (base / target).read_bytes()
    prefix = data[: data.index(b"\n", data.index(b"\n") + 1) + 1]  # the header and the first row
    intact = points(copy_sample(base, files, tmp_path / "prefix", target, prefix), target)
    damaged = points(copy_sample(base, files, tmp_path / "damaged", target, prefix + b"\x8f#,x,\xff,,y,\n" * 4), target)
    assert ("epoch", 49, "0.0") in intact and intact <= damaged
