"""Checking the parameters of public functions, in scikit-learn's style.

A function declares what each parameter may be, once, beside its signature::

    @validate_params({"interval": [Interval(Real, 0, None, closed="neither")]})
    def watch(path, *, interval=2.0): ...

and a call that breaks a constraint raises ``InvalidParameterError`` naming the function, the
parameter, what it accepts and what it got: "The 'interval' parameter of watch must be a
float in the range (0, inf). Got -1 instead." ``check_params`` does the same for a class's
fields or a rule's thresholds.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from .errors import InvalidParameterError


class Constraint:
    """What a parameter may be; ``str`` says it in words."""

    def is_satisfied_by(self, value: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Constraint):
    """A number of ``kind`` (``Integral`` or ``Real``) between ``low`` and ``high`` (``None``: unbounded)."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"  # "both", "left", "right" or "neither"

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind) or (isinstance(value, Real) and math.isnan(value)):
            return False
        above = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        below = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        return above and below

    def __str__(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{'an int' if self.kind is Integral else 'a float'} in the range {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Options(Constraint):
    """One of a few values."""

    values: tuple

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) and not any(isinstance(option, bool) for option in self.values):
            return False
        return isinstance(value, str | int | float | type(None)) and value in self.values

    def __str__(self) -> str:
        return repr(self.values[0]) if len(self.values) == 1 else f"one of {', '.join(map(repr, self.values))}"


@dataclass(frozen=True)
class InstanceOf(Constraint):
    """An instance of one of ``kinds``."""

    kinds: tuple[type, ...]
    described: str

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.kinds) and not (bool not in self.kinds and isinstance(value, bool))

    def __str__(self) -> str:
        return self.described


@dataclass(frozen=True)
class Names(Constraint):
    """A list of names, each among ``known()`` (read when checked: a registry may grow)."""

    known: Callable[[], Collection[str]]
    what: str

    def is_satisfied_by(self, value: Any) -> bool:
        names = [value] if isinstance(value, str) else value
        return isinstance(names, Sequence | set | frozenset) and all(name in self.known() for name in names)

    def __str__(self) -> str:
        return f"{self.what} among {', '.join(self.known())}"


@dataclass(frozen=True)
class MappingOf(Constraint):
    """A mapping of names to values that each meet ``values``."""

    values: Constraint

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, Mapping) and all(isinstance(k, str) and self.values.is_satisfied_by(v) for k, v in value.items())

    def __str__(self) -> str:
        return f"a mapping of names to {self.values}"


NONE = InstanceOf((type(None),), "None")


def check_params(owner: str, constraints: Mapping[str, Sequence[Constraint]], values: Mapping[str, Any]) -> None:
    """Raise ``InvalidParameterError`` for the first of ``values`` that meets none of its constraints."""
    for name, allowed in constraints.items():
        if name not in values or any(constraint.is_satisfied_by(values[name]) for constraint in allowed):
            continue
        wanted = " or ".join(map(str, allowed))
        raise InvalidParameterError(f"The {name!r} parameter of {owner} must be {wanted}. Got {values[name]!r} instead.")


def validate_params(constraints: Mapping[str, Sequence[Constraint]]):
    """Decorator: check a function's arguments against ``constraints`` before each call."""

    def decorate(function):
        signature = inspect.signature(function)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{function.__qualname__} has no parameter {', '.join(sorted(unknown))}")
        owner = function.__qualname__.removesuffix(".__init__")

        @functools.wraps(function)
        def checked(*args, **kwargs):
            bound = signature.bind_partial(*args, **kwargs)
            check_params(owner, constraints, bound.arguments)
            return function(*args, **kwargs)

        return checked

    return decorate
