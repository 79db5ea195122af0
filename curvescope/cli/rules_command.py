"""``curvescope rules`` and ``curvescope explain``: the rules' documentation, from the registry."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..diagnose import Rule, model_codes, rules
from ..errors import InvalidParameterError
from ..findings import KINDS
from .common import app, guarded, stdout


@app.command("rules", epilog="Examples:\n\n  curvescope rules\n\n  curvescope explain CS401")
def rules_command() -> None:
    """List every rule: code, name, label, lifecycle and what it detects."""
    table = Table(header_style="bold")
    for column in ("code", "name", "label", "lifecycle", "detects"):
        table.add_column(column, overflow="fold")
    for code, rule in rules().items():
        table.add_row(code, rule.name, rule.label, rule.lifecycle, rule.summary())
    for label, code in model_codes().items():
        table.add_row(code, f"learned-{label.replace('_', '-')}", label, "stable", f"the learned model gives {label}")
    stdout().print(table)


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
        elif key in model_codes().values():
            label = next(label for label, c in model_codes().items() if c == key)
            typer.echo(
                f"{key} learned-{label.replace('_', '-')} (label: {label})\n\nThe learned model's calibrated "
                f"probability of {label} reached the threshold. Its evidence quotes the run's located events and "
                "the features a person would check first for the label."
            )
        else:
            raise InvalidParameterError(f"{code!r} is not a rule, model or finding code. `curvescope rules` lists them.")

    guarded(work, False)


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
