"""What every command shares: the Typer app, error handling, consoles and option parsing."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..errors import CurvescopeError
from ..findings import Finding
from ..report.as_table import finding_line
from ..text import printable, terminal_safe
from ..version import __version__


class _Commands(typer.core.TyperGroup):
    """The commands, with a usage error (an unknown option, a value out of range) said in one plain
    line, ``Error: ...`` and where to look, instead of a box of many."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        given = sys.argv[1:] if args is None else args
        if not standalone_mode or not given:  # no arguments: the help, as Typer shows it
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:
            Console(stderr=True).print(usage_error_line(exc), highlight=False, soft_wrap=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def usage_error_line(exc: typer.TyperException) -> Text:
    """``Error: the problem. Try 'curvescope audit --help'.``: one line, never markup nor a control sequence."""
    context = getattr(exc, "ctx", None)
    message = printable(exc.format_message() if hasattr(exc, "format_message") else str(exc)).rstrip(".")
    hint = f" Try '{printable(context.command_path)} --help'." if context is not None else ""
    return Text.assemble(("Error:", "red"), f" {message}.{hint}")


MAX_COUNT = 2**31 - 1
"""The largest count a numeric option takes (processes, classes, a seed): a larger one is a slip."""

MAX_SECONDS = 7 * 24 * 3600.0
"""The longest interval an option takes: a week."""


app = typer.Typer(
    cls=_Commands,
    name="curvescope",
    help="Audit machine-learning training runs: read every log, find what went wrong, say how to fix it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

DEBUG_HELP = "Show the full traceback of an unexpected error."

# The audit's options, declared once for every command that audits (audit, watch).
SelectOption = Annotated[list[str] | None, typer.Option("--select", help="Only rules whose code starts so (repeatable).")]
IgnoreOption = Annotated[list[str] | None, typer.Option("--ignore", help="Skip rules whose code starts so (repeatable).")]
RoleOption = Annotated[list[str] | None, typer.Option("--role", help="Override a role: ROLE=TAG (repeatable).")]
ClassesOption = Annotated[
    int | None, typer.Option("--classes", min=2, max=MAX_COUNT, help="Number of classes, for the first-loss check.")
]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", "-j", min=-1, max=MAX_COUNT, help="Audit runs in this many processes (-1: one per core).")
]
CacheOption = Annotated[
    Path | None, typer.Option("--cache", help="Keep the cache in this folder (default: the user's cache folder).")
]
NoModelOption = Annotated[bool, typer.Option("--no-model", help="Diagnose with the rules alone.")]


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


def stdout() -> Console:
    """The terminal's width on a terminal; wide enough not to fold run names into a file or pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def guarded(work: Callable[[], None], debug: bool) -> None:
    """Run a command: a CurvescopeError is one line and exit 2; anything else one line unless --debug."""
    err = Console(stderr=True)
    try:
        work()
    except CurvescopeError as exc:
        err.print(error_line(str(exc)), highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            err.print(
                error_line(f"unexpected {type(exc).__name__}: {exc}. Rerun with --debug for the traceback."),
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(2) from None


def error_line(message: str) -> Text:
    """``error: message``: the message (which may quote a path or a name from the logs) is never
    markup and never a terminal's control sequence."""
    return Text.assemble(("error:", "red"), " ", printable(message))


def echo_document(document: str) -> None:
    """A rendered report (CSV, Markdown, HTML, JSON) on stdout: on a terminal, with every control
    character written as an escape; into a file or a pipe, byte for byte (``color=True``: click
    would strip what looks like a colour code, and so change the names)."""
    typer.echo(terminal_safe(document) if sys.stdout.isatty() else document, nl=False, color=True)


def print_findings(findings: tuple[Finding, ...] | list[Finding], console: Console) -> None:
    """One line per finding: severity, code, where, what."""
    for item in findings:
        console.print(finding_line(item), highlight=False, soft_wrap=True)


def text(value: str) -> str:
    """A name from the user's files for a rich table cell: no markup, no control sequence."""
    return escape(printable(str(value)))
