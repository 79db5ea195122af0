"""The audit's result: per run its labels, verdicts, evidence, key numbers and reading findings.

Plain data: a ``Report`` pickles, and ``to_dict`` gives the JSON-ready form (versioned by
``SCHEMA_VERSION``); ``to_frame`` gives one row per run for a notebook or a spreadsheet.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..diagnose.diagnosis import RunDiagnosis
from ..diagnose.labels import LABEL_NAMES
from ..features.events import Curve, Event
from ..findings import Finding
from ..lr.links import range_test_links
from ..params import Interval, validate_params
from .numbers import NUMBERS

if TYPE_CHECKING:
    from ..assemble.read import ReadResult

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RunReport:
    """One run of the audit: its diagnosis, key numbers, features, located events and findings."""

    run: str
    diagnosis: RunDiagnosis
    numbers: dict[str, float | int | None]
    features: dict[str, float]
    events: tuple[Event, ...]
    findings: tuple[Finding, ...]
    formats: tuple[str, ...] = ()
    hparams: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, Curve] = field(default_factory=dict, compare=False, repr=False)
    """The run's curves by role (``train_loss``, ``val_loss``, ``train_acc``, ``val_acc``, ``lr``), as judged."""
    sweep: dict[str, float] | None = field(default=None, compare=False, repr=False)
    """What a sweep compares of the run (``sweeps.sweep_numbers``), measured where its curves were in
    memory; None when not measured (``sweeps`` then reads the curves again)."""

    @property
    def labels(self) -> tuple[str, ...]:
        return self.diagnosis.labels

    @property
    def primary_label(self) -> str | None:
        return self.diagnosis.primary_label

    @property
    def confidence(self) -> float:
        return self.diagnosis.confidence

    def label_confidences(self) -> dict[str, float]:
        """Each given label and its confidence (``healthy`` has the run's)."""
        by_verdict = {v.label: v.confidence for v in self.diagnosis.verdicts}
        return {label: by_verdict.get(label, self.diagnosis.confidence) for label in self.labels}

    @property
    def fix(self) -> str | None:
        verdicts = self.diagnosis.verdicts
        return verdicts[0].fix if verdicts else None

    def to_dict(self) -> dict[str, Any]:
        d = self.diagnosis
        return {
            "run": self.run,
            "labels": list(d.labels),
            "primary_label": d.primary_label,
            "confidence": round(d.confidence, 4),
            "fix": self.fix,
            "verdicts": [v.to_dict() for v in d.verdicts],
            "diagnoses": [x.to_dict() for x in d.diagnoses],
            "not_judged": dict(d.not_judged),
            "explained": dict(d.explained),
            "uncertain": list(d.uncertain),
            "progress": d.progress,
            "suspicions": [v.to_dict() for v in d.suspicions],
            "rule_failures": [f.to_dict() for f in d.failures],
            "numbers": {k: _json_number(v) for k, v in self.numbers.items()},
            "formats": list(self.formats),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class Report:
    """What ``curvescope.audit`` found: every run's report, the reading findings, the settings used.

    >>> report = curvescope.audit("fixtures/demo")          # doctest: +SKIP
    >>> report.to_frame()[["run", "primary_label", "confidence"]]  # doctest: +SKIP
    """

    runs: tuple[RunReport, ...]
    findings: tuple[Finding, ...]
    settings: dict[str, Any]
    reading: ReadResult | None = field(default=None, compare=False, repr=False)
    """The scalars and roles the audit read, when it was given them in memory (a frame or a
    ``ReadResult``); an audit of folders keeps none and reads a run again when asked."""
    seconds: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    """Seconds spent reading, measuring (``features``) and diagnosing, summed over every run audited
    anew (runs taken from the cache cost none)."""
    hidden: int = 0
    """How many runs of the audit a filter the user asked for (``filter``) left out of ``runs``."""
    hidden_by: str = ""
    """That filter, in words (``labels overfitting, confidence 80% or more``); empty when none was asked for."""
    workers: int = field(default=1, compare=False, repr=False)
    """Worker processes the runs were audited in: ``jobs``, but never more than the cores nor the
    runs to audit (1 in this process; on a Dask cluster, 1 too: its workers are its own)."""

    def __iter__(self) -> Iterator[RunReport]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, run: str) -> RunReport:
        for report in self.runs:
            if report.run == run:
                return report
        raise KeyError(f"no run named {run!r}; runs: {', '.join(r.run for r in self.runs[:10])}")

    def frame(self, run: str) -> pd.DataFrame:
        """The tidy scalars of one run, as read."""
        if self.reading is not None:
            return self.reading.run(run)
        scalars = getattr(self[run].curves, "scalars", None)
        if scalars is None:
            raise KeyError(f"this report holds no scalars (it was rebuilt from JSON); run {run!r}")
        return scalars()

    @validate_params({"labels": [LABEL_NAMES], "min_confidence": [Interval(Real, 0, 1)]})
    def filter(self, *, labels: Sequence[str] = (), min_confidence: float = 0.0) -> Report:
        """The runs with one of ``labels`` (any label when empty) given with at least ``min_confidence``.

        Asked for nothing (no labels, no confidence), it hides nothing: a run that could not be
        judged stays. The runs it hides are counted in ``hidden``, and ``hidden_by`` says why."""
        if not labels and min_confidence <= 0:
            return self
        kept = tuple(
            run
            for run in self.runs
            if any(
                (not labels or label in labels) and confidence >= min_confidence
                for label, confidence in run.label_confidences().items()
            )
        )
        asked = ([f"labels {', '.join(labels)}"] if labels else []) + (
            [f"confidence {min_confidence:.0%} or more"] if min_confidence > 0 else []
        )
        return self.hiding(kept, ", ".join(asked))

    def hiding(self, kept: Sequence[RunReport], why: str) -> Report:
        """This report with only the runs ``kept``; the others are counted as hidden, ``why`` says by what."""
        kept = tuple(kept)
        hidden = len(self.runs) - len(kept)
        if not hidden:
            return replace(self, runs=kept)
        reasons = "; ".join(reason for reason in (self.hidden_by, why) if reason)
        return replace(self, runs=kept, hidden=self.hidden + hidden, hidden_by=reasons)

    def hidden_note(self) -> str | None:
        """``3 runs hidden by the filter (labels overfitting)``, or None when no run was hidden."""
        if not self.hidden:
            return None
        return f"{self.hidden} run{'' if self.hidden == 1 else 's'} hidden by the filter asked for ({self.hidden_by})"

    @validate_params({"fail_on": [LABEL_NAMES]})
    def exit_code(self, fail_on: Sequence[str] = ()) -> int:
        """1 when a run carries one of the ``fail_on`` labels, else 0 (for CI gates)."""
        return int(bool(fail_on) and any(label in fail_on for run in self.runs for label in run.labels))

    def to_json(self, *, indent: int | None = 2) -> str:
        """``to_dict`` as JSON text: sorted keys, no NaN (missing numbers are null)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, allow_nan=False)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The self-contained HTML report (curves, evidence, fixes); also written to ``path`` when given."""
        from .as_html import render

        page = render(self)
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def counts(self) -> dict[str, int]:
        """How many runs carry each label (a run with two labels counts for both)."""
        return dict(Counter(label for run in self.runs for label in run.labels))

    def to_frame(self) -> pd.DataFrame:
        """One row per run: ``run, labels, primary_label, confidence, driver, fix``, the key numbers
        (``NUMBERS``) and the count of reading findings."""
        rows = []
        for run in self.runs:
            top = run.diagnosis.verdicts[0] if run.diagnosis.verdicts else None
            rows.append(
                {
                    "run": run.run,
                    "labels": list(run.labels),
                    "primary_label": run.primary_label,
                    "confidence": run.confidence,
                    "driver": top.driver if top else None,
                    "fix": run.fix,
                    **{name: run.numbers.get(name) for name in NUMBERS},
                    "findings": len(run.findings),
                }
            )
        columns = ["run", "labels", "primary_label", "confidence", "driver", "fix", *NUMBERS, "findings"]
        frame = pd.DataFrame(rows, columns=columns)
        frame = frame.astype(
            {
                "run": "str",
                "primary_label": "str",
                "driver": "str",
                "fix": "str",
                "confidence": "float64",
                "best_val_step": "Int64",
                "last_step": "Int64",
                "findings": "int64",
            }
        )
        for name in ("best_val_loss", "final_train_loss", "final_val_loss", "final_train_acc", "final_val_acc"):
            frame[name] = frame[name].astype("float64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "settings": self.settings,
            "counts": self.counts(),
            "hidden": {"runs": self.hidden, "by": self.hidden_by},
            "runs": [run.to_dict() for run in self.runs],
            "findings": [f.to_dict() for f in self.findings],
        } | ({"range_tests": [link.to_dict() for link in links]} if (links := range_test_links(self.runs)) else {})


def _json_number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
