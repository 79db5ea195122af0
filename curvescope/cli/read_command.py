"""``curvescope read``: what a log directory holds, and the tidy frame itself."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from ..assemble.read import ReadResult, read
from ..errors import CurvescopeError, InvalidParameterError
from ..findings import Severity
from ..report.as_csv import FORMULA_STARTS
from ..schema import LABEL_COLUMNS
from ..settings import parse_roles
from ..text import printable
from .common import DEBUG_HELP, app, guarded, print_findings, stdout, text


class SummaryFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


_READ_EXAMPLES = (
    "Examples:\n\n  curvescope read runs/\n\n  curvescope read runs/ --explain-roles\n\n"
    "  curvescope read runs/ --role val_loss=eval/my_loss --to scalars.parquet"
)


@app.command("read", epilog=_READ_EXAMPLES)
def read_command(
    path: Annotated[
        str, typer.Argument(help="A log directory (or one log file), or an fsspec URL (s3://...).", show_default=False)
    ],
    to: Annotated[Path | None, typer.Option("--to", help="Also write the tidy frame to this .parquet or .csv file.")] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help="Override a role: ROLE=TAG (repeatable).")] = None,
    all_points: Annotated[
        bool, typer.Option("--all-points", help="Keep every write of a repeated step, not only the newest.")
    ] = False,
    output_format: Annotated[
        SummaryFormat, typer.Option("--format", help="Summary as a table or as JSON (with each run's role choices).")
    ] = SummaryFormat.TABLE,
    explain_roles: Annotated[
        bool,
        typer.Option("--explain-roles", help="For each run, each role's tag and why: the pattern, and why the others lost."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Read every run below PATH and summarise it: runs, tags, points, roles found, findings."""

    def work() -> None:
        result = read(path, roles=parse_roles(role or []), duplicates="all" if all_points else "last")
        if to is not None:
            _export(result, to)
        if output_format is SummaryFormat.JSON:
            typer.echo(json.dumps(_summary_dict(result), indent=2, default=str))
        else:
            _print_summary(result, stdout(), exported=to)
            if explain_roles:
                _print_role_choices(result, stdout())

    guarded(work, debug)


def _export(result: ReadResult, to: Path) -> None:
    suffix = to.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise CurvescopeError(
                f"{to}: writing parquet needs pyarrow. Install it with: pip install 'curvescope[parquet]'"
            ) from None
        result.scalars.to_parquet(to, index=False)
    elif suffix == ".csv":
        _spreadsheet_safe(result.scalars).to_csv(to, index=False)
    else:
        raise InvalidParameterError(f"{to}: --to writes .parquet or .csv files. Got {to.suffix or 'no extension'!r} instead.")


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every name a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+cmd``)
    quoted with a leading ``'``, as the audit's CSV report does; numbers stay numbers."""
    safe = frame.copy(deep=False)
    for column in LABEL_COLUMNS:
        names = safe[column].astype("category").cat.categories
        if any(str(name).startswith(FORMULA_STARTS) for name in names):
            safe[column] = safe[column].astype(str).map(lambda name: "'" + name if name.startswith(FORMULA_STARTS) else name)
    return safe


def _summary_dict(result: ReadResult) -> dict[str, Any]:
    return {
        "runs": [
            {
                **row,
                "roles": result.roles.get(row["run"], {}),
                "role_choices": {role: c.to_dict() for role, c in result.explanations.get(row["run"], {}).items()},
                "kinds": result.kinds.get(row["run"], {}),
                "hparams": result.hparams.get(row["run"], {}),
            }
            for row in _records(result.summary())
        ],
        "findings": [f.to_dict() for f in result.findings],
        "points": int(len(result.scalars)),
        "ignored_files": result.ignored_files,
    }


def _records(frame) -> list[dict[str, Any]]:
    """Rows as plain Python values (pandas' NA becomes None)."""
    return [
        {key: (None if value is pd.NA else value.item() if hasattr(value, "item") else value) for key, value in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def _print_summary(result: ReadResult, console: Console, *, exported: Path | None) -> None:
    table = Table(title=None, show_lines=False, header_style="bold")
    for column, justify in (
        ("run", "left"),
        ("format", "left"),
        ("tags", "right"),
        ("points", "right"),
        ("steps", "right"),
        ("roles", "left"),
        ("findings", "right"),
    ):
        table.add_column(column, justify=justify, overflow="fold")
    for row in _records(result.summary()):
        steps = "" if row["first_step"] is None else f"{row['first_step']}–{row['last_step']}"
        roles = ", ".join(result.roles.get(row["run"], {})) or "[yellow]none[/]"
        findings = str(row["findings"]) if row["findings"] else ""
        table.add_row(text(row["run"]), row["format"], str(row["tags"]), f"{row['points']:,}", steps, roles, findings)
    console.print(table)
    print_findings(result.findings, console)
    counts = {s: sum(f.severity is s for f in result.findings) for s in Severity}
    console.print(
        f"{len(result.runs)} runs, {len(result.scalars):,} points, {len(result.findings)} findings "
        f"({counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, {counts[Severity.INFO]} info); "
        f"{result.ignored_files} other files ignored" + (f"; frame written to {printable(str(exported))}" if exported else ""),
        highlight=False,
        markup=False,
    )


def _print_role_choices(result: ReadResult, console: Console) -> None:
    """Each run's roles: the tag chosen and why, then every other candidate and why it lost."""
    for run in result.runs:
        console.print(
            f"\n[bold]{text(run)}[/]"
            + "".join(f"  [cyan]{kind}[/]: {text(why)}" for kind, why in result.kinds.get(run, {}).items())
        )
        choices = result.explanations.get(run, {})
        if not choices:
            console.print("  no tag matched a role")
        for role, choice in choices.items():
            tag = text(choice.tag) if choice.tag is not None else "[yellow]none[/]"
            direction = f" ({choice.direction} is better)" if choice.direction else ""
            console.print(f"  {role}{direction} = {tag}: {text(choice.reason)}", highlight=False)
            for other, why in choice.others:
                console.print(f"    not {text(other)}: {text(why)}", highlight=False)
