"""The terminal report: one row per run, counts per label, the reading findings."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..diagnose.labels import label_colour
from ..findings import Finding, Severity
from ..lr.links import is_range_test, range_test_links
from ..text import printable
from .result import Report

SEVERITY_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "red"}


def renderable(report: Report) -> Group:
    """The report as rich renderables: the runs' table, each LR range test with the sweep beside it, the findings,
    the counts."""
    table = Table(header_style="bold")
    for column, justify in (
        ("run", "left"),
        ("labels", "left"),
        ("best val step", "right"),
        ("final train / val loss", "right"),
        ("fix", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")
    for run in report:
        labels = Text(
            ", ".join(f"{label} {confidence:.0%}" for label, confidence in run.label_confidences().items())
            or ("LR range test" if is_range_test(run) else "not judged"),
            style=label_colour(run.primary_label),
        )
        if run.diagnosis.doubt:
            labels.append(f" ({run.diagnosis.doubt})", style="italic")
        n = run.numbers
        losses = " / ".join("–" if n[k] is None else f"{n[k]:.4g}" for k in ("final_train_loss", "final_val_loss"))
        best = "–" if n["best_val_step"] is None else f"{n['best_val_step']:,}"
        fix = run.fix or (not_judged_text(run.diagnosis.not_judged) if not run.labels else "")
        table.add_row(Text(printable(run.run)), labels, best, losses, Text(printable(fix)))
    lines = [table]
    lines += [Text(printable(line)) for link in range_test_links(report) if link.runs for line in link.lines()]
    lines += [finding_line(item) for item in report.findings]
    counts = ", ".join(f"{count} {label}" for label, count in sorted(report.counts().items()))
    judged = sum(1 for run in report if not run.labels)
    hidden = report.hidden_note()
    lines.append(
        Text(
            f"{len(report)} runs: {counts or 'none'}"
            + (f"; {judged} not judged" if judged else "")
            + (f"; {hidden}" if hidden else "")
        )
    )
    return Group(*lines)


def not_judged_text(not_judged: dict[str, str]) -> str:
    """What could not be judged and why, each reason once: ``bad_init, lr_too_high cannot be judged from ...``."""
    labels_of: dict[str, list[str]] = {}
    for label, reason in not_judged.items():
        labels_of.setdefault(reason.removeprefix(f"{label} "), []).append(label)
    return "; ".join(f"{', '.join(labels)} {reason}" for reason, labels in labels_of.items())


def finding_line(item: Finding) -> Text:
    """One finding as a line: severity (coloured), code, where, what (text from the logs never markup,
    never a terminal's control sequence)."""
    where = printable(item.source or item.run or "")
    return Text.assemble(
        (f"{item.severity:<7}", SEVERITY_STYLE[item.severity]), f" {item.code} {where}: {printable(item.message)}"
    )


def render(report: Report, *, width: int = 160) -> str:
    """The terminal report as plain text (no colours), for a file."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False).print(renderable(report))
    return out.getvalue()
