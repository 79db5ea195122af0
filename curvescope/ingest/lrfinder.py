"""An LR finder's history saved as JSON: ``{"lr": [...], "loss": [...]}``.

torch-lr-finder's ``LRFinder.history`` and Lightning's ``Tuner.lr_find(...).results`` are this dict
(fastai's ``learn.recorder.lrs`` and ``losses`` make it too); ``json.dump`` is how they are kept. The
point's index is its step. Both tools log the loss already smoothed (an exponential moving average).
Other lists of numbers as long as ``lr`` stay tags.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..findings import Finding, finding
from ..schema import empty_reader_frame, reader_frame
from .base import FormatRow, RunRead
from .jsonlogs import load_json
from .tables import concat_frames

_HEAD = 4096
_LIST_KEY = re.compile(r'"(lr|loss)"\s*:\s*\[')


class LRFinderJSONReader:
    """An LR finder's ``{"lr": [...], "loss": [...]}`` saved with ``json.dump``: one run per file."""

    name: ClassVar[str] = "lr_finder_json"
    per_file: ClassVar[bool] = True
    row: ClassVar[FormatRow] = FormatRow(
        "LR finder history saved as JSON: torch-lr-finder's `LRFinder.history`, Lightning's `lr_finder.results`",
        "a `.json` file holding one object with `lr` and `loss` lists",
        "the directory, or the file; a point's index is its step",
    )

    def sniff(self, path: Path) -> bool:
        if path.suffix.lower() != ".json":
            return False
        try:
            with open(path, "rb") as handle:
                head = handle.read(_HEAD).decode("utf-8", errors="replace")
        except OSError:
            return False
        return head.lstrip().startswith("{") and {match.group(1) for match in _LIST_KEY.finditer(head)} == {"lr", "loss"}

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        frames, findings = [], []
        for path in files:
            frame, problems = _read_history(path)
            frames.append(frame)
            findings += problems
        return RunRead(concat_frames(frames) if frames else empty_reader_frame(), findings)


def _read_history(path: Path) -> tuple[Any, list[Finding]]:
    source = str(path)
    data, findings = load_json(path)
    if data is None:
        return empty_reader_frame(), findings
    if not isinstance(data, dict) or not isinstance(data.get("lr"), list) or not isinstance(data.get("loss"), list):
        return empty_reader_frame(), [finding("unreadable-file", "The file holds no 'lr' and 'loss' lists.", source=source)]
    length = len(data["lr"])
    if len(data["loss"]) != length:
        shorter = min(length, len(data["loss"]))
        findings.append(
            finding(
                "truncated-record",
                f"'lr' holds {length} values and 'loss' {len(data['loss'])}; the first {shorter} of each were read.",
                source=source,
            )
        )
        length = shorter
    tags, steps, values = [], [], []
    skipped = 0
    for key, series in data.items():
        if not isinstance(series, list) or len(series) < length or (key not in ("lr", "loss") and len(series) != length):
            continue
        numbers = np.array([_number(v) for v in series[:length]], dtype=np.float64)
        skipped += int(np.isnan(numbers).sum() - sum(isinstance(v, float) and math.isnan(v) for v in series[:length]))
        tags += [str(key)] * length
        steps.append(np.arange(length))
        values.append(numbers)
    if skipped:
        findings.append(
            finding(
                "unsupported-value",
                f"{skipped} values are not numbers; they were read as NaN.",
                source=source,
                count=skipped,
            )
        )
    step = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    value = np.concatenate(values) if values else np.zeros(0)
    return reader_frame(tags, step, np.full(len(step), np.nan), value, source), findings


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)
