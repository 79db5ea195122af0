"""The report as CSV: one row per run, flat columns, safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) get a leading ``'``, as the OWASP guidance on CSV injection advises;
numbers are written as numbers, so a negative loss stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .result import NUMBERS, Report, RunReport

COLUMNS = (
    "run",
    "labels",
    "primary_label",
    "confidence",
    "driver",
    "uncertain",
    "fix",
    *NUMBERS,
    "codes",
    "not_judged",
    "findings",
)
"""The CSV header, in order."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""

SEPARATOR = "; "


HIDDEN_PREFIX = "# "
"""The start of the last line, when a filter hid runs: ``# 3 runs hidden by the filter asked for (...)``
(``pandas.read_csv(..., comment="#")`` skips it)."""


def render(report: Report) -> str:
    """The report as CSV text: a header, then one row per run, each line ending in ``\\n``; when a
    filter hid runs, a last line saying how many."""
    rows = "".join(_line(cells) for cells in (COLUMNS, *(_cells(run) for run in report.runs)))
    hidden = report.hidden_note()
    return rows + (f"{HIDDEN_PREFIX}{' '.join(hidden.replace(',', ';').split())}\n" if hidden else "")


def _cells(run: RunReport) -> list[str | float | int]:
    top = run.diagnosis.verdicts[0] if run.diagnosis.verdicts else None
    row = {
        "run": _text(run.run),
        "labels": _text(SEPARATOR.join(run.labels)),
        "primary_label": _text(run.primary_label),
        "confidence": round(run.confidence, 4),
        "driver": _text(top.driver if top else None),
        "uncertain": _text(SEPARATOR.join(run.diagnosis.uncertain)),
        "fix": _text(run.fix),
        **{name: run.numbers.get(name) for name in NUMBERS},
        "codes": _text(SEPARATOR.join(_codes(run))),
        "not_judged": _text(SEPARATOR.join(run.diagnosis.not_judged)),
        "findings": len(run.findings),
    }
    return ["" if row[name] is None else row[name] for name in COLUMNS]


def _codes(run: RunReport) -> list[str]:
    """The codes of the diagnoses behind the run's labels, each once, in the labels' order."""
    codes = (d.code for label in run.labels if (v := run.diagnosis.verdict(label)) for d in v.diagnoses)
    return list(dict.fromkeys(codes))


def _text(value: str | None) -> str | None:
    """A text cell a spreadsheet shows as text: a formula-like start is quoted with ``'``."""
    if value is not None and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _line(cells: Iterable[str | float | int]) -> str:
    """One CSV row ending in ``\\n``. The writer ends rows in ``\\r\\n`` because it quotes only
    the characters of its line terminator: so a lone ``\\r`` in a run name is quoted, not a row break."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().removesuffix("\r\n") + "\n"
