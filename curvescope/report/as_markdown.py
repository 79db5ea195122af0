"""The report as Markdown, for a pull request or an experiment log.

A title, the count of runs per label, a GitHub-flavoured table with one row per run, the
evidence and fix of every run with a problem (or with no label at all), and the reading findings.
Run names, tags and messages come from the user's logs: every piece of text is escaped so it
renders literally, and cannot break the table or inject HTML.
"""

from __future__ import annotations

import html

from ..diagnose.labels import HEALTHY
from ..findings import Finding
from ..lr.links import range_test_links
from .result import Report, RunReport

_BACKSLASHED = str.maketrans({char: "\\" + char for char in "\\`|[]"})
"""The backslash too: a backslash of the name before a pipe stays literal instead of cancelling the pipe's escape."""

TABLE_HEADER = ("run", "labels", "best val step", "final train loss", "final val loss", "fix")
TABLE_ALIGN = ("---", "---", "---:", "---:", "---:", "---")
MISSING = "-"


def render(report: Report) -> str:
    """The report as Markdown text; the same report always gives the same text."""
    sections = [_title(report), _counts(report), _table(report), _range_tests(report), _problems(report), _findings(report)]
    return "\n\n".join(section for section in sections if section) + "\n"


def escape(text: str) -> str:
    """Text made literal in a Markdown table cell or list item: one line, no HTML, no code span, link or cell break."""
    return html.escape(" ".join(text.splitlines()), quote=False).translate(_BACKSLASHED)


def _title(report: Report) -> str:
    return f"# curvescope audit: {len(report)} run{'' if len(report) == 1 else 's'}"


def _counts(report: Report) -> str:
    """How many runs carry each label, the commonest first, and how many carry none."""
    counts = sorted(report.counts().items(), key=lambda item: (-item[1], item[0]))
    unlabelled = sum(1 for run in report.runs if not run.labels)
    parts = [f"{escape(label)} {count}" for label, count in counts] + ([f"not judged {unlabelled}"] if unlabelled else [])
    hidden = report.hidden_note()
    return "**Labels:** " + (", ".join(parts) or "none") + (f"\n\n**Hidden:** {escape(hidden)}" if hidden else "")


def _table(report: Report) -> str:
    return _grid([TABLE_HEADER, TABLE_ALIGN, *map(_row, report.runs)])


def _grid(rows: list[tuple[str, ...]]) -> str:
    """A GitHub-flavoured table from rows of escaped cells, the first two the header and its alignment."""
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def _row(run: RunReport) -> tuple[str, ...]:
    numbers = run.numbers
    return (
        escape(run.run),
        _labels(run),
        _number(numbers.get("best_val_step"), ","),
        _number(numbers.get("final_train_loss"), ".4g"),
        _number(numbers.get("final_val_loss"), ".4g"),
        escape(run.fix) if run.fix else MISSING,
    )


def _labels(run: RunReport) -> str:
    """Each label with its confidence, e.g. ``overfitting 97%``; ``not judged`` when there is none."""

    def confidence(label: str) -> float:
        verdict = run.diagnosis.verdict(label)
        return verdict.confidence if verdict else run.confidence

    return ", ".join(f"{escape(label)} {confidence(label):.0%}" for label in run.labels) or "not judged"


def _number(value: float | int | None, spec: str) -> str:
    return MISSING if value is None else format(value, spec)


def _problems(report: Report) -> str:
    """The runs a reader has to act on: those with a problem label, and those no label could be given."""
    runs = [run for run in report.runs if run.labels != (HEALTHY,) or run.diagnosis.uncertain]
    return "\n\n".join(["## Runs to look at", *map(_details, runs)]) if runs else ""


def _details(run: RunReport) -> str:
    """The run's verdicts (what was seen, what to do), the labels it could not be judged on and why."""
    lines = [f"### {escape(run.run)}", ""]
    if run.diagnosis.doubt:
        lines.append(f"- *{escape(run.diagnosis.doubt)}*")
    for verdict in run.diagnosis.verdicts:
        lines.append(f"- **{escape(verdict.label)}** {verdict.confidence:.0%} ({escape(verdict.driver)})")
        lines += [f"  - {escape(d.code)}: {escape(d.message)}" for d in verdict.diagnoses]
        lines.append(f"  - fix: {escape(verdict.fix)}")
    lines += [f"- {escape(text)}" for text in run.diagnosis.suspected()]
    lines += [f"- not judged: {escape(reason)}" for reason in run.diagnosis.not_judged.values()]
    lines += [f"- {escape(label)} is explained by {escape(by)}" for label, by in run.diagnosis.explained.items()]
    return "\n".join(lines)


def _range_tests(report: Report) -> str:
    """Each LR range test with the runs of its folder (nothing when there is no test with runs beside it)."""
    parts = []
    for link in range_test_links(report.runs):
        if link.runs:
            head, *lines = link.lines()
            parts.append("\n".join([escape(head), "", *(f"- {escape(line.strip())}" for line in lines)]))
    return "\n\n".join(["## LR range tests", *parts]) if parts else ""


def _findings(report: Report) -> str:
    rows = [("code", "where", "message"), ("---", "---", "---"), *map(_finding_row, report.findings)]
    return "## Reading findings\n\n" + (_grid(rows) if report.findings else "None.")


def _finding_row(finding: Finding) -> tuple[str, str, str]:
    where = finding.source or finding.run
    return f"{finding.code} {finding.name}", escape(where) if where else MISSING, escape(finding.message)
