"""``curvescope.audit``: the one code path from logs to a report, used by the API, the CLI and the app."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from .diagnose import LABELS, LearnedModel, diagnose, shipped_model
from .diagnose import select as select_rules
from .diagnose.engine import contexts
from .errors import InvalidParameterError
from .features.extract import features, role_curves
from .read import ReadResult, read, read_all, read_frame
from .report import Report, RunReport, key_numbers
from .roles import RoleOverrides
from .version import __version__

Source = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | pd.DataFrame | ReadResult
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stages ``reading``, ``measuring`` and ``diagnosing``."""


def audit(source: Source, *, roles: RoleOverrides | None = None, select: Sequence[str] | None = None,
          ignore: Sequence[str] | None = None, classes: int | Mapping[str, int] | None = None,
          model: bool | str | os.PathLike[str] | LearnedModel = True, jobs: int | None = None,
          strict: bool = False, progress: Progress | None = None) -> Report:
    """Read every run below ``source``, measure it, diagnose it and report.

    ``source`` is a log directory or file, a list of them (runs are then named by the path they
    were found under), a tidy frame (columns ``run, tag, step, value``) or a ``ReadResult``.
    ``select`` / ``ignore`` pick rules by code prefix (``["CS2", "CS401"]``).
    ``classes`` is the number of classes (or a mapping of run name to it), for the first-loss
    check: without it, it is inferred from a first accuracy at chance level, when there is one.
    ``model`` is ``True`` for the learned model that ships with curvescope, ``False`` for the
    rules alone, or a path to (or an instance of) a model trained with ``curvescope train``.
    ``jobs`` measures runs in that many processes (``-1``: one per core). ``strict`` re-raises a
    rule's error instead of reporting it as a rule failure. ``progress`` is told how far it got.

    >>> report = curvescope.audit("fixtures/demo")              # doctest: +SKIP
    >>> report.to_frame()[["run", "labels", "confidence"]]      # doctest: +SKIP
    >>> report["keras/wine-mlp-tanh-sgd"].diagnosis.verdicts[0].evidence   # doctest: +SKIP
    >>> report.to_html("audit.html")                            # doctest: +SKIP
    """
    counts = classes.values() if isinstance(classes, Mapping) else [] if classes is None else [classes]
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 2 for c in counts):
        raise InvalidParameterError(
            f"The 'classes' parameter of audit must be an int >= 2 or a mapping of run names to such ints. "
            f"Got {classes!r} instead.")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or (jobs < 1 and jobs != -1)):
        raise InvalidParameterError(f"The 'jobs' parameter of audit must be an int >= 1 or -1. Got {jobs!r} instead.")
    tell = progress or (lambda stage, done, total: None)
    rules = select_rules(select, ignore)
    learned, model_findings = _model(model)
    tell("reading", 0, 0)
    reading = _read(source, roles)
    curves = role_curves(reading.scalars)
    workers = (os.cpu_count() or 1) if jobs == -1 else (jobs or 1)
    table = features(reading, classes=classes, curves=curves, jobs=workers,
                     progress=lambda done, total: tell("measuring", done, total))
    tell("diagnosing", 0, len(reading.runs))
    diagnosed = diagnose(contexts(table, curves), table.frame, rules, learned, strict=strict)
    tell("diagnosing", len(reading.runs), len(reading.runs))
    by_run: dict[str, list] = {}
    for item in reading.findings:
        by_run.setdefault(item.run or "", []).append(item)
    runs = tuple(
        RunReport(d.run, d, key_numbers(curves.get(d.run, {}), table.events[d.run]),
                  {k: float(v) for k, v in table.frame.loc[d.run].drop("schedule").items()},
                  table.events[d.run], tuple(by_run.get(d.run, ())), reading.formats.get(d.run, ()),
                  dict(reading.hparams.get(d.run, {})), dict(curves.get(d.run, {})))
        for d in diagnosed)
    settings = {"curvescope": __version__, "rules": [rule.code for rule in rules],
                "parameters": {rule.code: rule.get_params() for rule in rules},
                "model": None if learned is None else learned.trained_on or "custom",
                "classes": dict(classes) if isinstance(classes, Mapping) else classes}
    return Report(runs, (*model_findings, *reading.findings), settings, reading)


def _read(source: Source, roles: RoleOverrides | None) -> ReadResult:
    if isinstance(source, ReadResult):
        return source
    if isinstance(source, pd.DataFrame):
        return read_frame(source, roles=roles)
    if isinstance(source, str | os.PathLike):
        return read(source, roles=roles)
    if isinstance(source, Sequence) and source and all(isinstance(path, str | os.PathLike) for path in source):
        return read_all(source, roles=roles)
    raise InvalidParameterError(f"The 'source' parameter of audit must be a path, a list of paths, a DataFrame or a "
                                f"ReadResult. Got {type(source).__name__} instead.")


def _model(model) -> tuple[LearnedModel | None, tuple]:
    if model is False:
        return None, ()
    if model is True:
        return shipped_model()
    if isinstance(model, LearnedModel):
        loaded, findings = model, ()
    elif isinstance(model, str | os.PathLike):
        loaded, found = LearnedModel.load(Path(model))
        findings = tuple(found)
    else:
        raise InvalidParameterError(
            f"The 'model' parameter of audit must be a bool, a path or a LearnedModel. Got {type(model).__name__} instead.")
    if tuple(loaded.labels) != LABELS:
        raise InvalidParameterError(f"The 'model' parameter of audit must predict {', '.join(LABELS)}. "
                                    f"Got a model of {', '.join(loaded.labels)} instead.")
    return loaded, findings
