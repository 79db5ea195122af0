"""``curvescope watch``: audit a folder again as its files change; one line per new or changed diagnosis."""

from __future__ import annotations

import json
import os
import signal
import sys
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from ..diagnose.labels import label_colour
from ..report.as_table import finding_line
from ..settings import parse_codes, parse_roles
from ..text import printable
from ..watch import INTERVAL, Change, ChangeKind, watch
from .common import (
    DEBUG_HELP,
    MAX_SECONDS,
    CacheOption,
    ClassesOption,
    IgnoreOption,
    JobsOption,
    NoModelOption,
    RoleOption,
    SelectOption,
    app,
    guarded,
    stdout,
)


class ChangeFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


_EXAMPLES = """Examples:

  curvescope watch runs/

  curvescope watch runs/ --interval 30 --changes-only

  curvescope watch runs/ --format json | jq -c 'select(.labels | index("lr_too_high"))'

Each line: the run's last step, the run, its labels before and now, the fix. A run is shown when it appears, \
when its labels change and when it is gone, never again for its confidence alone; a new reading finding \
(a corrupt file), once.

Start it before training: it waits for runs to appear. Ctrl-C stops it.

Exit codes: 0 stopped, 2 bad input or usage."""


@app.command("watch", epilog=_EXAMPLES)
def watch_command(
    path: Annotated[str, typer.Argument(help="The log directory to watch.", show_default=False)],
    interval: Annotated[
        float,
        typer.Option("--interval", "-n", min=0.01, max=MAX_SECONDS, help="Seconds between two looks at the folder."),
    ] = INTERVAL,
    changes_only: Annotated[
        bool, typer.Option("--changes-only", help="Do not show the runs as they are at the start, only what changes.")
    ] = False,
    output_format: Annotated[
        ChangeFormat, typer.Option("--format", "-f", help="text, or json: one object per line.")
    ] = ChangeFormat.TEXT,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    role: RoleOption = None,
    classes: ClassesOption = None,
    jobs: JobsOption = None,
    cache: CacheOption = None,
    no_model: NoModelOption = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Audit PATH again whenever its files change; print each new or changed diagnosis once."""
    err = Console(stderr=True)
    show = _json_line if output_format is ChangeFormat.JSON else _text_printer()

    def work() -> None:
        changes = watch(
            path,
            interval=interval,
            changes_only=changes_only,
            roles=parse_roles(role or []),
            select=parse_codes(select),
            ignore=parse_codes(ignore),
            classes=classes,
            model=not no_model,
            jobs=jobs,
            cache=cache or True,
            waiting=lambda note: err.print(printable(note), markup=False, highlight=False, soft_wrap=True),
        )
        for change in changes:
            try:
                show(change)
            except BrokenPipeError:  # the reader went away (| head): stop, with nothing left to flush at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return

    with _stopped_by_signals():
        guarded(work, debug)


@contextmanager
def _stopped_by_signals():
    """Ctrl-C (SIGINT) and SIGTERM end the watch quietly, with exit 0."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _json_line(change: Change) -> None:
    print(json.dumps(change.to_dict(), sort_keys=True, allow_nan=False), flush=True)


def _text_printer():
    console = stdout()

    def show(change: Change) -> None:
        console.print(change_line(change), highlight=False, soft_wrap=True)
        console.file.flush()

    return show


def change_line(change: Change) -> Text:
    """``step 1,200  runs/a  healthy → lr_too_high 97%  the fix``; a new finding as the audit prints it."""
    if change.kind is ChangeKind.FINDING:
        return finding_line(change.finding)
    line = Text(f"step {'–' if change.step is None else f'{change.step:,}'}  ")
    line.append(printable(change.run or ""))
    line.append("  ")
    if change.kind is not ChangeKind.NEW:
        line.append(_labels(change.before), style="dim")
        line.append(" → ")
    if change.kind is ChangeKind.GONE:
        return line.append("gone", style="dim")
    now = ", ".join(f"{label} {confidence:.0%}" for label, confidence in change.confidences.items()) or "not judged"
    line.append(now, style=label_colour(change.labels[0] if change.labels else None))
    if change.fix:
        line.append(f"  {printable(change.fix)}")
    return line


def _labels(labels: tuple[str, ...]) -> str:
    return ", ".join(labels) or "not judged"
