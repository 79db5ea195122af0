"""The evaluation views as plain text (as ``curvescope eval`` prints them) or as Markdown tables ready for
the README and docs/accuracy.md."""

from __future__ import annotations

import math

import pandas as pd

from ..evaluate import Scores
from .run_length import HALFWAY, RunLength

MODE_NAMES = {"rules": "rules alone", "model": "model alone", "combined": "combined"}
HEADERS = {
    "f1": "F1",
    "support": "runs",
    "calibration_error": "calibration error",
    "count": "runs",
    "confidence": "mean confidence",
}
"""The Markdown tables' column names."""


def scores(results: dict[str, Scores], *, heading: str, markdown: bool = False) -> str:
    """One block per way of diagnosing: per-label scores, macro-F1, calibration error, false alarms, the
    targets met and missed; the reliability table and (in text) the confusion matrix."""
    return _markdown_scores(results, heading) if markdown else _text_scores(results, heading)


def run_length(view: RunLength, *, markdown: bool = False) -> str:
    """Each label's recall at each fraction of the run, macro-F1, and whether the label given halfway stays."""
    recall = view.recall()
    recall.loc["macro-F1"] = [s.macro_f1 for s in view.scores.values()]
    recall.columns = [f"{f:.0%}" for f in recall.columns]
    recall[f"label at {HALFWAY:.0%} stays"] = view.stays["stays"]
    recall[f"given at {HALFWAY:.0%}"] = view.stays["runs"].astype("Int64")
    heading = "recall with the runs cut at each fraction of their steps"
    if markdown:
        return f"{heading.capitalize()}:\n\n" + _markdown(recall, "label")
    return f"== {heading} ==\n" + _formatted(recall).to_string()


def _text_scores(results: dict[str, Scores], heading: str) -> str:
    lines = [heading]
    for mode, result in results.items():
        per_label = result.per_label.assign(calibration_error=_macro(result.label_calibration_errors))
        lines += [
            "",
            f"== {mode} ==",
            _formatted(per_label).to_string(),
            "",
            _summary(result),
            _missed(result),
            "",
            "reliability of the primary label's confidence (is the primary label right?)",
            _formatted(result.reliability).to_string(),
            "",
            "confusion (rows: true label, columns: primary label given)",
            result.confusion.to_string(),
        ]
    return "\n".join(lines)


def _markdown_scores(results: dict[str, Scores], heading: str) -> str:
    summary = pd.DataFrame(
        {
            MODE_NAMES[mode]: {
                "macro-F1": result.macro_f1,
                "calibration error": result.calibration_error,
                "healthy false alarms": f"{result.healthy_false_alarms:.1%}",
                "label set as labelled": f"{result.agreement:.1%}",
                "targets met": f"{int(result.targets()['met'].sum())} of {len(result.targets())}",
            }
            for mode, result in results.items()
        }
    )
    best = list(results)[-1]
    result = results[best]
    per_label = result.per_label.assign(calibration_error=_macro(result.label_calibration_errors)).rename(columns=HEADERS)
    per_label.index = [f"**{name}**" if name == "macro" else name for name in per_label.index]
    targets = result.targets()
    targets = pd.DataFrame(
        {
            "reached": targets["value"],
            "goal": [f"{d} {g:g}" for d, g in zip(targets["direction"], targets["goal"])],
            "met": [_verdict(met, by) for met, by in zip(targets["met"], targets["missed_by"])],
        },
        index=targets.index,
    )
    return "\n\n".join(
        [
            f"{heading}:",
            _markdown(summary, ""),
            f"{MODE_NAMES[best].capitalize()}, per label:",
            _markdown(per_label, "label"),
            f"Targets ({MODE_NAMES[best]}):",
            _markdown(targets, "target"),
            f"Reliability of the primary label's confidence ({MODE_NAMES[best]}):",
            _markdown(result.reliability.rename(columns=HEADERS), "confidence bin"),
        ]
    )


def _summary(result: Scores) -> str:
    met = result.targets()["met"]
    return (
        f"macro-F1 {result.macro_f1:.3f}   calibration error {result.calibration_error:.3f}   "
        f"healthy false alarms {result.healthy_false_alarms:.1%}   label set as labelled {result.agreement:.1%}   "
        f"targets met: {int(met.sum())} of {len(met)}"
    )


def _missed(result: Scores) -> str:
    targets = result.targets()
    missed = targets[~targets["met"]]
    if missed.empty:
        return "every target met"
    return "missed: " + "; ".join(
        f"{name} {row.value:.3f} (target {row.direction} {row.goal:g}, {_verdict(False, row.missed_by)})"
        for name, row in missed.iterrows()
    )


def _verdict(met: bool, missed_by: float) -> str:
    """A target's line: met, missed by how much, or not measurable (no runs to measure it on)."""
    return "yes" if met else "not measured: no runs" if math.isnan(missed_by) else f"no, by {missed_by:.3f}"


def _macro(errors: pd.Series) -> pd.Series:
    """Per-label calibration errors with their mean on the ``macro`` row."""
    return pd.concat([errors, pd.Series({"macro": errors.mean()})])


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Every float to three decimals, every missing value blank, the rest as it is."""
    return frame.astype(object).map(lambda v: "" if pd.isna(v) else f"{v:.3f}" if isinstance(v, float) else v)


def _markdown(frame: pd.DataFrame, corner: str) -> str:
    """A Markdown table, the index as its first column."""
    shown = _formatted(frame)
    lines = ["| " + " | ".join([corner, *map(str, shown.columns)]) + " |", "|" + "---|" * (len(shown.columns) + 1)]
    for name, row in shown.iterrows():
        lines.append("| " + " | ".join([str(name), *map(str, row)]) + " |")
    return "\n".join(lines)
