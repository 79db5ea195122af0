"""Rules and the learned model, combined into one verdict per label.

For each label a run can be judged on:

- ``r`` is the confidence of the strongest rule that fired for it (0 when none did);
- ``p`` is the learned model's calibrated probability (absent when there is no model);
- the label's confidence is ``(r + p) / 2`` when a rule fired, ``p`` when none did, and ``r``
  without a model. The label is given when that confidence reaches ``THRESHOLD``.

A loss that became NaN or infinite, or that stopped moving to six significant digits, is a fact, not
a reading (``FACTS``): a rule that located one gives its label at its own confidence, whatever the
model says.

So a strong rule stands unless the model is sure it is wrong, a weak rule needs the model's
support, and the model alone can give a label the rules missed. Each verdict says which side
said yes (``rules``, ``model`` or ``rules+model``) and keeps the rule diagnoses (with their
evidence and fix) ahead of the model's.

A label stands on located evidence: a verdict none of whose diagnoses names the steps it is based
on (the learned model's label where the detectors located nothing that backs it, see ``located``) is
a suspicion, shown below the verdict and never given.

A cause explains some symptoms of others (``Label.explains``): a loss stalled by an early decay looks
underfit, a reduce-on-plateau schedule cuts the rate early once validation turns up. A label
ranked below one that explains it is not given, nor one that a cause read off the logged learning
rate explains, however they rank; the run's ``explained`` says by what. A run
with no label is ``healthy``, with confidence one minus the strongest doubt, and at most
``UNCHECKED_HEALTHY`` when some label could not be judged. A run none of whose labels could be
judged (an RL run: its losses are not read for their shape; a run of a few points) is ``healthy``
at ``UNCHECKED_HEALTHY`` when the curve that tells its progress shows it (``progress``): the reward
rose, or every point of a short training loss sits below its first with validation no worse.

A verdict below ``SURE`` is uncertain: the run's ``uncertain`` names it and the label it could as
well be (the next verdict, the strongest suspicion, or ``healthy``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .diagnosis import MODEL, Diagnosis, RuleFailure, RunDiagnosis, Verdict
from .labels import HEALTHY, PROBLEMS
from .labels import label as label_record

FACTS = ("non_finite", "frozen")
"""Kinds of evidence that are facts about the curve, which no model can weigh away."""
THRESHOLD = 0.5
SURE = 0.65
"""A primary label below this confidence is uncertain."""
UNCHECKED_HEALTHY = 0.6
"""The most confidence ``healthy`` gets when some label could not be judged (no validation curve, too few points)."""


def combine(
    run: str,
    diagnoses: Sequence[Diagnosis],
    probabilities: Mapping[str, float] | None,
    not_judged: Mapping[str, str],
    failures: Sequence[RuleFailure] = (),
    *,
    progress: str | None = None,
) -> RunDiagnosis:
    """The run's labels, strongest first, from its rule and model diagnoses."""
    verdicts, suspicions, doubts = [], [], {}
    for label in PROBLEMS:
        if label in not_judged:
            continue
        by_rules = sorted((d for d in diagnoses if d.label == label and d.origin != MODEL), key=lambda d: -d.confidence)
        by_model = [d for d in diagnoses if d.label == label and d.origin == MODEL]
        r = by_rules[0].confidence if by_rules else 0.0
        p = None if probabilities is None or label not in probabilities else float(probabilities[label])
        fact = any(item.kind in FACTS for d in by_rules for item in d.evidence)
        confidence = r if p is None or fact else (r + p) / 2 if by_rules else p
        doubts[label] = confidence
        if confidence < THRESHOLD or not (by_rules or by_model):
            continue
        rules_say, model_says = r >= THRESHOLD, p is not None and p >= THRESHOLD
        driver = "rules+model" if rules_say and model_says else "model" if model_says and not rules_say else "rules"
        verdict = Verdict(label, confidence, r, p, driver, (*by_rules, *by_model))
        (verdicts if verdict.located else suspicions).append(verdict)
    verdicts.sort(key=lambda v: -v.confidence)
    suspicions.sort(key=lambda v: -v.confidence)
    explained: dict[str, str] = {}
    for i, verdict in enumerate(verdicts):
        if verdict.label not in explained:
            for other in verdicts if _on_logged_rate(verdict) else verdicts[i + 1 :]:
                if other.label in label_record(verdict.label).explains:
                    explained.setdefault(other.label, verdict.label)
    verdicts = [v for v in verdicts if v.label not in explained]
    judged = len(not_judged) < len(PROBLEMS)
    if verdicts:
        labels, confidence = tuple(v.label for v in verdicts), verdicts[0].confidence
    elif judged:
        labels, confidence = (HEALTHY,), 1.0 - max(doubts.values(), default=0.0)
        if not_judged:
            confidence = min(confidence, UNCHECKED_HEALTHY)
    elif progress:  # no label could be judged, but the curve that tells progress shows it
        labels, confidence = (HEALTHY,), UNCHECKED_HEALTHY
    else:
        labels, confidence = (), 0.0
    return RunDiagnosis(
        run,
        labels,
        confidence,
        tuple(verdicts),
        tuple(diagnoses),
        dict(not_judged),
        tuple(failures),
        explained,
        tuple(suspicions),
        dict(doubts),
        _uncertain(labels, confidence, verdicts, suspicions, doubts),
        progress if labels == (HEALTHY,) and not judged else None,
    )


def _on_logged_rate(verdict: Verdict) -> bool:
    """The verdict stands on the logged learning rate (a cut seen in the lr curve): a cause read off the
    schedule itself, which explains the symptoms it accounts for however strongly they were read."""
    return any(item.role == "lr" for d in verdict.diagnoses if d.origin != MODEL for item in d.evidence)


def _uncertain(labels, confidence, verdicts, suspicions, doubts) -> tuple[str, ...]:
    """The primary label and the one it could as well be, when the primary is below ``SURE``."""
    if not labels or confidence >= SURE:
        return ()
    if labels[0] == HEALTHY:
        label, doubt = max(doubts.items(), key=lambda item: item[1], default=(None, 0.0))
        return (HEALTHY, label) if label is not None and doubt >= 1 - SURE else ()
    others = [*verdicts[1:], *suspicions]
    return (labels[0], max(others, key=lambda v: v.confidence).label if others else HEALTHY)
