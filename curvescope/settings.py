"""The audit's settings a user chooses (role tags, rules, classes, the model), as one value that the
CLI parses, hands to the app on its command line, and the app passes to the same ``audit()`` call.

>>> settings = AuditSettings.from_argv(["--role", "val_loss=eval/loss", "--no-model"])
>>> settings.to_argv()
['--role', 'val_loss=eval/loss', '--no-model']
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .errors import InvalidParameterError


def parse_codes(values: Sequence[str] | None) -> list[str] | None:
    """Rule codes from repeated or comma-separated options."""
    return None if not values else [code.strip() for value in values for code in value.split(",") if code.strip()]


def parse_roles(pairs: Sequence[str]) -> dict[str, str]:
    """``ROLE=TAG`` pairs as a mapping of role to tag."""
    roles = {}
    for pair in pairs:
        role, sep, tag = pair.partition("=")
        if not sep or not role or not tag:
            raise InvalidParameterError(f"--role takes ROLE=TAG, like --role val_loss=eval/my_loss. Got {pair!r} instead.")
        roles[role.strip()] = tag.strip()
    return roles


@dataclass(frozen=True)
class AuditSettings:
    """``--role``, ``--select``, ``--ignore``, ``--classes`` and ``--no-model`` of ``curvescope audit``."""

    roles: tuple[tuple[str, str], ...] = ()
    """Which tag plays a role, for every run that logs it: ``(("val_loss", "eval/loss"),)``."""
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    classes: int | None = None
    model: bool = True

    @classmethod
    def of(
        cls,
        roles: Mapping[str, str] | None = None,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        classes: int | None = None,
        model: bool = True,
    ) -> AuditSettings:
        return cls(tuple(sorted((roles or {}).items())), tuple(select or ()), tuple(ignore or ()), classes, model)

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> AuditSettings:
        """The settings from ``curvescope audit``'s options (``--role val_loss=x --classes 10 ...``);
        ``InvalidParameterError`` naming what is wrong."""
        parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
        parser.add_argument("--role", action="append", default=[])
        parser.add_argument("--select", action="append", default=[])
        parser.add_argument("--ignore", action="append", default=[])
        parser.add_argument("--classes", type=int)
        parser.add_argument("--no-model", action="store_true")
        try:
            parsed, unknown = parser.parse_known_args(list(argv))
        except (argparse.ArgumentError, SystemExit) as error:
            raise InvalidParameterError(f"The audit's options: {error}") from None
        if unknown:
            raise InvalidParameterError(f"The audit's options: unknown {' '.join(unknown)!r}.")
        if parsed.classes is not None and parsed.classes < 2:
            raise InvalidParameterError(f"--classes takes a number of classes of 2 or more. Got {parsed.classes}.")
        return cls.of(
            parse_roles(parsed.role), parse_codes(parsed.select), parse_codes(parsed.ignore), parsed.classes, not parsed.no_model
        )

    def to_argv(self) -> list[str]:
        """The options that ``from_argv`` reads back into these settings."""
        argv = [part for role, tag in self.roles for part in ("--role", f"{role}={tag}")]
        argv += [part for code in self.select for part in ("--select", code)]
        argv += [part for code in self.ignore for part in ("--ignore", code)]
        argv += ["--classes", str(self.classes)] if self.classes is not None else []
        return argv + ([] if self.model else ["--no-model"])

    def with_roles(self, roles: Mapping[str, str]) -> AuditSettings:
        """These settings with ``roles`` as the role tags (an empty mapping: each run's own choice)."""
        return replace(self, roles=tuple(sorted(roles.items())))

    def audit_options(self) -> dict[str, Any]:
        """The keyword arguments of ``curvescope.audit`` these settings stand for."""
        return {
            "roles": dict(self.roles) or None,
            "select": list(self.select) or None,
            "ignore": list(self.ignore) or None,
            "classes": self.classes,
            "model": self.model,
        }

    def describe(self) -> str:
        """The settings in words, ``""`` when they are the defaults."""
        parts = [f"{role} from {tag}" for role, tag in self.roles]
        parts += [f"only rules {', '.join(self.select)}"] if self.select else []
        parts += [f"without rules {', '.join(self.ignore)}"] if self.ignore else []
        parts += [f"{self.classes} classes"] if self.classes is not None else []
        parts += [] if self.model else ["rules alone (no model)"]
        return "; ".join(parts)
