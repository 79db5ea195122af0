"""Diagnose runs: every selected rule, then the learned model, then one verdict per label."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from ..features.extract import table
from ..features.measured import RunContext
from .combine import THRESHOLD, combine
from .diagnosis import MODEL, Diagnosis, Evidence, RuleFailure, RunDiagnosis
from .labels import PROBLEMS, label
from .learned import LearnedModel
from .registry import Rule


def model_codes() -> dict[str, str]:
    """The learned model's code of each problem label: CS901 bad_init ... CS905 underfitting."""
    return {name: label(name).model_code for name in PROBLEMS}


def diagnose(
    runs: Iterable[RunContext], rules: Sequence[Rule], model: LearnedModel | None, *, strict: bool = False
) -> list[RunDiagnosis]:
    """Each measured run's diagnosis, in order: the rules judge its values, the model (when given) the
    matrix it makes of them. A rule that raises becomes a ``RuleFailure`` (``strict`` re-raises)."""
    runs = list(runs)
    for rule in rules:
        rule.validate_params()
    probabilities = model.predict_proba(table(runs)) if model is not None and runs else None
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
    for name in PROBLEMS:
        record = label(name)
        needs = record.needs
        missing = [role for role in needs if not context.has(role)]
        short = [role for role in needs if 0 < context.points(role) < record.minimum(role)]
        if missing:
            what = " and ".join(_curve_name(r) for r in missing)
            reasons[name] = f"{name} cannot be judged without {what}"
        elif short:
            what = " and ".join(f"{context.points(r)} points of {_curve_name(r)}" for r in short)
            reasons[name] = f"{name} cannot be judged from {what} (at least {record.minimum(short[0])} are needed)"
    return reasons


def _curve_name(role: str) -> str:
    return "a validation curve" if role == "validation" else f"a {role.replace('_', ' ')} curve"


def _model_diagnoses(context: RunContext, probabilities: Mapping[str, float], not_judged) -> list[Diagnosis]:
    """The learned model's diagnoses: each label it gives (of those it was trained on), with the
    label's located events and key features as evidence."""
    found = []
    for name, p in probabilities.items():
        if name in not_judged or name not in PROBLEMS or p < THRESHOLD:
            continue
        record = label(name)
        events = [Evidence.of(e) for e in context.events if e.kind in record.evidence][:4]
        numbers = [(feature, context.value(feature)) for feature in record.key_features]
        quoted = ", ".join(f"{feature} {value:.3g}" for feature, value in numbers if math.isfinite(value))
        features = [Evidence(f, f"{f} = {value:.3g}", value=value) for f, value in numbers if math.isfinite(value)]
        found.append(
            Diagnosis(
                record.model_code,
                f"learned-{name.replace('_', '-')}",
                name,
                context.run,
                float(p),
                f"the learned model gives {name} {p:.0%} ({record.meaning})" + (f"; {quoted}" if quoted else ""),
                record.worded_fix(context),
                (*events, *features),
                MODEL,
            )
        )
    return found
