"""How rule diagnoses and the model's probabilities combine into one verdict per label."""

from __future__ import annotations

import pytest

from curvescope.diagnose import HEALTHY, PROBLEMS, THRESHOLD, Diagnosis, RuleFailure, combine
from curvescope.diagnose.combine import SURE, UNCHECKED_HEALTHY
from curvescope.diagnose.diagnosis import Evidence

RUN = "exp1"
LOCATED = (Evidence("plateau", "no progress from step 10 to step 40", 10, 40),)
UNLOCATED = (Evidence("train_drop", "train_drop = 0.9", value=0.9),)


def rule(label: str, confidence: float, code: str | None = None) -> Diagnosis:
    code = code or f"CS{PROBLEMS.index(label) + 1}01"
    return Diagnosis(code, "planted-rule", label, RUN, confidence, "seen", "fix it", LOCATED)


def model(label: str, probability: float, evidence=LOCATED) -> Diagnosis:
    return Diagnosis(
        f"CS9{PROBLEMS.index(label) + 1:02d}",
        "learned",
        label,
        RUN,
        probability,
        "the model says so",
        "model fix",
        evidence,
        "model",
    )


def probabilities(**given: float) -> dict[str, float]:
    return {label: given.get(label, 0.0) for label in PROBLEMS}


def test_threshold_is_one_half():
    assert THRESHOLD == 0.5


def test_strong_rule_alone_without_a_model_gives_its_label_driven_by_rules():
    d = combine(RUN, [rule("lr_too_high", 0.9)], None, {})
    assert d.labels == ("lr_too_high",) and d.primary_label == "lr_too_high"
    verdict = d.verdict("lr_too_high")
    assert verdict.driver == "rules"
    assert verdict.confidence == pytest.approx(0.9) and verdict.rule_confidence == pytest.approx(0.9)
    assert verdict.model_confidence is None
    assert d.confidence == pytest.approx(0.9)
    assert verdict.fix == "fix it"


def test_weak_rule_alone_without_a_model_gives_no_label():
    d = combine(RUN, [rule("underfitting", 0.4)], None, {})
    assert d.labels == (HEALTHY,)
    assert d.confidence == pytest.approx(0.6)
    assert d.diagnoses == (rule("underfitting", 0.4),), "an overruled diagnosis is still reported"


def test_rule_at_exactly_the_threshold_gives_its_label():
    assert combine(RUN, [rule("bad_init", THRESHOLD)], None, {}).labels == ("bad_init",)


def test_model_sure_the_rule_is_wrong_overrules_a_middling_rule():
    d = combine(RUN, [rule("overfitting", 0.6)], probabilities(overfitting=0.1), {})
    assert "overfitting" not in d.labels
    assert d.labels == (HEALTHY,)
    assert d.confidence == pytest.approx(1 - (0.6 + 0.1) / 2)


def test_strong_rule_stands_against_a_doubtful_model():
    d = combine(RUN, [rule("overfitting", 0.95)], probabilities(overfitting=0.2), {})
    assert d.labels == ("overfitting",)
    verdict = d.verdict("overfitting")
    assert verdict.driver == "rules"
    assert verdict.confidence == pytest.approx((0.95 + 0.2) / 2)
    assert verdict.model_confidence == pytest.approx(0.2)


def test_model_alone_gives_a_label_the_rules_missed():
    d = combine(RUN, [model("decay_too_early", 0.9)], probabilities(decay_too_early=0.9), {})
    assert d.labels == ("decay_too_early",)
    verdict = d.verdict("decay_too_early")
    assert verdict.driver == "model"
    assert verdict.confidence == pytest.approx(0.9) and verdict.rule_confidence == 0.0
    assert verdict.fix == "model fix"


def test_rule_and_model_agreeing_is_driven_by_both():
    d = combine(RUN, [model("lr_too_high", 0.8), rule("lr_too_high", 0.7)], probabilities(lr_too_high=0.8), {})
    verdict = d.verdict("lr_too_high")
    assert d.labels == ("lr_too_high",)
    assert verdict.driver == "rules+model"
    assert verdict.confidence == pytest.approx(0.75)
    assert [x.origin for x in verdict.diagnoses] == ["rule", "model"], "rule diagnoses come first"
    assert verdict.fix == "fix it"


def test_weak_rule_supported_by_the_model_is_driven_by_the_model():
    d = combine(RUN, [rule("underfitting", 0.4), model("underfitting", 0.8)], probabilities(underfitting=0.8), {})
    assert d.verdict("underfitting").driver == "model"
    assert d.verdict("underfitting").confidence == pytest.approx(0.6)


def test_strongest_rule_speaks_for_its_label():
    weak, strong = rule("lr_too_high", 0.6, "CS202"), rule("lr_too_high", 0.95, "CS201")
    d = combine(RUN, [weak, strong], None, {})
    verdict = d.verdict("lr_too_high")
    assert verdict.rule_confidence == pytest.approx(0.95)
    assert [x.code for x in verdict.diagnoses] == ["CS201", "CS202"]


def test_no_label_is_healthy_with_one_minus_the_strongest_doubt():
    d = combine(RUN, [rule("overfitting", 0.6)], probabilities(overfitting=0.1, underfitting=0.45, bad_init=0.3), {})
    assert d.labels == (HEALTHY,) and d.primary_label == HEALTHY
    assert d.verdicts == ()
    assert d.confidence == pytest.approx(1 - 0.45)


def test_nothing_at_all_is_healthy_with_full_confidence():
    d = combine(RUN, [], None, {})
    assert d.labels == (HEALTHY,)
    assert d.confidence == pytest.approx(1.0)


def test_labels_not_judged_are_skipped_even_when_a_rule_fired():
    reason = "overfitting cannot be judged without a validation curve"
    d = combine(RUN, [rule("overfitting", 0.99), rule("bad_init", 0.7)], None, {"overfitting": reason})
    assert d.labels == ("bad_init",)
    assert d.verdict("overfitting") is None
    assert d.not_judged == {"overfitting": reason}


def test_a_not_judged_label_does_not_count_as_doubt():
    d = combine(RUN, [], probabilities(overfitting=0.49, underfitting=0.45), {"overfitting": "no validation"})
    assert d.labels == (HEALTHY,)
    assert d.confidence == pytest.approx(0.55)


def test_nothing_judged_gives_no_labels_and_no_primary_label():
    not_judged = {label: f"{label} cannot be judged without a train loss curve" for label in PROBLEMS}
    d = combine(RUN, [rule("lr_too_high", 0.99)], None, not_judged)
    assert d.labels == ()
    assert d.primary_label is None
    assert d.verdicts == ()
    assert d.not_judged == not_judged


def test_labels_are_sorted_by_confidence():
    found = [rule("overfitting", 0.7), rule("decay_too_early", 0.95), rule("bad_init", 0.8), rule("lr_too_high", 0.55)]
    d = combine(RUN, found, None, {})
    assert d.labels == ("decay_too_early", "bad_init", "overfitting", "lr_too_high")
    assert [v.confidence for v in d.verdicts] == sorted((v.confidence for v in d.verdicts), reverse=True)
    assert d.confidence == pytest.approx(0.95)


def test_labels_with_a_model_are_sorted_by_combined_confidence():
    found = [rule("overfitting", 0.9), rule("decay_too_early", 0.7), model("bad_init", 0.6)]
    p = probabilities(overfitting=0.2, decay_too_early=0.9, bad_init=0.6)
    d = combine(RUN, found, p, {})
    assert d.labels == ("decay_too_early", "bad_init", "overfitting")  # 0.8, 0.6, 0.55


def test_failures_and_every_diagnosis_are_kept():
    failure = RuleFailure("CS301", RUN, "ZeroDivisionError: division by zero")
    found = [rule("overfitting", 0.2), rule("bad_init", 0.9)]
    d = combine(RUN, found, None, {}, [failure])
    assert d.failures == (failure,)
    assert d.diagnoses == tuple(found)
    assert d.run == RUN


def test_a_label_ranked_below_one_that_explains_it_is_not_given():
    """An early decay explains a stalled (underfit-looking) loss; the reverse order explains nothing."""
    d = combine(RUN, [rule("decay_too_early", 0.9), rule("underfitting", 0.7)], None, {})
    assert d.labels == ("decay_too_early",)
    assert d.explained == {"underfitting": "decay_too_early"}
    assert {x.label for x in d.diagnoses} == {"decay_too_early", "underfitting"}  # still reported, not lost
    d = combine(RUN, [rule("decay_too_early", 0.6), rule("underfitting", 0.9)], None, {})
    assert d.labels == ("underfitting", "decay_too_early")
    assert d.explained == {}


def test_a_cut_seen_in_the_logged_rate_explains_a_stall_ranked_above_it():
    """The schedule itself shows the early cut: the underfit-looking stall is its doing, however the two rank."""
    cut = Evidence("lr_drop", "lr x0.1 at step 20", 20, 20, role="lr")
    seen = Diagnosis("CS301", "planted-rule", "decay_too_early", RUN, 0.6, "seen", "fix it", (cut,))
    d = combine(RUN, [seen, rule("underfitting", 0.9)], None, {})
    assert d.labels == ("decay_too_early",)
    assert d.explained == {"underfitting": "decay_too_early"}


def test_an_explained_label_is_not_explaining_others():
    """lr_too_high explains underfitting, which explains nothing: a chain does not remove more."""
    d = combine(RUN, [rule("overfitting", 0.95), rule("decay_too_early", 0.8), rule("underfitting", 0.7)], None, {})
    assert d.labels == ("overfitting", "underfitting")
    assert d.explained == {"decay_too_early": "overfitting"}


def test_a_label_with_nothing_located_is_a_suspicion_not_a_verdict():
    d = combine(RUN, [model("underfitting", 0.8, UNLOCATED)], probabilities(underfitting=0.8), {})
    assert d.labels == (HEALTHY,) and not d.verdicts
    assert [s.label for s in d.suspicions] == ["underfitting"]
    assert d.confidence == pytest.approx(0.2)
    assert d.uncertain == (HEALTHY, "underfitting")


def test_a_located_model_label_is_a_verdict():
    d = combine(RUN, [model("underfitting", 0.8)], probabilities(underfitting=0.8), {})
    assert d.labels == ("underfitting",) and not d.suspicions and not d.uncertain


def test_healthy_is_never_sure_when_a_label_could_not_be_judged():
    d = combine(RUN, [], probabilities(), {"overfitting": "overfitting cannot be judged without a validation curve"})
    assert d.labels == (HEALTHY,) and d.confidence == UNCHECKED_HEALTHY < SURE


def test_a_verdict_below_sure_names_the_label_it_could_as_well_be():
    weak = combine(RUN, [rule("overfitting", 0.6)], None, {})
    assert weak.labels == ("overfitting",) and weak.uncertain == ("overfitting", HEALTHY)
    torn = combine(
        RUN, [rule("overfitting", 0.6), model("underfitting", 0.55)], probabilities(overfitting=0.6, underfitting=0.55), {}
    )
    assert torn.uncertain == ("overfitting", "underfitting")
    sure = combine(RUN, [rule("overfitting", 0.9)], None, {})
    assert sure.uncertain == ()


def test_a_non_finite_loss_is_a_fact_the_model_cannot_veto():
    nan = Diagnosis(
        "CS203",
        "validation-diverges",
        "lr_too_high",
        RUN,
        0.95,
        "val/loss became nan",
        "fix it",
        (Evidence("non_finite", "val/loss became nan at step 280", 280, 280, role="val_loss"),),
    )
    d = combine(RUN, [nan], probabilities(lr_too_high=0.01), {})
    assert d.labels == ("lr_too_high",) and d.confidence == pytest.approx(0.95)
    vetoed = combine(RUN, [rule("lr_too_high", 0.95)], probabilities(lr_too_high=0.01), {})
    assert vetoed.labels == (HEALTHY,)


def test_a_run_judged_on_nothing_is_healthy_when_its_reward_rose():
    nothing = {label: "not judged on an RL run" for label in PROBLEMS}
    rose = combine(RUN, [], None, nothing, progress="rollout/ep_rew_mean rose from 10 to 480")
    assert rose.labels == (HEALTHY,) and rose.confidence == UNCHECKED_HEALTHY and rose.progress.startswith("rollout")
    flat = combine(RUN, [], None, nothing)
    assert flat.labels == () and flat.confidence == 0.0 and flat.progress is None
