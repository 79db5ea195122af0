"""The ``curvescope`` command line.

``audit`` diagnoses every run below a path, ``read`` summarises what a log directory holds,
``rules`` and ``explain`` document the rules, ``eval`` and ``train`` measure and fit the
learned model on a labelled corpus. Every command calls the library; none holds logic of its own.
"""

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

from . import evaluate
from .audit import audit
from .diagnose import MODEL_CODES, Rule, rules
from .errors import CurvescopeError, InvalidParameterError
from .findings import KINDS, Severity
from .read import ReadResult, read
from .report import Report
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


_AUDIT_EXAMPLES = (
    "Examples:\n\n  curvescope audit fixtures/demo\n\n"
    "  curvescope audit runs/ --select CS2 --select CS4 --format json"
)


@app.command("audit", epilog=_AUDIT_EXAMPLES)
def audit_command(
    path: Annotated[Path, typer.Argument(help="A log directory (or one log file).", show_default=False)],
    select: Annotated[list[str] | None, typer.Option("--select", help="Only rules whose code starts so (repeatable).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip rules whose code starts so (repeatable).")] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help="Override a role: ROLE=TAG (repeatable).")] = None,
    classes: Annotated[int | None, typer.Option("--classes", help="Number of classes, for the first-loss check.")] = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="Diagnose with the rules alone.")] = False,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="A table or JSON.")] = OutputFormat.TABLE,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an unexpected error.")] = False,
) -> None:
    """Diagnose every run below PATH: labels with confidence, evidence and the fix."""

    def work() -> None:
        report = audit(path, roles=_parse_roles(role or []), select=select, ignore=ignore, classes=classes,
                       model=not no_model)
        if output_format is OutputFormat.JSON:
            typer.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
        else:
            _print_report(report, _stdout())

    _guarded(work, debug)


def _print_report(report: Report, console: Console) -> None:
    table = Table(header_style="bold")
    for column, justify in (("run", "left"), ("labels", "left"), ("best val step", "right"),
                            ("final train / val loss", "right"), ("fix", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for run in report:
        labels = ", ".join(f"{label} {v.confidence:.0%}" for label, v in
                           zip(run.labels, run.diagnosis.verdicts)) or ", ".join(run.labels)
        if run.labels == ("healthy",):
            labels = f"healthy {run.confidence:.0%}"
        elif not run.labels:
            labels = "[yellow]not judged[/]"
        n = run.numbers
        losses = " / ".join("–" if n[k] is None else f"{n[k]:.4g}" for k in ("final_train_loss", "final_val_loss"))
        best = "–" if n["best_val_step"] is None else f"{n['best_val_step']:,}"
        table.add_row(_text(run.run), labels, best, losses, _text(run.fix or ""))
    console.print(table)
    for item in report.findings:
        style = _SEVERITY_STYLE[item.severity]
        where = item.source or item.run or ""
        console.print(f"[{style}]{item.severity:<7}[/] {item.code} {_text(where)}: {_text(item.message)}",
                      highlight=False, soft_wrap=True)
    counts = ", ".join(f"{count} {label}" for label, count in sorted(report.counts().items()))
    console.print(f"{len(report)} runs: {counts or 'none'}", highlight=False)


@app.command("rules")
def rules_command() -> None:
    """List every rule: code, name, label, lifecycle and what it detects."""
    table = Table(header_style="bold")
    for column in ("code", "name", "label", "lifecycle", "detects"):
        table.add_column(column, overflow="fold")
    for code, rule in rules().items():
        table.add_row(code, rule.name, rule.label, rule.lifecycle, rule.summary())
    for label, code in MODEL_CODES.items():
        table.add_row(code, f"learned-{label.replace('_', '-')}", label, "stable", f"the learned model gives {label}")
    _stdout().print(table)


@app.command("explain", epilog="Examples:\n\n  curvescope explain CS401\n\n  curvescope explain CS003")
def explain_command(code: Annotated[str, typer.Argument(help="A rule, model or finding code, e.g. CS401.")]) -> None:
    """Print the documentation of a rule (or of a model or finding code)."""

    def work() -> None:
        key = code.strip().upper()
        table = rules()
        if key in table:
            typer.echo(_rule_doc(table[key]))
        elif key in KINDS:
            kind = KINDS[key]
            typer.echo(f"{kind.code} {kind.name} (reading finding, {kind.severity})\n\n{kind.summary}")
        elif key in MODEL_CODES.values():
            label = next(label for label, c in MODEL_CODES.items() if c == key)
            typer.echo(f"{key} learned-{label.replace('_', '-')} (label: {label})\n\nThe learned model's calibrated "
                       f"probability of {label} reached the threshold. Its evidence quotes the run's located events and "
                       "the features a person would check first for the label.")
        else:
            raise InvalidParameterError(f"{code!r} is not a rule, model or finding code. `curvescope rules` lists them.")

    _guarded(work, False)


def _rule_doc(rule: type[Rule]) -> str:
    instance = rule()
    lines = [f"{rule.code} {rule.name} (label: {rule.label}, {rule.lifecycle})", "", rule.summary(), ""]
    for section, text in rule.sections().items():
        lines += [f"{section}:", *(f"  {line}" for line in text.splitlines()), ""]
    lines.append("Parameters:")
    for name, value in instance.get_params().items():
        allowed = rule._parameter_constraints.get(name)
        lines.append(f"  {name} = {value}" + (f"  (allowed: {allowed})" if allowed else ""))
    return "\n".join(lines)


@app.command("eval", epilog="Example:\n\n  curvescope eval fixtures/corpus --split test")
def eval_command(
    corpus: Annotated[Path, typer.Argument(help="A labelled corpus: labels.csv beside the runs.", show_default=False)],
    split: Annotated[str | None, typer.Option("--split", help="Only runs of this split (labels.csv's split column).")] = "test",
    model: Annotated[Path | None, typer.Option("--model", help="A model file; the shipped model by default.")] = None,
    no_classes: Annotated[
        bool, typer.Option("--no-classes", help="Ignore labels.csv's class counts, as for a user who does not pass --classes.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an unexpected error.")] = False,
) -> None:
    """Per-label precision, recall and F1, macro-F1, the confusion matrix and healthy false alarms,
    for the rules alone, the model alone and both."""

    def work() -> None:
        from .diagnose import LearnedModel, shipped_model

        labelled = evaluate.load(corpus, split=split, use_classes=not no_classes)
        learned, findings = LearnedModel.load(model) if model is not None else shipped_model()
        for item in findings:
            Console(stderr=True).print(f"warning: {item.message}", highlight=False, soft_wrap=True)
        results = evaluate.evaluate(labelled, learned)
        typer.echo(evaluate.render(results, runs=len(labelled.truth), split=split)
                   + ("\n\n(class counts ignored: chance levels only where a first accuracy shows them)" if no_classes else ""))

    _guarded(work, debug)


@app.command("train", epilog="Example:\n\n  curvescope train fixtures/corpus --output curvescope/diagnose/model.skops")
def train_command(
    corpus: Annotated[Path, typer.Argument(help="A labelled corpus: labels.csv beside the runs.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", help="Where to write the model (skops format).")],
    split: Annotated[str | None, typer.Option("--split", help="Train on this split only.")] = "train",
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an unexpected error.")] = False,
) -> None:
    """Fit the learned model on a labelled corpus (reproducible: fixed seed)."""

    def work() -> None:
        labelled = evaluate.load(corpus, split=split)
        described = f"{corpus.name}" + (f" split {split}" if split else "") + f", {len(labelled.truth)} runs, seed {seed}"
        model = evaluate.train(labelled, seed=seed, trained_on=described)
        model.save(output)
        counts = labelled.truth.sum().astype(int).to_dict()
        typer.echo(f"trained on {described} ({', '.join(f'{k} {v}' for k, v in counts.items())}); written to {output}")

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
