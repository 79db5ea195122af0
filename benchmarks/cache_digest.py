"""What the cache's content check costs: the sampled digest of a large event file against a cold read of it.

    python benchmarks/cache_digest.py            # a 200 MB event file of 8 tags, written once to a temporary folder

The cache takes a run from its entry only when each file's size, time and the digest of its
sampled blocks (``ingest.progress.sampled_digest``) are as they were; this measures the digest,
read from the page cache as a warm audit finds it, against ``curvescope.read`` of the same file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

import curvescope
from curvescope.scale.cache import identities


def write_events(folder: Path, megabytes: int) -> Path:
    """An event file of TF1 scalars (8 tags a step) of about ``megabytes`` MB."""
    writer = EventFileWriter(str(folder), max_queue_size=1000, flush_secs=3600)
    values = np.random.default_rng(0).random(8)
    step = 0
    while step * 135 < megabytes * 1e6:  # a step's event takes about 135 bytes
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=f"tag{i}", simple_value=values[i]) for i in range(8)])
        writer.add_event(event_pb2.Event(wall_time=1.7e9 + step, step=step, summary=summary))
        step += 1
    writer.close()
    return next(folder.glob("events.out.tfevents.*"))


def best(work, repeat: int) -> float:
    """The shortest of ``repeat`` runs of ``work``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = write_events(Path(scratch), args.megabytes)
        size = path.stat().st_size
        read = best(lambda: curvescope.read(path), max(2, args.repeat // 2))
        digest = best(lambda: identities([path]), args.repeat * 20)
        print(f"event file: {size / 1e6:.0f} MB")
        print(f"cold read (curvescope.read): {read * 1e3:.0f} ms")
        print(f"identity with sampled digest: {digest * 1e3:.3f} ms ({digest / read:.2e} of the cold read)")


if __name__ == "__main__":
    main()
