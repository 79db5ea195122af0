"""``curvescope lr-find``: the LR range tests below a path, and the rates they suggest."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..lr.find import RangeTests, lr_find
from ..lr.range_test import RateEstimate
from .common import DEBUG_HELP, app, guarded, print_findings, stdout, text


class TestsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


_EXAMPLES = "Examples:\n\n  curvescope lr-find runs/lr_find/\n\n  curvescope lr-find lr_finder_history.json --format json"


@app.command("lr-find", epilog=_EXAMPLES)
def lr_find_command(
    path: Annotated[
        str, typer.Argument(help="A log directory or one log file, or an fsspec URL (s3://...).", show_default=False)
    ],
    output_format: Annotated[TestsFormat, typer.Option("--format", help="A table, or JSON with every rate's evidence.")] = (
        TestsFormat.TABLE
    ),
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Find the LR range tests below PATH (a rate rising every step over a short run) and the rates they suggest:
    the steepest descent of the smoothed loss, the minimum / 10, the cyclic schedule's base_lr and max_lr, the
    one-cycle max_lr, each with its range."""

    def work() -> None:
        tests = lr_find(path)
        if output_format is TestsFormat.JSON:
            typer.echo(json.dumps(tests.to_dict(), indent=2, allow_nan=False))
        else:
            print_tests(tests, stdout())

    guarded(work, debug)


def print_tests(tests: RangeTests, console: Console) -> None:
    table = Table(header_style="bold")
    for column in ("run", "points", "suggested", "steepest", "minimum / 10", "cyclic base_lr – max_lr", "diverges at", "notes"):
        table.add_column(column, overflow="fold", justify="right" if column == "points" else "left")
    for test in tests:
        cyclic = f"{test.base_lr.value:.3g} – {test.max_lr.value:.3g}" if test.base_lr and test.max_lr else ""
        table.add_row(
            text(test.run),
            str(len(test.steps)),
            "" if test.suggested is None else f"{test.suggested:.3g} ({test.suggested_by})",
            _rate(test.steepest),
            "" if test.minimum_over_10 is None else f"{test.minimum_over_10:.3g}",
            cyclic,
            _rate(test.divergence),
            text("; ".join(test.notes)),
        )
    if tests.tests:
        console.print(table)
    print_findings(tests.findings, console)
    found = f"{len(tests)} LR range test{'' if len(tests) == 1 else 's'}"
    others = f"; {len(tests.other_runs)} other run{'' if len(tests.other_runs) == 1 else 's'} (no rate rising every step)"
    console.print(found + (others if tests.other_runs else ""), highlight=False, markup=False)
    if tests.tests:
        console.print(
            "one-cycle max_lr: the cyclic max_lr. Ranges: the rate under three smoothing windows (--format json for all).",
            highlight=False,
            markup=False,
        )


def _rate(estimate: RateEstimate | None) -> str:
    if estimate is None:
        return ""
    if estimate.low == estimate.high:
        return f"{estimate.value:.3g}"
    return f"{estimate.value:.3g} ({estimate.low:.3g}–{estimate.high:.3g})"
