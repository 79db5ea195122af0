"""Views of a report for people choosing runs: which runs pass a filter, and tables of them.

- ``Filters`` keeps the runs with one of some labels, at least some confidence, or a name;
- ``matching`` keeps the runs whose name matches a regular expression;
- ``by_severity`` puts the runs to act on first;
- ``overview_frame`` and ``label_counts`` give a table of the runs and how many carry each label;
- ``label_text`` words a run's labels, ``only`` keeps named runs, ``roles_of`` lists what they logged,
  ``sweep_mates`` finds the runs of a run's sweep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from numbers import Real

import pandas as pd

from ..diagnose.labels import HEALTHY, LABEL_NAMES, LABELS
from ..errors import InvalidParameterError
from ..params import InstanceOf, Interval, check_params
from .drawing import ROLES
from .result import Report, RunReport

NOT_JUDGED = "not judged"
"""What a run that could not be judged at all shows in place of labels."""


# --- choosing runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which runs to show: one of ``labels`` (any when empty) with at least ``min_confidence``, and
    ``name`` in the run's name (case-insensitive; any when empty)."""

    labels: tuple[str, ...] = ()
    min_confidence: float = 0.0
    name: str = ""

    def __post_init__(self):
        check_params(
            "Filters",
            {"labels": [LABEL_NAMES], "min_confidence": [Interval(Real, 0, 1)], "name": [InstanceOf((str,), "a str")]},
            vars(self),
        )

    @property
    def active(self) -> bool:
        return bool(self.labels or self.min_confidence > 0 or self.name.strip())

    def apply(self, report: Report) -> Report:
        """The report with only the runs that pass (a run that could not be judged passes when no
        label or confidence is asked for)."""
        kept = (
            report.filter(labels=self.labels, min_confidence=self.min_confidence)
            if (self.labels or self.min_confidence > 0)
            else report
        )
        needle = self.name.strip().casefold()
        if needle:
            kept = kept.hiding([run for run in kept.runs if needle in run.run.casefold()], f"name contains {self.name.strip()!r}")
        return kept


def matching(report: Report, pattern: str) -> Report:
    """The report with only the runs whose name matches the regular expression ``pattern`` anywhere
    (case-insensitive; every run when it is blank). A pattern that does not compile raises
    ``InvalidParameterError`` saying why in one line."""
    if not pattern.strip():
        return report
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise InvalidParameterError(f"{pattern!r} is not a regular expression: {error}") from None
    return report.hiding([run for run in report.runs if regex.search(run.run)], f"name matches {pattern!r}")


def severity(run: RunReport) -> int:
    """How urgently a run asks for a look: 0 with a problem label, 1 uncertain, 2 healthy, 3 not judged."""
    if not run.labels:
        return 3
    if run.labels != (HEALTHY,):
        return 0
    return 1 if run.diagnosis.uncertain else 2


def by_severity(report: Report) -> Report:
    """The report with its runs in triage order: by ``severity``, then the most confident first."""
    return replace(report, runs=tuple(sorted(report.runs, key=lambda run: (severity(run), -run.confidence))))


def only(report: Report, runs: Iterable[str]) -> Report:
    """The report with only the named runs, in the order given (names it does not hold are skipped)."""
    by_name = {run.run: run for run in report.runs}
    return replace(report, runs=tuple(by_name[name] for name in dict.fromkeys(runs) if name in by_name))


def sweep_mates(report: Report, run: str, limit: int) -> list[str]:
    """``run`` and up to ``limit - 1`` runs of the same sweep, to compare it with: the runs in its folder,
    else those that logged the same hyperparameters (with other values); in the report's order."""
    by_name = {one.run: one for one in report.runs}
    if run not in by_name:
        return []
    folder = run.rpartition("/")[0]
    same_folder = [one.run for one in report.runs if one.run != run and one.run.rpartition("/")[0] == folder]
    keys = set(by_name[run].hparams)
    same_keys = [one.run for one in report.runs if one.run != run and keys and set(one.hparams) == keys]
    return [run, *(same_folder if len(same_folder) >= len(same_keys) or not same_keys else same_keys)][:limit]


def roles_of(report: Report, runs: Iterable[str]) -> list[str]:
    """The roles (in ``ROLES`` order) that at least one of ``runs`` logged."""
    present = {role for name in runs for role, curve in report[name].curves.items() if len(curve)}
    return [role for role in ROLES if role in present]


# --- the overview ----------------------------------------------------------------------------------


def label_text(run: RunReport) -> str:
    """The run's labels with their confidence, strongest first: ``overfitting 98%, bad_init 61%``."""
    confidences = run.label_confidences()
    return ", ".join(f"{label} {confidence:.0%}" for label, confidence in confidences.items()) or NOT_JUDGED


def overview_frame(report: Report) -> pd.DataFrame:
    """``Report.to_frame`` with ``label_text`` (labels and confidences as text) and ``labels`` as a
    list of strings (``["not judged"]`` for a run that could not be judged)."""
    frame = report.to_frame()
    frame.insert(2, "label_text", [label_text(run) for run in report.runs])
    frame["labels"] = [list(run.labels) or [NOT_JUDGED] for run in report.runs]
    # to_frame writes a missing label, driver or fix as the text "None"; a table shows a missing one as
    # "None" too: the primary label stays missing (filters read it), the texts are empty
    verdicts = [run.diagnosis.verdicts[0] if run.diagnosis.verdicts else None for run in report.runs]
    frame["primary_label"] = pd.Series([run.primary_label for run in report.runs], dtype="str")
    frame["driver"] = pd.Series([v.driver if v else "" for v in verdicts], dtype="str")
    frame["fix"] = pd.Series([run.fix or "" for run in report.runs], dtype="str")
    frame["not_judged"] = pd.Series(["; ".join(run.diagnosis.not_judged.values()) for run in report.runs], dtype="str")
    return frame


def label_counts(report: Report) -> pd.DataFrame:
    """How many runs carry each label (in ``LABELS`` order; runs not judged counted last), columns ``label, runs``."""
    counts = report.counts()
    rows = [(label, counts[label]) for label in LABELS if counts.get(label)]
    unjudged = sum(not run.labels for run in report.runs)
    if unjudged:
        rows.append((NOT_JUDGED, unjudged))
    return pd.DataFrame(rows, columns=["label", "runs"])
