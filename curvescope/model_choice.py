"""Which learned model an audit uses, and loading it only when a run has to be judged.

A model named by file (the shipped one, or one from ``curvescope train``) is kept in the cache
as a pickle beside a note of its name and findings: a warm audit, whose runs all come from the
cache, reads the note and never imports scikit-learn; a cold one unpickles the model in
milliseconds instead of rebuilding every tree from the skops file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from .diagnose import LABELS, LearnedModel, shipped_model
from .diagnose import learned as learned_model
from .diagnose.labels import unknown_to_model
from .errors import InvalidParameterError
from .findings import Finding
from .scale.cache import Cache, identities


@dataclass
class ModelChoice:
    """The model of one audit: its name and findings now, the model itself when first asked for."""

    name: str | None
    findings: tuple[Finding, ...]
    identity: object | None
    """What a cached report's model depends on; None when nothing identifies it (a model object)."""
    _load: Callable[[], LearnedModel | None] = field(repr=False, default=lambda: None)
    _loaded: list = field(default_factory=list, repr=False)

    def get(self) -> LearnedModel | None:
        if not self._loaded:
            self._loaded.append(self._load())
        return self._loaded[0]


def choose(model, store: Cache | None) -> ModelChoice:
    """The model ``audit(model=...)`` names: True (shipped), False (rules alone), a path or an instance."""
    if model is False:
        return ModelChoice(None, (), "rules alone")
    if model is True:
        path = learned_model.shipped_model_path()
        return _from_file(path, store, _shipped, "shipped")
    if isinstance(model, LearnedModel):
        _check_labels(model)
        return ModelChoice(model.trained_on or "custom", (), None, lambda: model)
    if isinstance(model, str | os.PathLike):
        return _from_file(Path(model), store, lambda: _load_checked(Path(model)), "file")
    raise InvalidParameterError(
        f"The 'model' parameter of audit must be a bool, a path or a LearnedModel. Got {type(model).__name__} instead."
    )


_SHIPPING = threading.Lock()


def _shipped() -> tuple[LearnedModel | None, tuple[Finding, ...]]:
    """The shipped model, loaded once however many threads ask at once (a server warming up, its first audit)."""
    with _SHIPPING:
        return shipped_model()


def _from_file(path: Path, store: Cache | None, load, kind: str) -> ModelChoice:
    identity = (identities([os.path.abspath(path)])[0], version("scikit-learn"))
    key = os.path.abspath(path)
    about = store.get("models", f"about|{key}") if store is not None else None
    if about is not None and about[0] == identity:
        name, findings = about[1]
        return ModelChoice(name, findings, (kind, identity), lambda: _unpickled(path, store, key, identity, load))
    loaded, findings = load()
    name = None if loaded is None else loaded.trained_on or "custom"
    if store is not None and loaded is not None:
        store.put_many("models", [(f"model|{key}", identity, (loaded, findings)), (f"about|{key}", identity, (name, findings))])
    return ModelChoice(name, findings, (kind, identity), lambda: loaded)


def _unpickled(path: Path, store: Cache, key: str, identity, load) -> LearnedModel | None:
    entry = store.get("models", f"model|{key}")
    if entry is not None and entry[0] == identity:
        return entry[1][0]
    return load()[0]


def _load_checked(path: Path) -> tuple[LearnedModel, tuple[Finding, ...]]:
    loaded, found = LearnedModel.load(path)
    _check_labels(loaded)
    return loaded, tuple(found)


def _check_labels(model: LearnedModel) -> None:
    if unknown_to_model(model.labels):
        raise InvalidParameterError(
            f"The 'model' parameter of audit must predict labels among {', '.join(LABELS)}, healthy included. "
            f"Got a model of {', '.join(model.labels)} instead."
        )
