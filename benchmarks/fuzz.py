"""Long fuzzing runs of curvescope's readers: real samples damaged at random, each read under a
time limit and a memory ceiling (see ``_fuzzing.py``; ``tests/test_fuzz.py`` runs a few hundred).

    python benchmarks/fuzz.py --cases 100000 --seed 1 --jobs 2 --keep fuzz-failures/

Case ``i`` of seed ``s`` is the same on every machine: ``--start i --cases 1`` runs it alone.
Each failing case is printed, and with ``--keep`` its damaged files are written to reproduce it.
"""

from __future__ import annotations

import argparse
import collections
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fuzzing  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="the first case's index")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds a case may take")
    parser.add_argument("--keep", type=Path, help="write each failing case's files below this folder")
    args = parser.parse_args()

    pool = _fuzzing.samples()
    started = time.perf_counter()
    workers = [_fuzzing.Worker() for _ in range(max(1, args.jobs))]
    intact = _fuzzing.intact_outcomes(workers[0], pool, args.timeout)
    broken = [name for name, outcome in intact.items() if outcome.error]
    if broken:
        print(f"intact samples that do not read: {broken}", file=sys.stderr)
        return 2
    failures: list[tuple[_fuzzing.Case, str]] = []
    done = [0]
    lock = threading.Lock()

    def work(part: int) -> None:
        share = [i for i in range(args.start, args.start + args.cases) if i % len(workers) == part]
        batch = (case for i in share for case in _fuzzing.cases(args.seed, 1, pool, start=i))
        for case, found in _fuzzing.run_cases(workers[part], _counted(batch, done, lock), intact, args.timeout):
            with lock:
                failures.append((case, found))
                print(f"FAIL {case.describe()}: {found}", flush=True)
                if args.keep:
                    print(f"     kept in {_fuzzing.keep(case, args.keep)}", flush=True)

    threads = [threading.Thread(target=work, args=(part,)) for part in range(len(workers))]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        threads[0].join(60) if threads[0].is_alive() else threads[-1].join(60)
        print(f"{done[0]} cases, {len(failures)} failures, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    for worker in workers:
        worker.close()
    kinds = collections.Counter(found.split(":")[0] for _, found in failures)
    print(
        f"{done[0]} cases of {len(pool)} samples (seed {args.seed}) in {time.perf_counter() - started:.0f} s: "
        f"{len(failures)} failures {dict(kinds)}"
    )
    return 1 if failures else 0


def _counted(batch, done: list[int], lock: threading.Lock):
    for case in batch:
        yield case
        with lock:
            done[0] += 1


if __name__ == "__main__":
    sys.exit(main())
