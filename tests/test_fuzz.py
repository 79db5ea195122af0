"""Mutation fuzzing of the readers: real samples from ``fixtures/`` damaged at random (bit flips,
cuts, inserted and deleted bytes, huge record lengths, wide rows, UTF-16, Latin-1, BOMs, CRLF, NUL
bytes, long lines), each read by ``curvescope.read`` in a worker process under a time limit and
a memory ceiling. No exception escapes, no read hangs or runs out of memory, and a damaged file
that gives none of its points is named by a finding (``benchmarks/_fuzzing.py`` says exactly).

The same cases, many more of them: ``python benchmarks/fuzz.py --cases 100000 --seed 7 --jobs 2``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _fuzzing  # noqa: E402

pytestmark = [
    pytest.mark.slow,  # a worker process and a few hundred reads: about half a minute
    pytest.mark.skipif(not _fuzzing.environment_ok(), reason="no RLIMIT_AS here to hold a read to a memory ceiling"),
]

SEED, CASES = 20261207, 300
TIMEOUT = 30.0
"""Seconds a case may take: a read of these small samples takes well under one, even damaged."""


@pytest.fixture(scope="module")
def worker():
    worker = _fuzzing.Worker()
    yield worker
    worker.close()


def test_the_mutations_cover_every_kind_of_damage_and_every_reader():
    pool = _fuzzing.samples()
    drawn = list(_fuzzing.cases(SEED, CASES, pool))
    assert {name for case in drawn for name in case.mutations} == {mutator.__name__ for mutator in _fuzzing.MUTATORS}
    assert len({(case.sample.base, case.sample.files) for case in drawn}) == len({(s.base, s.files) for s in pool})


def test_the_worker_reports_what_escapes_overruns_or_runs_out_of_memory(worker, tmp_path):
    """The harness can fail: an error, a hang and a blown memory ceiling each come back as one."""
    missing = worker.read(tmp_path / "missing", TIMEOUT)
    assert missing.error and "LogdirNotFound" in missing.error
    sample = _fuzzing.ROOT / "fixtures" / "csv" / "keras"
    assert "no answer within" in worker.read(sample, 0.0001).error
    assert worker.read(sample, TIMEOUT).points, "a worker that overran is replaced"
    starved = _fuzzing.Worker(memory_limit=64 * 2**20)  # too little to import pandas
    try:
        error = starved.read(sample, TIMEOUT).error  # dies importing pandas, or fails the first allocation past it
        assert error and ("died" in error or "MemoryError" in error), error
    finally:
        starved.close()


def test_damaged_samples_never_crash_hang_or_vanish_silently(worker):
    pool = _fuzzing.samples()
    intact = _fuzzing.intact_outcomes(worker, pool, TIMEOUT)
    assert not [name for name, outcome in intact.items() if outcome.error]
    failures = list(_fuzzing.run_cases(worker, _fuzzing.cases(SEED, CASES, pool), intact, TIMEOUT))
    assert not failures, "\n".join(f"{case.describe()}: {found}" for case, found in failures)
