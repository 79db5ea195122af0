"""What the learning-rate checks (``curvescope.lr``) found on a run: as findings of the audit, and as evidence
added to the verdict of the label each explains.

Findings: an ``lr-range-test`` finding with the rates a range test suggests; a ``cyclic-step-size`` finding for a
cyclic schedule whose half cycle is outside the CLR paper's 2-10 epochs; an ``early-decay-floor`` finding for a decay
that reached its floor before half the run; a ``plateau-cut-on-noise`` finding for a reduce-on-plateau cut made while
validation still improved; a ``short-warmup`` finding for an early spike of the loss under a rate at its peak from
the start; a ``gradient-norm-spike`` finding where the gradient norm spiked before the loss exploded; an
``update-ratio`` finding where the update-to-weight ratio sits far from 1e-3.
"""

from __future__ import annotations

from dataclasses import replace

from ..assemble.kinds import RANGE_TEST
from ..features.measured import RunContext
from ..findings import Finding, finding
from ..lr.gradients import SPIKE, spike_before_explosion, update_ratio_reading
from ..lr.range_test import analyse
from ..lr.schedule_checks import EARLY_RISE, FLOOR_DECAY, cyclic_step_size, early_floor, plateau_cut_on_noise, short_warmup
from .diagnosis import Diagnosis, Evidence
from .labels import DECAY_TOO_EARLY, LR_TOO_HIGH


def rate_findings(run: RunContext) -> list[Finding]:
    """The findings of every learning-rate check on one measured run (a range test gets only its rates)."""
    if RANGE_TEST in run.kinds:
        test = analyse(run.run, run.curves["lr"], run.curves["train_loss"])
        return [finding("lr-range-test", f"an LR range test: {run.kinds[RANGE_TEST]}; {suggestion_text(test)}", run=run.run)]
    lr, loss = run.curves.get("lr"), run.curves.get("train_loss")
    said: list[tuple[str, str]] = []
    if run.schedule is not None and run.schedule.kind == "cyclic":
        check = cyclic_step_size(lr, run.curves.get("val_loss") or run.curves.get("val_acc"))
        if check is not None and not check.within:
            said.append(("cyclic-step-size", check.advice()))
    if (floor := early_floor(lr)) is not None:
        said.append(("early-decay-floor", floor.advice()))
    if (cut := _noisy_cut(run)) is not None:
        said.append(("plateau-cut-on-noise", cut.advice()))
    if (warmup := short_warmup(lr, loss)) is not None:
        said.append(("short-warmup", warmup.advice()))
    if (spike := spike_before_explosion(run.curves.get("grad_norm"), loss)) is not None:
        said.append(("gradient-norm-spike", spike.describe()))
    if (ratio := update_ratio_reading(run.curves.get("update_ratio"))) is not None:
        said.append(("update-ratio", ratio.describe()))
    return [finding(kind, message, run=run.run) for kind, message in said]


def suggestion_text(test) -> str:
    """The rates a range test suggests, in one sentence (or what kept it from suggesting any)."""
    if test.steepest is None:
        return "it suggests no rate: " + "; ".join(test.notes)
    low, high = test.suggested_range
    words = f"suggested rate {test.suggested:.3g} (range {low:.3g}-{high:.3g}, {test.suggested_by})"
    words += f", minimum/10 {test.minimum_over_10:.3g}"
    if test.base_lr and test.max_lr:
        words += f", cyclic base_lr {test.base_lr.value:.3g} and max_lr {test.max_lr.value:.3g} (one-cycle max_lr)"
    return words + "".join(f"; {note}" for note in test.notes)


def with_rate_evidence(context: RunContext, found: list[Diagnosis]) -> list[Diagnosis]:
    """The rules' diagnoses, with what the learning-rate checks saw added to the first located one of the label it
    explains: a gradient-norm spike before the explosion and an early spike under a rate without warm-up to
    ``lr_too_high``, a decay that reached its floor before half the run and a reduce-on-plateau cut made while
    validation still improved to ``decay_too_early``.
    Confidences do not change, nor whether a verdict is located (a suspicion stays one)."""
    extra: dict[str, list[Evidence]] = {}
    grad, lr = context.curves.get("grad_norm"), context.curves.get("lr")
    if (spike := spike_before_explosion(grad, context.curves.get("train_loss"))) is not None:
        ratio = spike.spike_norm / spike.typical_norm
        extra.setdefault(LR_TOO_HIGH, []).append(
            Evidence(
                "gradient_spike", spike.describe(), spike.spike_step, spike.explosion_step, ratio, SPIKE, "grad_norm", grad.tag
            )
        )
    if RANGE_TEST not in context.kinds and (warmup := short_warmup(lr, context.curves.get("train_loss"))) is not None:
        extra.setdefault(LR_TOO_HIGH, []).append(
            Evidence(
                "short_warmup",
                warmup.advice(),
                warmup.rise_start,
                warmup.recovered,
                warmup.rise,
                EARLY_RISE,
                "train_loss",
                warmup.tag,
            )
        )
    if (floor := early_floor(lr)) is not None:
        extra.setdefault(DECAY_TOO_EARLY, []).append(
            Evidence(
                "lr_floor", floor.advice(), floor.step, int(lr.steps[-1]), floor.peak / floor.floor, FLOOR_DECAY, "lr", lr.tag
            )
        )
    if (cut := _noisy_cut(context)) is not None:
        extra.setdefault(DECAY_TOO_EARLY, []).append(
            Evidence("plateau_cut", cut.advice(), cut.first_step, cut.step, cut.slope, 0.0, "val_loss", cut.tag or None)
        )
    out = []
    for diagnosis in found:
        located = any(item.start_step is not None for item in diagnosis.evidence)  # what a label stands on stays the rules'
        items = extra.pop(diagnosis.label, []) if located else []
        out.append(replace(diagnosis, evidence=(*diagnosis.evidence, *items)) if items else diagnosis)
    return out


def _noisy_cut(context: RunContext):
    """The reduce-on-plateau cut made while validation loss still improved, on a run that is no range test."""
    if RANGE_TEST in context.kinds or context.schedule is None:
        return None
    return plateau_cut_on_noise(context.schedule.kind, context.schedule.drops, context.curves.get("val_loss"))
