"""Does the rate an LR range test suggests train well? For each small model of ``fixtures/lr_range/tasks.py``:
a range test (the hand-written loop, 120 steps from 1e-5 to 10), read by ``curvescope.lr.analyse``; then short
real trainings at a grid of constant rates (half-decades from 1e-4 to 3) and at the suggestion, a tenth of it and
ten times it, each from the same initial weights and data order, over several seeds. Reported per model: the
suggestion and its range, the rate of the grid that trained best (lowest final validation loss, median over
seeds) and the final validation loss at each rate. Also, per model, what the committed tests written by the
tools (torch-lr-finder, Lightning, fastai, SummaryWriter) suggest, read by ``curvescope.lr_find``.

    pip install -e ".[corpus]" && python benchmarks/lr_suggestion.py [--seeds 3] [--epochs 10] [--json figures.json]

Needs torch (the ``corpus`` extra); about 4 minutes on one CPU core with the defaults.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures" / "lr_range"))
from tasks import TASKS, range_test, task, train  # noqa: E402

import curvescope  # noqa: E402
from curvescope.features.events import Curve  # noqa: E402
from curvescope.lr import analyse  # noqa: E402

GRID = tuple(float(f"{10**e:.2g}") for e in np.arange(-4, 0.51, 0.5))
"""Constant rates tried, half a decade apart: 1e-4, 3.2e-4, ... 3.2."""
TOOL_TESTS = {
    "digits-mlp": ("torch-lr-finder/digits-mlp.json", "fastai/digits-mlp.json", "sweep/digits-mlp/lr_find"),
    "digits-cnn": ("lightning/digits-cnn.json", "tensorboard/digits-cnn"),
    "sequences-gru": ("lightning/sequences-gru.json", "fastai/sequences-gru.json", "tensorboard/sequences-gru"),
    "diabetes-mlp": ("torch-lr-finder/diabetes-mlp.csv",),
}
"""The committed range tests of each model, by run name under fixtures/lr_range."""


def suggestion(name: str, seed: int):
    steps, lrs, losses = [], [], []
    range_test(
        task(name),
        start_lr=1e-5,
        end_lr=10.0,
        steps=120,
        seed=seed,
        log=lambda s, loss, lr: (steps.append(s), lrs.append(lr), losses.append(loss)),
    )
    return analyse(name, Curve.of(steps, lrs, "lr"), Curve.of(steps, losses, "train_loss"))


def final_loss(name: str, lr: float, seeds: int, epochs: int) -> float:
    """Median over seeds of the final validation loss (inf when it diverged)."""
    values = []
    for seed in range(seeds):
        loss = train(task(name), lr, epochs=epochs, seed=seed)[-1]
        values.append(loss if math.isfinite(loss) else math.inf)
    return float(np.median(values))


def measure(name: str, seeds: int, epochs: int) -> dict:
    test = suggestion(name, seed=0)
    s = test.suggested
    rates = dict.fromkeys(GRID)
    picks = (
        {} if s is None else {"suggested": s, "suggested/10": s / 10, "suggested*10": s * 10, "minimum/10": test.minimum_over_10}
    )
    for rate in [*GRID, *picks.values()]:
        rates[rate] = final_loss(name, rate, seeds, epochs)
    best_rate = min(GRID, key=lambda r: rates[r])
    tools = curvescope.lr_find(ROOT / "fixtures" / "lr_range")
    return {
        "model": name,
        "suggested": s,
        "suggested_by": test.suggested_by,
        "suggested_range": None if s is None else list(test.suggested_range),
        "notes": list(test.notes),
        "picks": {key: {"rate": rate, "val_loss": rates[rate]} for key, rate in picks.items()},
        "grid": {f"{rate:g}": rates[rate] for rate in GRID},
        "best_grid_rate": best_rate,
        "best_grid_loss": rates[best_rate],
        "suggested_vs_best_decades": None if s is None else math.log10(s / best_rate),
        "tools": {run: tools[run].suggested for run in TOOL_TESTS[name]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", nargs="*", default=list(TASKS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    figures = [measure(name, args.seeds, args.epochs) for name in args.models]
    print(
        "| model | suggested (range) | val loss at suggested | at 0.1x | at 10x | at minimum/10 | best grid rate | its val loss |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for f in figures:
        if f["suggested"] is None:
            print(
                f"| {f['model']} | none: {'; '.join(f['notes'])} | | | | {f['best_grid_rate']:g} | {f['best_grid_loss']:.4g} | |"
            )
            continue
        low, high = f["suggested_range"]
        p = f["picks"]
        print(
            f"| {f['model']} | {f['suggested']:.3g} ({low:.3g}-{high:.3g}, {f['suggested_by']}) | "
            f"{p['suggested']['val_loss']:.4g} | "
            f"{p['suggested/10']['val_loss']:.4g} | {p['suggested*10']['val_loss']:.4g} | "
            f"{p['minimum/10']['val_loss']:.4g} ({p['minimum/10']['rate']:.3g}) | "
            f"{f['best_grid_rate']:g} | {f['best_grid_loss']:.4g} |"
        )
    print("\n| model | " + " | ".join(f"{rate:g}" for rate in GRID) + " |")
    print("|---|" + "---:|" * len(GRID))
    for f in figures:
        print(f"| {f['model']} | " + " | ".join(f"{f['grid'][f'{rate:g}']:.3g}" for rate in GRID) + " |")
    print("\n| model | test | its suggestion | best grid rate |")
    print("|---|---|---:|---:|")
    for f in figures:
        for run, rate in f["tools"].items():
            print(f"| {f['model']} | {run} | {'none' if rate is None else f'{rate:.3g}'} | {f['best_grid_rate']:g} |")
    took = time.perf_counter() - started
    print(f"\n{took:.0f} s; {args.seeds} seeds, {args.epochs} epochs; final validation loss, median over seeds")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
