"""Diagnose runs: every selected rule, then the learned model, then one verdict per label."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from ..features.events import Curve
from ..features.extract import FeatureTable
from .combine import THRESHOLD, combine
from .context import RunContext
from .diagnosis import MODEL, Diagnosis, Evidence, RuleFailure, RunDiagnosis
from .labels import FIX, MEANING, MIN_POINTS, NEEDS, PROBLEMS
from .learned import LearnedModel
from .registry import Rule

MODEL_CODES: dict[str, str] = {label: f"CS9{i:02d}" for i, label in enumerate(PROBLEMS, start=1)}
"""The learned model's codes: CS901 bad_init ... CS905 underfitting."""

EVIDENCE_OF: dict[str, tuple[str, ...]] = {
    "bad_init": ("initial_loss", "plateau"),
    "lr_too_high": ("non_finite", "explosion", "spike", "plateau"),
    "decay_too_early": ("lr_drop", "plateau"),
    "overfitting": ("best_step", "gap"),
    "underfitting": ("plateau", "gap", "best_step"),
}
"""Which located events back a label when the model gives it."""

KEY_FEATURES: dict[str, tuple[str, ...]] = {
    "bad_init": ("initial_loss_vs_chance", "start_plateau", "train_drop"),
    "lr_too_high": ("explosion_ratio", "non_finite_fraction", "noise", "spike_rate", "train_drop"),
    "decay_too_early": ("first_drop_position", "fall_vs_promised", "lr_half_position", "end_plateau"),
    "overfitting": ("worse_since_best", "best_position", "gap_growth", "gap_end"),
    "underfitting": ("train_drop", "gap_end", "train_acc_final", "still_improving"),
}
"""The features a person would check first for each label; the model's evidence quotes them."""


def contexts(table: FeatureTable, curves: Mapping[str, Mapping[str, Curve]]) -> list[RunContext]:
    """What the rules see of each run of a feature table."""
    frame = table.frame
    return [
        RunContext(
            run,
            {name: float(value) for name, value in row.items() if name != "schedule"},
            table.events.get(run, ()),
            curves.get(run, {}),
            row["schedule"] if isinstance(row["schedule"], str) else None,
            table.classes.get(run),
        )
        for run, row in zip(frame.index, frame.to_dict("records"))
    ]


def diagnose(
    runs: Sequence[RunContext], table: pd.DataFrame, rules: Sequence[Rule], model: LearnedModel | None, *, strict: bool = False
) -> list[RunDiagnosis]:
    """Each run's diagnosis. A rule that raises becomes a ``RuleFailure`` (``strict`` re-raises)."""
    for rule in rules:
        rule.validate_params()
    probabilities = model.predict_proba(table) if model is not None and len(table) else None
    diagnosed = []
    for context in runs:
        not_judged = _not_judged(context)
        found, failures = [], []
        for rule in rules:
            if rule.label in not_judged:
                continue
            try:
                found.extend(rule.check(context))
            except Exception as exc:  # one rule's bug must not cost the other diagnoses
                if strict:
                    raise
                failures.append(RuleFailure(rule.code, context.run, f"{type(exc).__name__}: {exc}"))
        p = None if probabilities is None else probabilities.loc[context.run].to_dict()
        if p is not None:
            found.extend(_model_diagnoses(context, p, not_judged))
        diagnosed.append(combine(context.run, found, p, not_judged, failures))
    return diagnosed


def _not_judged(context: RunContext) -> dict[str, str]:
    """Labels the run lacks the curves (or the points) for, with the reason."""
    reasons = {}
    for label in PROBLEMS:
        missing = [role for role in NEEDS[label] if not context.has(role)]
        short = [role for role in NEEDS[label] if 0 < context.points(role) < MIN_POINTS[role]]
        if missing:
            what = " and ".join(_curve_name(r) for r in missing)
            reasons[label] = f"{label} cannot be judged without {what}"
        elif short:
            what = " and ".join(f"{context.points(r)} points of {_curve_name(r)}" for r in short)
            reasons[label] = f"{label} cannot be judged from {what} (at least {MIN_POINTS[short[0]]} are needed)"
    return reasons


def _curve_name(role: str) -> str:
    return "a validation curve" if role == "validation" else f"a {role.replace('_', ' ')} curve"


def _model_diagnoses(context: RunContext, probabilities: Mapping[str, float], not_judged) -> list[Diagnosis]:
    found = []
    for label in PROBLEMS:
        p = float(probabilities[label])
        if label in not_judged or p < THRESHOLD:
            continue
        events = [Evidence.of(e) for e in context.events if e.kind in EVIDENCE_OF[label]][:4]
        numbers = [(name, context.value(name)) for name in KEY_FEATURES[label]]
        quoted = ", ".join(f"{name} {value:.3g}" for name, value in numbers if math.isfinite(value))
        features = [Evidence(name, f"{name} = {value:.3g}", value=value) for name, value in numbers if math.isfinite(value)]
        found.append(
            Diagnosis(
                MODEL_CODES[label],
                f"learned-{label.replace('_', '-')}",
                label,
                context.run,
                p,
                f"the learned model gives {label} {p:.0%} ({MEANING[label]})" + (f"; {quoted}" if quoted else ""),
                _worded_fix(label, context),
                (*events, *features),
                MODEL,
            )
        )
    return found


def _worded_fix(label: str, context: RunContext) -> str:
    """The label's fix, pinned to this run's steps where they are known."""
    if label == "overfitting" and (best := context.first("best_step")) is not None:
        return f"stop at step {best.end_step:,} (the best validation step); " + FIX[label].split(", ", 1)[1]
    if label == "decay_too_early" and (drop := context.first("lr_drop")) is not None:
        return f"the learning rate dropped at step {drop.end_step:,}; {FIX[label]}"
    if label == "decay_too_early" and (half := context.step_at(context.value("lr_half_position"))) is not None:
        return f"the learning rate was below half its peak by step {half:,}; {FIX[label]}"
    if label == "lr_too_high" and (blow := context.first("explosion") or context.first("non_finite")) is not None:
        return f"the loss blew up from step {blow.start_step:,}; {FIX[label]}"
    return FIX[label]
