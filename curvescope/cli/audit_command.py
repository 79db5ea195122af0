"""``curvescope audit``: every run below one or more paths, diagnosed, in the format asked for."""

from __future__ import annotations

from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..audit import audit
from ..diagnose import LABELS
from ..errors import InvalidParameterError
from ..report import render
from ..report.as_table import renderable
from ..scale.backends import cores
from ..settings import parse_codes, parse_roles
from ..text import printable
from .common import (
    DEBUG_HELP,
    CacheOption,
    ClassesOption,
    IgnoreOption,
    JobsOption,
    NoModelOption,
    RoleOption,
    SelectOption,
    app,
    echo_document,
    guarded,
    stdout,
)


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


_EXAMPLES = """Examples:

  curvescope audit fixtures/demo

  curvescope audit runs/ --format html --output audit.html

  curvescope audit runs/a runs/b --label overfitting --min-confidence 0.8

  curvescope audit runs/ --fail-on lr_too_high,bad_init --quiet     (exit 1 when one is found: a CI gate)

  curvescope audit runs/ --select CS2 --select CS401 --classes 10 --jobs 2

  curvescope audit s3://team-runs/2026 --scheduler tcp://dask-head:8786

Unchanged runs come from the cache (--cache DIR moves it, --no-cache skips it).

Exit codes: 0 done (nothing matched --fail-on), 1 a --fail-on label was found, 2 bad input or usage."""


@app.command("audit", epilog=_EXAMPLES)
def audit_command(
    paths: Annotated[
        list[str], typer.Argument(help="Log directories or files, or fsspec URLs (s3://bucket/runs).", show_default=False)
    ],
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="How to write the report.")] = ReportFormat.TABLE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="Show only runs with this label (repeatable).")] = None,
    min_confidence: Annotated[
        float,
        typer.Option("--min-confidence", min=0.0, max=1.0, help="Show only labels given with this confidence or more."),
    ] = 0.0,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    role: RoleOption = None,
    classes: ClassesOption = None,
    jobs: JobsOption = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Audit runs on this Dask scheduler (tcp://host:8786).")
    ] = None,
    cache: CacheOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Read every file again and keep nothing.")] = False,
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", help="Exit 1 when a run carries one of these labels (comma-separated).")
    ] = None,
    no_model: NoModelOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Diagnose every run below PATH...: labels with confidence, evidence and the fix."""
    outcome = {"code": 0}

    def work() -> None:
        gate = _labels("--fail-on", fail_on.split(",") if fail_on else [])
        shown = _labels("--label", label or [])
        with _progress(quiet) as tell:
            report = audit(
                paths[0] if len(paths) == 1 else paths,
                roles=parse_roles(role or []),
                select=parse_codes(select),
                ignore=parse_codes(ignore),
                classes=classes,
                model=not no_model,
                jobs=jobs,
                scheduler=scheduler,
                cache=_cache(cache, no_cache),
                progress=tell,
            )
        if not quiet:
            _note_jobs(jobs, report.workers)
        confident = report.filter(min_confidence=min_confidence)
        outcome["code"] = confident.exit_code(gate)
        view = confident.filter(labels=shown) if shown else confident
        if output is not None:
            output.write_text(render(view, output_format), encoding="utf-8")
            if not quiet:
                hidden = view.hidden_note()
                Console(stderr=True).print(
                    f"{len(view)} runs written to {printable(str(output))}" + (f" ({hidden})" if hidden else ""),
                    highlight=False,
                    markup=False,
                )
        elif output_format is ReportFormat.TABLE:
            stdout().print(renderable(view))
        else:
            echo_document(render(view, output_format))

    guarded(work, debug)
    raise typer.Exit(outcome["code"])


def _note_jobs(jobs: int | None, used: int) -> None:
    """Say so on stderr when --jobs asked for more worker processes than were worth starting."""
    if jobs is not None and jobs > used:
        Console(stderr=True).print(
            f"note: --jobs {jobs}: {used} worker process{'es' if used > 1 else ''} "
            f"(at most one per core, {cores()} here, and one per run to audit)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _cache(folder: Path | None, off: bool) -> Path | bool:
    if off and folder is not None:
        raise InvalidParameterError("--cache and --no-cache cannot be used together.")
    return False if off else folder or True


def _labels(option: str, names: list[str]) -> list[str]:
    given = list(names)
    names = [name.strip() for name in names if name.strip()]
    if given and not names:
        raise InvalidParameterError(f"{option} takes one or more labels among {', '.join(LABELS)}. Got {','.join(given)!r}.")
    unknown = [name for name in names if name not in LABELS]
    if unknown:
        raise InvalidParameterError(f"{option} takes labels among {', '.join(LABELS)}. Got {', '.join(unknown)} instead.")
    return names


@contextmanager
def _progress(quiet: bool):
    """A progress bar on stderr, only on a terminal and without --quiet; yields the audit's callback."""
    err = Console(stderr=True)
    if quiet or not err.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def tell(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield tell
