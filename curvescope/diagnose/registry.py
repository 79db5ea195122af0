"""The rule registry: stable codes, documented thresholds, selection by code prefix.

A rule is a class with a ``code`` (``CS`` and three digits; the hundreds digit is its label's
family: CS1xx bad init, CS2xx learning rate too high, CS3xx decay too early, CS4xx overfitting,
CS5xx underfitting), a kebab-case ``name`` for the pattern it sees, the ``label`` it supports,
its thresholds as keyword arguments of ``__init__`` (stored unchanged, checked against
``_parameter_constraints`` when the rule runs) and ``check(context)``, which yields diagnoses
with evidence and a fix worded for the run. Third-party rules register through the
``curvescope.rules`` entry-point group and use their own letter prefix.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

from ..errors import InvalidParameterError, PluginError
from ..features.measured import RunContext
from ..params import Constraint, check_params
from ..plugins import PluginGroup
from .diagnosis import Diagnosis, Evidence
from .labels import PROBLEMS, family_label
from .labels import label as label_record

ENTRY_POINT_GROUP = "curvescope.rules"
CODE = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LIFECYCLES = ("stable", "preview", "deprecated")
SECTIONS = ("What it detects", "Why it matters", "Example", "What to try")


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    label: ClassVar[str]
    lifecycle: ClassVar[str] = "stable"
    _parameter_constraints: ClassVar[dict[str, Sequence[Constraint]]] = {}

    def check(self, context: RunContext) -> Iterable[Diagnosis]:
        raise NotImplementedError

    def get_params(self) -> dict[str, float]:
        """The rule's thresholds, as given to ``__init__``."""
        init = type(self).__init__
        if init is object.__init__:
            return {}
        parameters = inspect.signature(init).parameters.values()
        return {
            p.name: getattr(self, p.name)
            for p in parameters
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def validate_params(self) -> None:
        """Raise ``InvalidParameterError`` for a threshold outside its documented range."""
        check_params(self.code, self._parameter_constraints, self.get_params())

    def fix(self, lead: str | None = None) -> str:
        """The label's fix, led by what this run's curves show (``lead``) when given."""
        fix = label_record(self.label).fix
        return f"{lead}; {fix}" if lead else fix

    def diagnose(self, context: RunContext, confidence: float, message: str, fix: str, evidence: Sequence[Evidence]) -> Diagnosis:
        """A diagnosis by this rule on the run in ``context``."""
        return Diagnosis(
            self.code,
            self.name,
            self.label,
            context.run,
            float(min(max(confidence, 0.0), CERTAIN)),
            message,
            fix,
            tuple(evidence),
        )

    @classmethod
    def summary(cls) -> str:
        """The docstring's first line."""
        return (inspect.getdoc(cls) or "").splitlines()[0]

    @classmethod
    def sections(cls) -> dict[str, str]:
        """The docstring's sections (``What it detects``, ``Why it matters``, ``Example``, ``What to try``)."""
        doc = inspect.getdoc(cls) or ""
        found, current = {}, None
        for line in doc.splitlines()[1:]:
            if line.rstrip(":") in SECTIONS and line.endswith(":"):
                current = line.rstrip(":")
                found[current] = []
            elif current:
                found[current].append(line)
        return {name: "\n".join(lines).strip() for name, lines in found.items()}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


_RULES: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry; a bad or taken code or name fails here."""
    code, name = getattr(rule, "code", None), getattr(rule, "name", None)
    if not isinstance(code, str) or not CODE.match(code):
        raise PluginError(f"rule {rule.__name__}: code {code!r} must be 1-3 capital letters and three digits, e.g. CS401.")
    if not isinstance(name, str) or not NAME.match(name):
        raise PluginError(f"rule {code}: name {name!r} must be kebab-case, e.g. 'val-loss-rises-after-best'.")
    if getattr(rule, "label", None) not in PROBLEMS:
        raise PluginError(f"rule {code}: label must be one of {', '.join(PROBLEMS)}.")
    if code.startswith("CS") and (family := family_label(int(code[2]))) is not None and family.name != rule.label:
        raise PluginError(f"rule {code}: codes CS{code[2]}xx are {family.name}'s rules, not {rule.label}'s.")
    if rule.lifecycle not in LIFECYCLES:
        raise PluginError(f"rule {code}: lifecycle must be one of {', '.join(LIFECYCLES)}.")
    for other in _RULES.values():
        if other.code == code or other.name == name:
            raise PluginError(
                f"rule {code} ({name}, {rule.__module__}) clashes with rule {other.code} "
                f"({other.name}, {other.__module__}): codes and names must be unique."
            )
    _RULES[code] = rule
    return rule


def rules() -> dict[str, type[Rule]]:
    """Every registered rule class by code, sorted by code: built-ins, then plugins."""
    PLUGINS.load()
    return dict(sorted(_RULES.items()))


def select(select: str | Sequence[str] | None = None, ignore: str | Sequence[str] | None = None) -> list[Rule]:
    """Rules (with default thresholds) whose code starts with a ``select`` prefix and none of the
    ``ignore`` prefixes. ``select=None`` is every rule; ``["CS2", "CS401"]`` picks a family and one rule."""
    table = rules()
    select, ignore = ([p] if isinstance(p, str) else p for p in (select, ignore))
    for option, prefixes in (("select", select), ("ignore", ignore)):
        for prefix in prefixes or ():
            if not isinstance(prefix, str) or not prefix or not any(code.startswith(prefix.upper()) for code in table):
                raise InvalidParameterError(
                    f"The {option!r} parameter names {prefix!r}, which matches no rule code. "
                    f"Codes: {', '.join(table)} (a prefix such as CS2 picks a family)."
                )
    chosen = [code for code in table if select is None or any(code.startswith(p.upper()) for p in select)]
    chosen = [code for code in chosen if not any(code.startswith(p.upper()) for p in ignore or ())]
    return [table[code]() for code in chosen]


CERTAIN = 0.95
"""The most confidence a rule gives: a threshold is never proof, and the model can still overrule it."""


def ramp(value: float, threshold: float, full: float) -> float:
    """Confidence for a measure past its threshold: 0.5 at ``threshold``, rising linearly to
    ``CERTAIN`` at ``full`` (which may lie below ``threshold`` for a measure that must be small)."""
    if not math.isfinite(value):
        return CERTAIN if (value > 0) == (full > threshold) else 0.5
    share = (value - threshold) / (full - threshold) if full != threshold else 1.0
    return 0.5 + (CERTAIN - 0.5) * min(max(share, 0.0), 1.0)


def _adopt(ep, rule) -> None:
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        raise PluginError(f"rule plugin {ep.name!r} ({ep.value}) is not a curvescope Rule subclass.")
    if rule.code not in _RULES:
        register(rule)


PLUGINS = PluginGroup(ENTRY_POINT_GROUP, "rule", _adopt)
