"""The key numbers of a run: what a person looks up first, in every report format."""

from __future__ import annotations

from collections.abc import Mapping

from ..features.events import Curve, Event

NUMBERS = (
    "best_val_step",
    "best_val_loss",
    "final_train_loss",
    "final_val_loss",
    "final_train_acc",
    "final_val_acc",
    "last_step",
)
"""Key numbers of a run, as ``RunReport.numbers`` and ``Report.to_frame`` give them (None when not logged)."""


def key_numbers(curves: Mapping[str, Curve], events: tuple[Event, ...]) -> dict[str, float | int | None]:
    """The numbers a person looks up first: best validation step and value, final losses and accuracies."""
    numbers: dict[str, float | int | None] = dict.fromkeys(NUMBERS)
    best = next((e for e in events if e.kind == "best_step"), None)
    if best is not None:
        numbers["best_val_step"] = best.end_step
        numbers["best_val_loss"] = best.magnitude if best.role == "val_loss" else None
    for role, name in (
        ("train_loss", "final_train_loss"),
        ("val_loss", "final_val_loss"),
        ("train_acc", "final_train_acc"),
        ("val_acc", "final_val_acc"),
    ):
        curve = curves.get(role)
        finite = curve.finite() if curve is not None else None
        if finite is not None and len(finite):
            numbers[name] = float(finite.values[-1])
    steps = [int(c.steps[-1]) for c in curves.values() if len(c)]
    numbers["last_step"] = max(steps) if steps else None
    return numbers
