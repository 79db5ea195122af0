"""Mutation fuzzing of curvescope's readers, shared by ``tests/test_fuzz.py`` and ``fuzz.py``.

A case is one real sample log from ``fixtures/`` (a run's files, copied), one of its files damaged
by a few mutations (bit flips, truncation, inserted and deleted bytes, a huge length field in an
event record, a very wide row, another encoding, a BOM, CRLF line ends, NUL bytes, a very long
line), then ``curvescope.read`` on the copy in a worker process held under a time limit and a
memory ceiling. The property: ``read`` returns (or raises ``NoRunsFound``, no file left a log), in time and
memory, and when the damaged file gives none of its points, a finding names it.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import struct
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FOLDERS = (
    "tensorboard/tf1",
    "tensorboard/tf2",
    "tensorboard/tensorboardx",
    "tensorboard/pytorch_new_style",
    "tensorboard/keras_run",
    "csv/keras",
    "csv/generic",
    "csv/lightning_logs",
    "json/hf",
    "json/jsonl",
    "mlflow/mlruns",
    "raytune/exp",
    "roles/ultralytics_detect",
    "formats/detectron2",
    "formats/detr_log_txt",
    "formats/cfvit_log_txt",
    "formats/sb3_ppo",
    "formats/sacred",
    "formats/timm_resnet50",
    "formats/mmcv_log_json",
    "formats/mmengine_detection",
    "formats/wandb_history",
    "lr_range/lightning",
)
"""Fixture folders whose runs are the samples: one or more of every format curvescope reads."""

MAX_SAMPLE_BYTES = 256 * 1024
MEMORY_LIMIT = 3 * 2**30
"""The worker's address-space ceiling (bytes): a read that would need more fails the case."""


@dataclass(frozen=True)
class Sample:
    """A real log: its run's files relative to ``base`` and the one a case damages."""

    name: str
    base: Path
    files: tuple[str, ...]
    target: str


def samples(root: Path = ROOT / "fixtures") -> list[Sample]:
    """The samples: every run's files in ``SAMPLE_FOLDERS`` no larger than ``MAX_SAMPLE_BYTES``,
    one sample per file of a run (each file is damaged in turn)."""
    import curvescope
    from curvescope.ingest.discover import discover

    found = []
    for folder in SAMPLE_FOLDERS:
        base = root / folder
        for source in discover(base, curvescope.ingest.readers()).sources:
            files = tuple(sorted(str(Path(file).relative_to(base)) for file in source.files))
            if sum((base / file).stat().st_size for file in files) > MAX_SAMPLE_BYTES:
                continue
            found.extend(Sample(f"{folder}/{file}", base, files, file) for file in files)
    return sorted(found, key=lambda sample: sample.name)


Mutator = Callable[[random.Random, bytes, str], bytes]


def bit_flips(rng: random.Random, data: bytes, name: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 8, 32))):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncation(rng: random.Random, data: bytes, name: str) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def inserted_bytes(rng: random.Random, data: bytes, name: str) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice((bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), data[at : at + rng.randrange(1, 512)]))
    return data[:at] + junk + data[at:]


def deleted_bytes(rng: random.Random, data: bytes, name: str) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + data[at + rng.randrange(1, 256) :]


def huge_length(rng: random.Random, data: bytes, name: str) -> bytes:
    """An event record's length field set to a huge number (its checksum made valid or not)."""
    starts, at = [], 0
    while at + 12 <= len(data) and len(starts) < 10_000:
        starts.append(at)
        at += 16 + struct.unpack_from("<Q", data, at)[0]
    if not starts:
        return bit_flips(rng, data, name)
    from curvescope.ingest.tensorboard.crc import masked_crc

    start = rng.choice(starts)
    length = struct.pack("<Q", rng.choice((2**32, 2**40, 2**63 - 1, 2**64 - 1, rng.randrange(2**20, 2**64))))
    checksum = struct.pack("<I", masked_crc(length)) if rng.random() < 0.7 else data[start + 8 : start + 12]
    return data[:start] + length + checksum + data[start + 12 :]


def wide_row(rng: random.Random, data: bytes, name: str) -> bytes:
    at = _line_start(rng, data)
    cell = rng.choice((b",1", b",", b";x", b"\t0.5", b',"a'))
    return data[:at] + cell * rng.choice((1_000, 1_000, 1_000, 100_000)) + b"\n" + data[at:]


def long_line(rng: random.Random, data: bytes, name: str) -> bytes:
    at = _line_start(rng, data)
    length = rng.choice((70_000, 70_000, 70_000, 2**20, 5 * 2**20))
    return data[:at] + rng.choice((b"x", b"{", b"0", b" ")) * length + b"\n" + data[at:]


def utf16(rng: random.Random, data: bytes, name: str) -> bytes:
    return data.decode("utf-8", "replace").encode(rng.choice(("utf-16", "utf-16-le", "utf-16-be")))


def latin1(rng: random.Random, data: bytes, name: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 16)):
        if out:
            out[rng.randrange(len(out))] = rng.choice(b"\xe9\xe8\xfc\xb5\xa0\xff")
    return bytes(out)


def bom(rng: random.Random, data: bytes, name: str) -> bytes:
    return rng.choice((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) + data


def crlf(rng: random.Random, data: bytes, name: str) -> bytes:
    return data.replace(b"\n", rng.choice((b"\r\n", b"\r", b"\n\r")))


def nul_bytes(rng: random.Random, data: bytes, name: str) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\0" * rng.choice((1, 7, 4096)) + data[at:]


def repeated_block(rng: random.Random, data: bytes, name: str) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + data[at : at + rng.randrange(1, 4096)] * rng.randrange(2, 50) + data[at:]


def _line_start(rng: random.Random, data: bytes) -> int:
    starts = [0]
    while len(starts) < 1000 and (end := data.find(b"\n", starts[-1])) >= 0:
        starts.append(end + 1)
    return rng.choice(starts)


MUTATORS: tuple[Mutator, ...] = (
    bit_flips,
    truncation,
    inserted_bytes,
    deleted_bytes,
    huge_length,
    wide_row,
    long_line,
    utf16,
    latin1,
    bom,
    crlf,
    nul_bytes,
    repeated_block,
)


@dataclass(frozen=True)
class Case:
    """The ``index``-th case of a run seeded ``seed``: a sample and the mutations applied to it."""

    seed: int
    index: int
    sample: Sample
    mutations: tuple[str, ...]
    data: bytes

    def write(self, folder: Path) -> None:
        """The sample's files in ``folder``, the target damaged."""
        for file in self.sample.files:
            (folder / file).parent.mkdir(parents=True, exist_ok=True)
            if file == self.sample.target:
                (folder / file).write_bytes(self.data)
            else:
                shutil.copyfile(self.sample.base / file, folder / file)

    def describe(self) -> str:
        return f"case {self.index} (seed {self.seed}): {self.sample.name} damaged by {' + '.join(self.mutations)}"


def cases(seed: int, count: int, pool: list[Sample], start: int = 0) -> Iterator[Case]:
    """``count`` cases from ``pool``, the same for the same seed (case ``i`` depends on ``seed`` and ``i`` alone)."""
    by_name = {mutator.__name__: mutator for mutator in MUTATORS}
    runs: dict[tuple[Path, tuple[str, ...]], list[Sample]] = {}
    for sample in pool:  # a run is as likely as any other, whatever its number of files
        runs.setdefault((sample.base, sample.files), []).append(sample)
    for index in range(start, start + count):
        rng = random.Random(f"{seed}:{index}")
        sample = rng.choice(runs[rng.choice(list(runs))])
        names = tuple(rng.choice(list(by_name)) for _ in range(rng.choice((1, 1, 1, 2, 3))))
        data = (sample.base / sample.target).read_bytes()
        for name in names:
            data = by_name[name](rng, data, sample.target)
        yield Case(seed, index, sample, names, data)


@dataclass(frozen=True)
class Outcome:
    """What reading a folder gave: points per file, the files findings name (a finding on a run
    names its files), or the error raised."""

    points: dict[str, int]
    named: frozenset[str]
    error: str | None = None
    claimed: frozenset[str] = frozenset()
    """The files a reader recognised."""


def read_outcome(folder: Path) -> Outcome:
    """``curvescope.read`` of ``folder``, as an ``Outcome`` (a ``CurvescopeError`` is a documented answer)."""
    import curvescope
    from curvescope.errors import CurvescopeError, NoRunsFound
    from curvescope.ingest.discover import discover

    try:
        sources = discover(folder, curvescope.ingest.readers()).sources
        claimed = frozenset(str(Path(file).relative_to(folder)) for source in sources for file in source.files)
        result = curvescope.read(folder)
    except NoRunsFound:
        return Outcome({}, frozenset())
    except CurvescopeError as exc:
        return Outcome({}, frozenset(), f"{type(exc).__name__}: {exc}")
    except BaseException:  # noqa: BLE001 - what escapes is the finding
        return Outcome({}, frozenset(), traceback.format_exc(limit=-6))
    counts = result.scalars["source"].astype(str).value_counts()
    runs = result.scalars[["run", "source"]].astype(str).drop_duplicates()
    named = {str(item.source) for item in result.findings if item.source}
    named |= set(runs["source"][runs["run"].isin({item.run for item in result.findings if item.run and not item.source})])
    return Outcome({str(source): int(count) for source, count in counts.items()}, frozenset(named), claimed=claimed)


def problem(case: Case, intact: Outcome, damaged: Outcome) -> str | None:
    """What breaks the property in a case, or None: an exception escaped, the read overran its time
    or memory, or the damaged file lost every point without a finding naming it (or its run).

    A file damaged out of its format into plain text (its header garbled) is no longer a log, and
    quiet as any text file is. Fewer points without a finding is no failure: damage may leave a
    valid, shorter log (a cut at a line's end, a line deleted) that no reader can tell from one;
    that damage never costs the points before it is ``tests/test_intact_prefix.py``'s property."""
    if damaged.error is not None:
        return f"an exception escaped: {damaged.error}"
    target = case.sample.target
    had = intact.points.get(target, 0)
    if not had or damaged.points.get(target, 0) or any(target == name or target.startswith(f"{name}/") for name in damaged.named):
        return None  # a finding on the file, or on the folder of its run, names it
    if target not in damaged.claimed and _plain_text(case.data):
        return None
    return f"all {had} points of {target} lost without a finding naming it"


def _plain_text(data: bytes) -> bool:
    """Whether bytes begin as UTF-8 text without NUL bytes or a UTF-16 byte-order mark."""
    head = data[:65536]
    if b"\0" in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(data) > len(head) and exc.start >= len(head) - 3  # a character cut by the head's end
    return True


def _worker(connection, memory_limit: int) -> None:
    """Read each folder sent, under ``memory_limit`` bytes of address space, and send back its outcome."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    import curvescope  # noqa: F401 - imported once, before the first case's clock starts

    while True:
        folder = connection.recv()
        if folder is None:
            return
        connection.send(read_outcome(Path(folder)))


class Worker:
    """A process reading folders one at a time; one that overruns its time is killed and replaced."""

    def __init__(self, memory_limit: int = MEMORY_LIMIT) -> None:
        self.memory_limit = memory_limit
        self._start()

    def _start(self) -> None:
        context = get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_worker, args=(child, self.memory_limit), daemon=True)
        self._process.start()
        child.close()

    def read(self, folder: Path, timeout: float) -> Outcome:
        try:
            self._connection.send(str(folder))
        except (BrokenPipeError, ConnectionResetError):  # died before this case (out of memory while idle)
            self._restart()
            self._connection.send(str(folder))
        if self._connection.poll(timeout):
            try:
                return self._connection.recv()
            except (EOFError, ConnectionResetError):
                self._restart()
                return Outcome({}, frozenset(), f"the worker died (exit code {self._process.exitcode})")
        self._restart()
        return Outcome({}, frozenset(), f"no answer within {timeout:g} s")

    def _restart(self) -> None:
        self._process.kill()
        self._process.join()
        self._start()

    def close(self) -> None:
        try:
            self._connection.send(None)
        except (BrokenPipeError, OSError):
            pass
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()


def intact_outcomes(worker: Worker, pool: list[Sample], timeout: float) -> dict[str, Outcome]:
    """Each sample read undamaged."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="curvescope-fuzz-") as scratch:
        for index, sample in enumerate(pool):
            folder = Path(scratch) / str(index)
            for file in sample.files:
                (folder / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(sample.base / file, folder / file)
            found[sample.name] = worker.read(folder, timeout)
    return found


def run_cases(worker: Worker, batch: Iterator[Case], intact: dict[str, Outcome], timeout: float) -> Iterator[tuple[Case, str]]:
    """Each case of ``batch`` that breaks the property, and how."""
    with tempfile.TemporaryDirectory(prefix="curvescope-fuzz-") as scratch:
        for case in batch:
            folder = Path(scratch) / str(case.index)
            folder.mkdir()
            case.write(folder)
            found = problem(case, intact[case.sample.name], worker.read(folder, timeout))
            shutil.rmtree(folder, ignore_errors=True)
            if found is not None:
                yield case, found


def keep(case: Case, folder: Path) -> Path:
    """The damaged file of a failing case written under ``folder``, to reproduce it."""
    where = folder / f"seed{case.seed}-case{case.index}"
    case.write(where)
    return where


def environment_ok() -> bool:
    """Whether this system can hold a process to a memory ceiling (``RLIMIT_AS``)."""
    return hasattr(resource, "RLIMIT_AS") and os.name == "posix"
