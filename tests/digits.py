"""The numbers the digits runs' training logged, stored in ``tests/digits_written.json``.

``fixtures/make_digits.py`` (and ``fixtures/make_event_fixtures.py``, for the LR range test) train a
small MLP and write what it logged into ``fixtures/digits/`` and ``fixtures/events/``. The reading and
feature tests compare what curvescope reads there with these stored numbers instead of training the
runs again each time; ``test_the_stored_numbers_are_what_the_training_logs`` (slow) trains them again
to prove the numbers still are the generator's. After changing the generator, rewrite them with

    python -m tests.digits
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType, SimpleNamespace

from tests.conftest import FIXTURES

STORED = Path(__file__).with_name("digits_written.json")
START = 1_700_000_000.0  # the generator's wall clock at step 0 (``make_digits.START``), 0.05 s later each step

# Each run the tests check, as the generators train it, and the curves of its log the tests use.
RUNS = {
    "healthy": ({"lr": 0.1, "weight_decay": 1e-4}, ("step", "loss", "epoch_step", "val_loss")),
    "bad_init": ({"lr": 0.05, "weight_scale": 12.0}, ("epoch_loss", "val_loss")),
    "overfitting": ({"lr": 0.5, "hidden": 512, "train_size": 100, "epochs": 200}, ("val_loss",)),
    "underfitting": ({"lr": 0.002, "hidden": 8}, ("step", "loss")),
    "decay_too_early": ({"lr": 0.05, "decay_epoch": 3}, ("step", "lr")),
    "lr_range_test": ({"lr": 0.05, "lr_growth": 2.0, "epochs": 14}, ("step", "loss")),
}


@cache
def generator() -> ModuleType:
    """``fixtures/make_digits.py``, the generator of the digits runs."""
    spec = importlib.util.spec_from_file_location("make_digits", FIXTURES / "make_digits.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def train_again(name: str) -> dict[str, list]:
    """Train run ``name`` again, as the generator does, and keep the curves the tests use."""
    make = generator()
    recipe, fields = RUNS[name]
    log = make.train(make.Recipe(name, **recipe))
    return {field: getattr(log, field) for field in fields}


@cache
def _stored() -> dict[str, dict[str, list]]:
    return json.loads(STORED.read_text())


def written(name: str) -> SimpleNamespace:
    """The stored curves of run ``name``: ``.step``, ``.loss``, ... (those listed in ``RUNS``)."""
    return SimpleNamespace(**_stored()[name])


def main() -> None:
    """Write every run's curves, a curve a line, so that a change shows in a diff."""
    runs = []
    for name in RUNS:
        curves = ",\n".join(f"    {json.dumps(field)}: {json.dumps(curve)}" for field, curve in train_again(name).items())
        runs.append(f"  {json.dumps(name)}: {{\n{curves}\n  }}")
    STORED.write_text("{\n" + ",\n".join(runs) + "\n}\n")
    print(f"wrote {STORED}")


if __name__ == "__main__":
    main()
