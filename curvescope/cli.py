"""The ``curvescope`` command line: ``curvescope read PATH`` summarises what a log directory holds."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import CurvescopeError, InvalidParameterError
from .findings import Severity
from .read import ReadResult, read
from .version import __version__

app = typer.Typer(
    name="curvescope",
    help="Audit machine-learning training runs: read every log, find what went wrong, say how to fix it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

_SEVERITY_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "red"}


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"curvescope {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Audit machine-learning training runs."""


_READ_EXAMPLES = (
    "Examples:\n\n  curvescope read runs/\n\n"
    "  curvescope read runs/ --role val_loss=eval/my_loss --to scalars.parquet"
)


@app.command("read", epilog=_READ_EXAMPLES)
def read_command(
    path: Annotated[Path, typer.Argument(help="A log directory (or one log file).", show_default=False)],
    to: Annotated[Path | None, typer.Option("--to", help="Also write the tidy frame to this .parquet or .csv file.")] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help="Override a role: ROLE=TAG (repeatable).")] = None,
    all_points: Annotated[
        bool, typer.Option("--all-points", help="Keep every write of a repeated step, not only the newest.")
    ] = False,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Summary as a table or as JSON.")] = OutputFormat.TABLE,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an unexpected error.")] = False,
) -> None:
    """Read every run below PATH and summarise it: runs, tags, points, roles found, findings."""

    def work() -> None:
        result = read(path, roles=_parse_roles(role or []), duplicates="all" if all_points else "last")
        if to is not None:
            _export(result, to)
        if output_format is OutputFormat.JSON:
            typer.echo(json.dumps(_summary_dict(result), indent=2, default=str))
        else:
            _print_summary(result, _stdout(), exported=to)

    _guarded(work, debug)


def _stdout() -> Console:
    """The terminal's width on a terminal; wide enough not to fold run names into a file or pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _guarded(work: Callable[[], None], debug: bool) -> None:
    """Run a command: a CurvescopeError is one line and exit 2; anything else one line unless --debug."""
    err = Console(stderr=True)
    try:
        work()
    except CurvescopeError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            err.print(f"[red]error:[/] unexpected {type(exc).__name__}: {exc}. Rerun with --debug for the traceback.",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _parse_roles(pairs: list[str]) -> dict[str, str]:
    roles = {}
    for pair in pairs:
        role, sep, tag = pair.partition("=")
        if not sep or not role or not tag:
            raise InvalidParameterError(f"--role takes ROLE=TAG, like --role val_loss=eval/my_loss. Got {pair!r} instead.")
        roles[role.strip()] = tag.strip()
    return roles


def _export(result: ReadResult, to: Path) -> None:
    suffix = to.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise CurvescopeError(
                f"{to}: writing parquet needs pyarrow. Install it with: pip install 'curvescope[parquet]'") from None
        result.scalars.to_parquet(to, index=False)
    elif suffix == ".csv":
        result.scalars.to_csv(to, index=False)
    else:
        raise InvalidParameterError(f"{to}: --to writes .parquet or .csv files. Got {to.suffix or 'no extension'!r} instead.")


def _summary_dict(result: ReadResult) -> dict[str, Any]:
    return {
        "runs": [
            {**row, "roles": result.roles.get(row["run"], {}), "hparams": result.hparams.get(row["run"], {})}
            for row in _records(result.summary())
        ],
        "findings": [f.to_dict() for f in result.findings],
        "points": int(len(result.scalars)),
        "ignored_files": result.ignored_files,
    }


def _records(frame) -> list[dict[str, Any]]:
    """Rows as plain Python values (pandas' NA becomes None)."""
    return [{key: (None if value is pd.NA else value.item() if hasattr(value, "item") else value)
             for key, value in row.items()} for row in frame.astype(object).to_dict("records")]


def _print_summary(result: ReadResult, console: Console, *, exported: Path | None) -> None:
    table = Table(title=None, show_lines=False, header_style="bold")
    for column, justify in (("run", "left"), ("format", "left"), ("tags", "right"), ("points", "right"),
                            ("steps", "right"), ("roles", "left"), ("findings", "right")):
        table.add_column(column, justify=justify, overflow="fold")
    for row in _records(result.summary()):
        steps = "" if row["first_step"] is None else f"{row['first_step']}–{row['last_step']}"
        roles = ", ".join(result.roles.get(row["run"], {})) or "[yellow]none[/]"
        findings = str(row["findings"]) if row["findings"] else ""
        table.add_row(_text(row["run"]), row["format"], str(row["tags"]), f"{row['points']:,}", steps, roles, findings)
    console.print(table)
    for item in result.findings:
        style = _SEVERITY_STYLE[item.severity]
        where = item.source or item.run or ""
        console.print(f"[{style}]{item.severity:<7}[/] {item.code} {_text(where)}: {_text(item.message)}",
                      highlight=False, soft_wrap=True)
    counts = {s: sum(f.severity is s for f in result.findings) for s in Severity}
    console.print(
        f"{len(result.runs)} runs, {len(result.scalars):,} points, {len(result.findings)} findings "
        f"({counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, {counts[Severity.INFO]} info); "
        f"{result.ignored_files} other files ignored" + (f"; frame written to {exported}" if exported else ""),
        highlight=False)


def _text(value: str) -> str:
    """Escape rich markup in names from the user's files."""
    return escape(str(value))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
