"""Features benchmark: time to measure a run, over many runs of 1,000 points.

Builds (deterministically, in memory) a tidy frame of N runs, each with a 1,000-point
training loss and lr curve and a 50-point validation loss and accuracy, in a mix of shapes
(healthy, exploding, plateaued, overfitting, step-decayed), then times
``curvescope.features.extract.measure`` over all of them and prints the time per run.

    python benchmarks/features.py [--runs 10000] [--points 1000]
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import numpy as np

from curvescope.assemble.runs import Block, assemble
from curvescope.features.extract import FEATURES, measure
from curvescope.schema import from_codes, reader_frame

SHAPES = ("healthy", "exploding", "plateau", "overfitting", "step_decay")


def curves_of(shape: str, points: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Train loss, lr, validation loss and accuracy of one synthetic run of the given shape."""
    t = np.linspace(0, 1, points)
    train = 2.0 * np.exp(-4 * t) + 0.2
    lr = np.full(points, 0.1)
    if shape == "exploding":
        train = train * np.exp(np.clip(t - 0.6, 0, None) * 20)
    elif shape == "plateau":
        train = np.where(t < 0.3, 2.3, 2.3 * np.exp(-5 * (t - 0.3)) + 0.2)
    elif shape == "step_decay":
        lr = 0.1 * 0.1 ** (t >= 0.2)
        train = np.where(t < 0.2, 2.0 * np.exp(-4 * t) + 0.2, 1.1 - 0.1 * t)
    train = train * np.exp(rng.normal(0, 0.03, points))
    every = max(points // 50, 1)
    val = train[::every] * 1.1
    if shape == "overfitting":
        val = val + np.clip(t[::every] - 0.5, 0, None) * 2
    return {"train_loss": train, "lr": lr, "val_loss": val, "val_acc": 1 - val / val.max() * 0.9}


def tidy_frame(runs: int, points: int):
    """The runs as one tidy frame, assembled the way ``curvescope.read`` assembles readers' rows."""
    rng = np.random.default_rng(0)
    tags = {"train_loss": "train/loss", "lr": "lr", "val_loss": "val/loss", "val_acc": "val/acc"}
    names = list(tags.values())
    tag_codes, steps, values, parts = [], [], [], []
    for run in range(runs):
        for role, series in curves_of(SHAPES[run % len(SHAPES)], points, rng).items():
            stride = points // len(series)
            tag_codes.append(np.full(len(series), names.index(tags[role]), dtype=np.int8))
            steps.append(np.arange(len(series), dtype=np.int64) * stride)
            values.append(series)
            parts.append(np.full(len(series), run, dtype=np.int32))
    frame = reader_frame(
        from_codes(np.concatenate(tag_codes), names),
        np.concatenate(steps),
        np.full(sum(map(len, steps)), np.nan),
        np.concatenate(values),
        "synthetic",
    )
    run_names = [f"run_{i:05d}" for i in range(runs)]
    assembled = assemble([Block(frame, run_names, np.concatenate(parts))])
    return SimpleNamespace(scalars=assembled.scalars, runs=tuple(run_names))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000)
    args = parser.parse_args()
    result = tidy_frame(args.runs, args.points)
    start, cpu = time.perf_counter(), time.process_time()
    measured = measure(result)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    events = sum(len(run.events) for run in measured.values())
    print(
        f"{args.runs:,} runs x {args.points:,} points ({len(result.scalars):,} scalars): "
        f"{wall:.1f} s, {1000 * wall / args.runs:.2f} ms per run ({1000 * cpu / args.runs:.2f} ms CPU); "
        f"{events:,} events, {len(FEATURES)} features per run"
    )


if __name__ == "__main__":
    main()
