"""Ray Tune trial directories: ``result.json``, ``progress.csv``, ``params.json``.

Ray writes every reported result twice: as a JSON line in ``result.json`` and as a row of
``progress.csv``. This reader reads ``result.json`` when it has results, because it is the
complete record: ``progress.csv`` keeps only the columns of the first result (a metric first
reported later is dropped) and its cells are text. ``progress.csv`` is read only when
``result.json`` is missing or holds nothing; the file not read is named in an info finding, so
no point is counted twice. The step is ``training_iteration``; ``timestamp`` is the wall time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..findings import Finding, finding
from .base import FormatRow, RunRead
from .jsonlogs import load_json, parse_json_lines, read_records
from .lines import read_wide
from .tables import first_line_holds, flatten

STEP = "training_iteration"
_RESULTS = ("result.json", "progress.csv")
_PARAMS = ("params.json", "params.pkl")


_STEP_NAMED = re.compile(STEP)


def _is_results(path: Path) -> bool:
    """A trial's ``result.json`` or ``progress.csv``: its first line names the step, however long
    the line (every result line embeds the trial's config, often before the step)."""
    return path.name in _RESULTS and first_line_holds(path, _STEP_NAMED)


class RayTuneReader:
    """A Ray Tune trial: results as curves, ``params.json`` (or the results' ``config``) as hparams."""

    name: ClassVar[str] = "raytune"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "Ray Tune trial",
        "`result.json` / `progress.csv` with `training_iteration`",
        "the trial directory; `params.json` become hyperparameters",
    )

    def sniff(self, path: Path) -> bool:
        if path.name in _PARAMS:
            return any(_is_results(path.parent / name) for name in _RESULTS)
        return _is_results(path)

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        by_name = {path.name: path for path in files}
        findings: list[Finding] = []
        config: Any = None
        result = RunRead()
        if "result.json" in by_name:
            records, lines, findings = parse_json_lines(by_name["result.json"])
            config = next((record.get("config") for record in records if "config" in record), None)
            metrics = [{key: value for key, value in record.items() if key != "config"} for record in records]
            if metrics:
                result = read_records(metrics, lines, str(by_name["result.json"]), step_key=STEP)
        if "progress.csv" in by_name:
            if len(result.scalars):
                findings.append(
                    finding(
                        "ignored-file",
                        "progress.csv was not read: result.json, which was read, holds the same results.",
                        source=str(by_name["progress.csv"]),
                    )
                )
            else:
                result = read_wide(by_name["progress.csv"], STEP)
        hparams, problems = self._hparams(by_name.get("params.json"), config)
        return RunRead(result.scalars, findings + result.findings + problems, hparams)

    @staticmethod
    def _hparams(path: Path | None, config: Any) -> tuple[dict[str, Any], list[Finding]]:
        """The trial's config, flattened with ``/``: from ``params.json``, else from the results."""
        findings: list[Finding] = []
        if path is not None:
            params, findings = load_json(path)
            if isinstance(params, dict):
                return flatten(params), findings
            if params is not None:
                findings.append(finding("unreadable-file", "params.json does not hold an object.", source=str(path)))
        return (flatten(config) if isinstance(config, dict) else {}), findings
