"""Planted curves for the diagnosis tests: tidy frames (run, tag, step, value) with a known shape.

Every builder takes a seed and returns a dict of tag -> (steps, values); ``frame`` turns runs of
those into the tidy frame ``curvescope.audit`` takes. The shapes are drawn far past any
reasonable threshold, so that tuning a rule's defaults does not turn a planted case around.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from threadpoolctl import threadpool_limits

from curvescope.diagnose import LABELS, LearnedModel, learned
from curvescope.features import FEATURES

TRAIN_LOSS, VAL_LOSS, LR, TRAIN_ACC, VAL_ACC = "train/loss", "val/loss", "train/lr", "train/acc", "val/acc"
LOSSES = (TRAIN_LOSS, VAL_LOSS)

Curves = dict[str, tuple[np.ndarray, np.ndarray]]

N = 400  # training-loss points per run
EVERY = 10  # validation is logged every EVERY steps


def frame(runs: dict[str, Curves]) -> pd.DataFrame:
    """The tidy frame of several runs: one row per (run, tag, step)."""
    parts = [
        pd.DataFrame(
            {"run": run, "tag": tag, "step": np.asarray(steps, dtype=np.int64), "value": np.asarray(values, dtype=np.float64)}
        )
        for run, curves in runs.items()
        for tag, (steps, values) in curves.items()
    ]
    return pd.concat(parts, ignore_index=True)


def scaled(curves: Curves, factor: float) -> Curves:
    """The same run with every loss multiplied by ``factor`` (accuracies and lr untouched)."""
    return {tag: (steps, values * factor if tag in LOSSES else values) for tag, (steps, values) in curves.items()}


def _t(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    steps = np.arange(n, dtype=np.int64)
    return steps, steps / (n - 1)


def _noise(rng: np.random.Generator, n: int, size: float) -> np.ndarray:
    return 1.0 + size * rng.standard_normal(n)


def _val_of(steps: np.ndarray, level: np.ndarray, rng: np.random.Generator, gap: float, size: float = 0.005):
    at = steps[::EVERY]
    return at, (level[::EVERY] + gap) * _noise(rng, len(at), size)


def healthy(
    seed: int = 0, *, noise: float = 0.01, lr: str = "constant", rate: float = 6.0, floor: float = 0.3, gap: float = 0.05
) -> Curves:
    """Exponential decay from ``floor + 2`` to a plateau at ``floor`` with small multiplicative noise,
    validation ``gap`` above training, accuracy rising from 0.1 to 0.9, and a constant lr
    (``lr="late_step"``: one 10x step decay at 80% of the run; ``lr="warmup_cosine"``: 5% linear
    warm-up, then cosine over the rest of the run)."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    level = floor + 2.0 * np.exp(-rate * t)
    train = level * _noise(rng, N, noise)
    curves: Curves = {TRAIN_LOSS: (steps, train), VAL_LOSS: _val_of(steps, level, rng, gap)}
    acc = 0.9 - 0.8 * np.exp(-rate * t)
    curves[TRAIN_ACC] = (steps, acc)
    curves[VAL_ACC] = (steps[::EVERY], acc[::EVERY] - 0.02)
    curves[LR] = (steps, lr_curve(lr))
    return curves


def lr_curve(kind: str, peak: float = 0.1) -> np.ndarray:
    steps, t = _t()
    if kind == "constant":
        return np.full(N, peak)
    if kind == "late_step":
        return np.where(t < 0.8, peak, peak / 10)
    if kind == "warmup_cosine":
        warm = 0.05
        rise = peak * (steps + 1) / (warm * N)
        fall = peak * 0.5 * (1 + np.cos(np.pi * (t - warm) / (1 - warm)))
        return np.where(t < warm, rise, np.maximum(fall, peak * 1e-4))
    raise ValueError(kind)


# --- planted problems: each docstring names the rule it must fire (test_rules.py lists them) ----


def diverges_to_nan(seed: int = 0) -> Curves:
    """CS201: the loss falls, then climbs and becomes NaN at 60% of the run."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    loss = (0.5 + 2.0 * np.exp(-8 * t)) * _noise(rng, N, 0.01)
    loss[int(0.5 * N) : int(0.6 * N)] *= np.geomspace(1, 1e3, int(0.6 * N) - int(0.5 * N))
    loss[int(0.6 * N) :] = np.nan
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr_curve("constant"))}


def explodes(seed: int = 0) -> Curves:
    """CS201: the loss falls to a low level, then grows 1000x over its running minimum (finite)."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    loss = (0.5 + 2.0 * np.exp(-8 * t)) * _noise(rng, N, 0.01)
    start = int(0.5 * N)
    loss[start:] = loss[start:] * np.geomspace(1, 2000, N - start)
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr_curve("constant"))}


def oscillates(seed: int = 1) -> Curves:
    """CS202: a flat level (2.3) with swings of +-1.2 around it, no trend at all, over 2,000 steps."""
    rng = np.random.default_rng(seed)
    n = 2000
    steps = np.arange(n, dtype=np.int64)
    loss = 2.3 + 1.2 * rng.uniform(-1, 1, n)
    loss[0] = 2.3
    return {TRAIN_LOSS: (steps, loss), LR: (steps, np.full(n, 0.1))}


def first_loss_far_above_chance(seed: int = 0, classes: int = 10) -> Curves:
    """CS101: first loss 10x ln(classes), accuracy starting at exactly 1/classes, then a normal descent."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    start = 10 * math.log(classes)
    loss = (0.3 + (start - 0.3) * np.exp(-10 * t)) * _noise(rng, N, 0.005)
    loss[0] = start
    acc = 0.9 - (0.9 - 1 / classes) * np.exp(-6 * t)
    return {TRAIN_LOSS: (steps, loss), TRAIN_ACC: (steps, acc), LR: (steps, lr_curve("constant"))}


def flat_start_then_drop(seed: int = 0) -> Curves:
    """CS102: the loss sits at ln(10) for the first 40% of the run, then falls sharply to 0.1."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    start = 0.4
    after = np.clip(t - start, 0, None)
    loss = np.where(t < start, math.log(10), 0.1 + (math.log(10) - 0.1) * np.exp(-15 * after))
    loss = loss * _noise(rng, N, 0.003)
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr_curve("constant"))}


def cut_inferred_from_loss(seed: int = 0) -> Curves:
    """CS301 with no lr logged: a steep fall, an abrupt extra fall of 0.5 at 15% of the run (as after
    an lr cut), then a loss flat to the end."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    cut = 0.15
    loss = np.where(t < cut, 2.3 - 3.0 * t, 2.3 - 3.0 * cut - 0.5) * _noise(rng, N, 0.002)
    return {TRAIN_LOSS: (steps, loss)}


def cut_while_improving(seed: int = 0) -> Curves:
    """CS301: the loss falls steeply (linearly); at 10% of the run lr steps down 10x and the loss stalls."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    cut = 0.1
    loss = np.where(t < cut, 2.3 - 10.0 * t, 1.3 - 0.3 * (1 - np.exp(-(t - cut) * 0.5)))
    loss = loss * _noise(rng, N, 0.002)
    lr = np.where(t < cut, 0.1, 0.01)
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr)}


def decays_to_floor_early(seed: int = 0) -> Curves:
    """CS302: lr decays exponentially to 1e-4 of its peak by 15% of the run; the loss is flat after."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    end = 0.15
    lr = 0.1 * np.power(1e-4, np.clip(t / end, 0, 1))
    loss = np.where(t < end, 2.3 - 6.0 * t, 2.3 - 6.0 * end) * _noise(rng, N, 0.002)
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr)}


def val_loss_u_shape(seed: int = 0) -> Curves:
    """CS401: train keeps falling; validation bottoms at 30% of the run and ends 50% above its best."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    train = (0.05 + 2.0 * np.exp(-5 * t)) * _noise(rng, N, 0.005)
    best_at, best = 0.3, 0.6
    falling = best + 1.7 * ((best_at - t) / best_at) ** 2
    rising = best * (1 + 0.5 * (t - best_at) / (1 - best_at))
    val_level = np.where(t < best_at, falling, rising)
    at = steps[::EVERY]
    return {
        TRAIN_LOSS: (steps, train),
        VAL_LOSS: (at, val_level[::EVERY] * _noise(rng, len(at), 0.002)),
        LR: (steps, lr_curve("constant")),
    }


def val_acc_peaks_then_falls(seed: int = 0) -> Curves:
    """CS402: no validation loss; validation accuracy peaks at 0.9 at 30% of the run, ends at 0.7."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    train = (0.05 + 2.0 * np.exp(-5 * t)) * _noise(rng, N, 0.005)
    val_acc = np.where(t < 0.3, 0.1 + 0.8 * (t / 0.3), 0.9 - 0.2 * (t - 0.3) / 0.7)
    at = steps[::EVERY]
    return {
        TRAIN_LOSS: (steps, train),
        VAL_ACC: (at, val_acc[::EVERY] + 0.001 * rng.standard_normal(len(at))),
        LR: (steps, lr_curve("constant")),
    }


def barely_falls(seed: int = 0) -> Curves:
    """CS501: a smooth loss that ends at 95% of its start; validation tracks it closely."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    level = 2.3 * (1 - 0.05 * t)
    train = level * _noise(rng, N, 0.0005)
    return {TRAIN_LOSS: (steps, train), VAL_LOSS: _val_of(steps, level, rng, 0.01, 0.0005), LR: (steps, lr_curve("constant"))}


def barely_falls_with_scatter(seed: int = 0) -> Curves:
    """CS501: a loss that ends at 95% of its start with 3% minibatch scatter: scatter many times the trend's own
    small fall, yet small next to the loss itself (the noise of a model that learns nothing)."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    level = 2.3 * (1 - 0.05 * t)
    train = level * _noise(rng, N, 0.03)
    return {TRAIN_LOSS: (steps, train), VAL_LOSS: _val_of(steps, level, rng, 0.01, 0.0005), LR: (steps, lr_curve("constant"))}


def validation_diverges(seed: int = 0) -> Curves:
    """CS203: a healthy training loss; the validation loss becomes NaN at 70% of the run."""
    curves = healthy(seed)
    at, val = curves[VAL_LOSS]
    val = val.copy()
    val[at >= int(0.7 * N)] = np.nan
    return {**curves, VAL_LOSS: (at, val)}


def loss_freezes(seed: int = 0) -> Curves:
    """CS502: the loss falls from 2.3 to 1.2 over 40% of the run, then repeats 1.2 exactly to the end."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    loss = (1.2 + 1.1 * (1 - t / 0.4)) * _noise(rng, N, 0.01)
    loss[t >= 0.4] = 1.2
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr_curve("constant"))}


def loss_fitted_to_zero(seed: int = 0) -> Curves:
    """Not CS502: the loss falls to 0.0 (a training set fitted to float precision) and stays there."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    loss = np.maximum(2.3 * (1 - t / 0.5), 0.0) * _noise(rng, N, 0.01)
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr_curve("constant"))}


# --- near misses: runs that look a little like a problem but are clean ---------------------------


def spike_that_recovers(seed: int = 0) -> Curves:
    """Not CS201: a healthy run whose loss doubles for three steps mid-run, then carries on."""
    curves = healthy(seed)
    steps, loss = curves[TRAIN_LOSS]
    loss = loss.copy()
    loss[200:203] *= 2.0
    curves[TRAIN_LOSS] = (steps, loss)
    return curves


def overshoots_at_start(seed: int = 0) -> Curves:
    """CS201: a healthy run but for its first updates: the third logged loss is 8x the first, then the descent."""
    curves = healthy(seed)
    steps, loss = curves[TRAIN_LOSS]
    loss = loss.copy()
    loss[2] = 8 * loss[0]
    curves[TRAIN_LOSS] = (steps, loss)
    return curves


def blows_up_at_once(seed: int = 0) -> Curves:
    """CS201: a regression whose second logged loss is 10^5 times its first, then a slow fall back over the first
    fifth of the run: the blow-up dwarfs every later point, the first included."""
    curves = healthy(seed)
    steps, loss = curves[TRAIN_LOSS]
    loss = loss.copy()
    loss[1 : N // 5 + 1] *= np.geomspace(1e5, 1, N // 5)
    return {TRAIN_LOSS: (steps, loss), VAL_LOSS: curves[VAL_LOSS], LR: curves[LR]}


def warm_up_flat_start(seed: int = 0) -> Curves:
    """Not CS102: the loss is flat while the lr warms up linearly over the first 40%, then falls."""
    curves = flat_start_then_drop(seed)
    steps, t = _t()
    curves[LR] = (steps, np.where(t < 0.4, 0.1 * (steps + 1) / (0.4 * N), 0.1))
    return curves


def early_cut_keeps_falling(seed: int = 0) -> Curves:
    """Not CS301: lr steps down 10x at 10% of the run, but the loss keeps falling at the same rate."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    loss = (2.3 - 1.5 * t) * _noise(rng, N, 0.002)
    return {TRAIN_LOSS: (steps, loss), LR: (steps, np.where(t < 0.1, 0.1, 0.01))}


def val_loss_flattens(seed: int = 0) -> Curves:
    """Not CS401: validation falls to its best at 30% of the run and stays exactly there to the end."""
    curves = healthy(seed)
    at, val = curves[VAL_LOSS]
    best = int(0.3 * len(at))
    val = val.copy()
    val[best:] = val[best]
    curves[VAL_LOSS] = (at, val)
    return curves


def warm_up_then_cosine_flat_start(seed: int = 0) -> Curves:
    """Not CS102, CS301 or CS302: lr warms up linearly over the first 30% (the loss waits at ln(10)
    meanwhile), then follows a cosine to zero over the rest of the run while the loss falls."""
    rng = np.random.default_rng(seed)
    steps, t = _t()
    warm = 0.3
    lr = np.where(t < warm, 0.1 * (steps + 1) / (warm * N), 0.05 * (1 + np.cos(np.pi * (t - warm) / (1 - warm))))
    lr = np.maximum(lr, 1e-5)
    after = np.clip(t - warm, 0, None)
    loss = np.where(t < warm, math.log(10), 0.2 + (math.log(10) - 0.2) * np.exp(-8 * after)) * _noise(rng, N, 0.003)
    return {TRAIN_LOSS: (steps, loss), LR: (steps, lr)}


def val_acc_plateaus(seed: int = 0) -> Curves:
    """Not CS402: no validation loss; validation accuracy rises to 0.9 and stays there."""
    curves = val_acc_peaks_then_falls(seed)
    at, _ = curves[VAL_ACC]
    t = at / (N - 1)
    curves[VAL_ACC] = (at, np.minimum(0.1 + 0.8 * t / 0.3, 0.9))
    return curves


# --- learned model and labelled corpus ------------------------------------------------------------


def separable_table(per_label: int = 12, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A feature table (``FEATURES`` columns, as natural units) and its truth (runs x ``LABELS``): random features, with
    the i-th feature pushed far up for the runs of the i-th label, so that any classifier separates them."""
    rng = np.random.default_rng(seed)
    labels = [label for label in LABELS for _ in range(per_label)]
    runs = pd.Index([f"run{i:03d}" for i in range(len(labels))], name="run")
    x = rng.normal(size=(len(labels), len(FEATURES)))
    for row, label in enumerate(labels):
        x[row, LABELS.index(label)] += 8.0
    table = pd.DataFrame(x, index=runs, columns=list(FEATURES))
    truth = pd.DataFrame({label: [given == label for given in labels] for label in LABELS}, index=runs)
    return table, truth


@functools.cache
def tiny_model() -> LearnedModel:
    """A model fitted once per test session on ``separable_table`` (one thread: tiny data, no overhead)."""
    table, truth = separable_table()
    with threadpool_limits(1):
        return learned.fit(table, truth, features=tuple(FEATURES), seed=0, trained_on="separable table")


@functools.cache
def light_model() -> LearnedModel:
    """A model of the shipped model's shape (labels, features, trusted tree types; five trees a label,
    uncalibrated) that stores, loads and predicts in no time: for the loader's edge cases and the
    commands that take a model file."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.multioutput import MultiOutputClassifier

    table, truth = separable_table()
    trees = HistGradientBoostingClassifier(max_iter=5, min_samples_leaf=2, random_state=0)
    with threadpool_limits(1):
        estimator = MultiOutputClassifier(trees).fit(table.to_numpy(), truth.to_numpy(dtype=np.int64))
    return LearnedModel(estimator, tuple(FEATURES), tuple(LABELS), sklearn.__version__, "light")


def write_corpus(root: Path, runs: dict[str, tuple[Curves, str]], *, split: str = "train") -> Path:
    """A labelled corpus: each run as a long CSV log ``runs/<name>/log.csv`` and ``labels.csv`` beside."""
    for name, (curves, _) in runs.items():
        folder = root / "runs" / name
        folder.mkdir(parents=True)
        frame({name: curves}).drop(columns="run").to_csv(folder / "log.csv", index=False)
    pd.DataFrame({"run": list(runs), "label": [label for _, label in runs.values()], "split": split}).to_csv(
        root / "labels.csv", index=False
    )
    return root
