"""What kind of run a run is, beyond plain supervised training, and why: read from its roles and hyperparameters.

``rl``: a reward (or episode return) is logged. Reward tells an agent's progress; its policy and
value losses may rise while it improves, so the loss-shape labels are not judged on them.

``fine_tune``: the hyperparameters name a pretrained model (``model_name_or_path``,
``pretrained``, ``from_pretrained``, ``init_checkpoint``, ...). Such a run starts from a low loss,
so a loss that barely falls is not underfitting. (A first loss far below chance, where the class
count is known, says the same; that is measured with the features, see ``diagnose.engine``.)

``lr_range_test``: the learning rate rises every step until the loss diverges, by design (recognised from
the curves, see ``lr.range_test``): no label is judged on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..findings import Finding, finding

RL = "rl"
FINE_TUNE = "fine_tune"
RANGE_TEST = "lr_range_test"

PRETRAINED_KEYS = (
    "model_name_or_path",
    "pretrained_model_name_or_path",
    "pretrained",
    "from_pretrained",
    "init_checkpoint",
    "pretrained_weights",
    "pretrained_checkpoint",
    "load_from",
    "finetune",
    "fine_tune",
)
"""Hyperparameters that name a pretrained starting point (the last part of a dotted or slashed key)."""
_NOT_A_MODEL = frozenset({"", "none", "null", "false", "0", "no", "scratch", "random"})
_LAST_PART = re.compile(r".*[./]")


def pretrained_source(hparams: Mapping[str, Any]) -> str | None:
    """``key=value`` of the first hyperparameter that names a pretrained model, or None."""
    for key, value in hparams.items():
        name = _LAST_PART.sub("", str(key)).lower()
        if name not in PRETRAINED_KEYS or isinstance(value, (dict, list)):
            continue
        text = str(value).strip()
        if value is True or (not isinstance(value, (bool, int, float)) and text.lower() not in _NOT_A_MODEL):
            return f"{key}={text[:80]}"
    return None


def run_kinds(roles: Mapping[str, Mapping[str, str]], hparams: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Per run, its kinds and the reason for each (runs of no special kind are left out)."""
    kinds: dict[str, dict[str, str]] = {}
    for run, chosen in roles.items():
        found = {}
        if "reward" in chosen:
            found[RL] = f"a reward is logged ({chosen['reward']})"
        if (source := pretrained_source(hparams.get(run, {}))) is not None:
            found[FINE_TUNE] = f"its hyperparameters name a pretrained model ({source})"
        if found:
            kinds[run] = found
    return kinds


def kind_findings(kinds: Mapping[str, Mapping[str, str]]) -> list[Finding]:
    """An info finding per run kind, so that every report says how the run was read."""
    findings = []
    for run, found in kinds.items():
        if RL in found:
            findings.append(
                finding(
                    "reinforcement-learning-run",
                    f"an RL run: {found[RL]}; reward is the curve that tells progress, and the loss-shape labels "
                    "are not judged on its policy and value losses",
                    run=run,
                )
            )
        if FINE_TUNE in found:
            findings.append(
                finding(
                    "fine-tuned-run",
                    f"a fine-tune: {found[FINE_TUNE]}; a loss that barely falls is not read as underfitting",
                    run=run,
                )
            )
    return findings
