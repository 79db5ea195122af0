"""CSV training logs: Keras's and Lightning's ``CSVLogger``, wide CSVs with a step column, long CSVs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..findings import finding
from ..schema import categorical, reader_frame
from .base import FormatRow, RunRead
from .lines import read_wide, resume_each, resume_wide
from .separators import table_header
from .tables import (
    Table,
    find_step_column,
    first_line,
    is_empty,
    lines_text,
    looks_like_metric,
    normalised,
    read_csv_text,
    read_each,
    read_yaml_hparams,
    valid_steps,
)


class KerasCSVReader:
    """Keras's ``CSVLogger`` (``training.log`` by default): an ``epoch`` column, then the
    metrics in sorted order (``acc, loss, val_acc, val_loss``), ``NA`` where a metric is missing.
    A run resumed with ``append=True`` repeats epochs; every row is kept."""

    name: ClassVar[str] = "keras_csv"
    per_file: ClassVar[bool] = True
    row: ClassVar[FormatRow] = FormatRow(
        "Keras `CSVLogger`", "CSV header starting with `epoch`", "the directory, or the file when several share a folder"
    )
    step_column: ClassVar[str] = "epoch"

    def sniff(self, path: Path) -> bool:
        header = table_header(path)
        names = header.names
        return len(names) > 1 and first_line(path).startswith(f"epoch{header.sep}") and find_step_column(names[1:]) is None

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        return read_each(lambda path: read_wide(path, self.step_column), files)

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        return resume_each(partial(resume_wide, step_column=self.step_column), files, earlier)


class UltralyticsCSVReader(KerasCSVReader):
    """Ultralytics YOLO's ``results.csv`` (yolov5, v8, 11): one row per epoch, losses as
    ``train/box_loss``, ``val/box_loss`` ..., metrics as ``metrics/mAP50(B)``, learning rates as
    ``lr/pg0`` or ``x/lr0``. yolov5 and v8 pad the names with spaces; they are read stripped.
    Read as a Keras CSV log is (one row per epoch); only how it is recognised differs."""

    name: ClassVar[str] = "ultralytics"
    row: ClassVar[FormatRow] = FormatRow(
        "Ultralytics YOLO `results.csv` (yolov5, v8, 11)",
        "file name, `epoch` first, `train/…` and `metrics/…` columns (space-padded or not)",
        "the directory, or the file",
    )

    def sniff(self, path: Path) -> bool:
        if path.name != "results.csv":
            return False
        names = table_header(path).names
        return bool(names) and normalised(names[0]) == "epoch" and {"train", "metrics"} <= {name.split("/")[0] for name in names}


class TimmCSVReader(KerasCSVReader):
    """timm's ``summary.csv`` (``train.py`` writes it in ``output/train/<experiment>/``): one row
    per epoch, ``epoch`` first, then the training metrics as ``train_loss`` and the evaluation ones
    as ``eval_loss``, ``eval_top1``, ``eval_top5``, and (in recent versions) ``lr``. Read as a Keras
    CSV log is; only how it is recognised differs."""

    name: ClassVar[str] = "timm"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "timm `summary.csv` (+ `args.yaml`)",
        "file name, `epoch` first, `train_…` and `eval_…` columns",
        "the directory (`output/train/<experiment>/`); `args.yaml` becomes hyperparameters",
    )

    def sniff(self, path: Path) -> bool:
        if path.name == "args.yaml":
            return self.sniff(path.parent / "summary.csv")
        if path.name != "summary.csv":
            return False
        names = [normalised(name) for name in table_header(path).names]
        return bool(names) and names[0] == "epoch" and {"train", "eval"} <= {name.split("_")[0] for name in names}

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        return _with_yaml_hparams(super().read(run_path, _csv(files)), files, "args.yaml")

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        result = super().resume(run_path, _csv(files), earlier)
        return None if result is None else _with_yaml_hparams(result, files, "args.yaml")


def _csv(files: Sequence[Path]) -> list[Path]:
    return [path for path in files if path.suffix == ".csv"]


class StableBaselinesCSVReader(KerasCSVReader):
    """stable-baselines3's ``progress.csv``: one row per logger dump, the metrics named by group
    (``rollout/ep_rew_mean``, ``train/loss``, ``eval/mean_reward``, ``time/fps``). The step is
    ``time/total_timesteps``, the environment steps taken; an evaluation callback's rows hold only
    ``eval/…`` and the step, and leave the other cells empty."""

    name: ClassVar[str] = "stable_baselines3"
    row: ClassVar[FormatRow] = FormatRow(
        "stable-baselines3 `progress.csv`",
        "file name and a `time/total_timesteps` column (the step)",
        "the directory, or the file when several share a folder; beside the event file of the same logger, only that is read",
    )
    step_column: ClassVar[str] = "time/total_timesteps"

    def sniff(self, path: Path) -> bool:
        return path.name == "progress.csv" and self.step_column in table_header(path).names

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        """The ``progress.csv`` files, but not one beside an event file: stable-baselines3 logging to
        both (``configure(folder, ["csv", "tensorboard"])``) writes the same points to each, and the
        event file, which has their wall times, is read (it leaves out a few counters, such as
        ``time/iterations``)."""
        doubled = [path for path in files if _beside_event_file(path)]
        result = super().read(run_path, [path for path in files if path not in doubled])
        result.findings.extend(
            finding(
                "ignored-file",
                "progress.csv was not read: stable-baselines3 wrote the same points to the event file beside it, which was read.",
                source=str(path),
            )
            for path in doubled
        )
        return result

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        return None if any(_beside_event_file(path) for path in files) else super().resume(run_path, files, earlier)


def _beside_event_file(path: Path) -> bool:
    """Whether a TensorBoard event file shares ``path``'s folder."""
    try:
        return any("tfevents" in entry.name for entry in path.parent.iterdir() if entry.is_file())
    except OSError:
        return False


class LightningCSVReader:
    """Lightning's ``CSVLogger``: ``lightning_logs/version_N/metrics.csv`` and ``hparams.yaml``.

    Each ``log_metrics`` call is one row at its ``step``, so train and validation metrics sit on
    separate sparse rows; each written cell is one point. ``epoch`` is a tag, as in Lightning's
    TensorBoard logger (it is written on every row, so it repeats at steps with several rows).
    """

    name: ClassVar[str] = "lightning_csv"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "Lightning `CSVLogger` `metrics.csv` (+ `hparams.yaml`)",
        "file name and `step` column",
        "the directory (`lightning_logs/version_N`)",
    )

    def sniff(self, path: Path) -> bool:
        if path.name == "hparams.yaml":
            return (path.parent / "metrics.csv").is_file() and self._is_metrics(path.parent / "metrics.csv")
        return path.name == "metrics.csv" and self._is_metrics(path)

    @staticmethod
    def _is_metrics(path: Path) -> bool:
        return "step" in table_header(path).names

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        return _with_yaml_hparams(read_each(lambda path: read_wide(path, "step"), self._metrics(files)), files, "hparams.yaml")

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        """Metrics read on where ``earlier`` stopped; ``hparams.yaml``, a small file Lightning rewrites, read anew."""
        result = resume_each(partial(resume_wide, step_column="step"), self._metrics(files), earlier)
        return None if result is None else _with_yaml_hparams(result, files, "hparams.yaml")

    @staticmethod
    def _metrics(files: Sequence[Path]) -> list[Path]:
        return [path for path in files if path.name == "metrics.csv"]


def _with_yaml_hparams(result: RunRead, files: Sequence[Path], name: str) -> RunRead:
    """``result`` with the hyperparameters of the run's YAML file called ``name``."""
    for path in files:
        if path.name == name:
            hparams, findings = read_yaml_hparams(path)
            result.hparams.update(hparams)
            result.findings.extend(findings)
    return result


class GenericCSVReader:
    """Any wide CSV with a step-like column (``step``, ``epoch``, ``TimestepsSoFar`` ...) or
    metric-like columns: baselines' ``progress.csv``, a hand-written log.
    A ``wall_time``/``timestamp``/``time`` column of epoch seconds (or ms) is the wall time;
    elapsed times (``TimeElapsed``) stay tags."""

    name: ClassVar[str] = "csv"
    per_file: ClassVar[bool] = True
    row: ClassVar[FormatRow] = FormatRow(
        "generic wide CSV",
        "a step-like column (`_step`, `iteration`, `time/total_timesteps`, pandas' unnamed index ...) and numeric metric columns",
        "the directory, or the file",
    )

    def sniff(self, path: Path) -> bool:
        if path.suffix.lower() not in {".csv", ".tsv"}:
            return False
        if is_empty(path):
            return True
        names = table_header(path).names
        return find_step_column(names) is not None or any(looks_like_metric(name) for name in names)

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        return read_each(lambda path: read_wide(path, None), files)

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        return resume_each(partial(resume_wide, step_column=None), files, earlier)


LONG_COLUMNS = ("step", "tag", "value")


class LongCSVReader:
    """A long CSV: one point a row, columns ``step, tag, value`` and optionally ``wall_time``
    and ``run`` (then the frame has a ``run`` column naming the sub-runs of the file)."""

    name: ClassVar[str] = "long_csv"
    per_file: ClassVar[bool] = True
    row: ClassVar[FormatRow] = FormatRow(
        "long CSV", "columns `step, tag, value` (+ optional `run`, `wall_time`)", "the file, or the `run` column's runs"
    )

    def sniff(self, path: Path) -> bool:
        names = {normalised(name) for name in table_header(path).names}
        return path.suffix.lower() in {".csv", ".tsv"} and set(LONG_COLUMNS) <= names

    def run_path(self, path: Path) -> Path:
        return path.parent

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        return read_each(self._read_file, files)

    def _read_file(self, path: Path) -> RunRead:
        source = str(path)
        header = table_header(path)
        cells, lines, findings = read_csv_text(path, header.sep)
        if header.doubt:
            findings.append(finding("unparseable-cells", header.doubt, source=source))
        if cells is None or len(cells) < 2:
            if cells is not None:
                findings.append(finding("empty-file", "The file holds only a header, no rows.", source=source))
            return RunRead(findings=findings)
        header = [normalised(str(name).lstrip("\ufeff")) for name in cells.iloc[0]]
        body, lines = cells.iloc[1:], lines[1:]
        if not set(LONG_COLUMNS) <= set(header):
            findings.append(
                finding(
                    "unreadable-file",
                    f"A long CSV needs columns step, tag, value (found: {', '.join(header)}).",
                    source=source,
                )
            )
            return RunRead(findings=findings)
        text = {name: body.iloc[:, header.index(name)] for name in header if name}
        numbers = [name for name in ("step", "value", "wall_time") if name in text]
        table = Table.from_text(pd.DataFrame({name: text[name] for name in numbers}), numbers, lines)
        tags = text["tag"].str.strip()
        has_step = table.numeric[:, 0] & valid_steps(table.values[:, 0])
        written = np.logical_or.reduce([column.str.strip().ne("").to_numpy() for column in text.values()])
        problems = {
            "have no usable step": written & ~has_step,
            "have no number in column 'value'": has_step & ~table.numeric[:, 1],
            "have no tag": has_step & table.numeric[:, 1] & tags.eq("").to_numpy(),
        }
        for problem, rows in problems.items():
            if rows.any():
                findings.append(
                    finding(
                        "unparseable-cells",
                        f"{int(rows.sum())} rows {problem} ({lines_text(lines[rows])}); they were left out.",
                        source=source,
                        count=int(rows.sum()),
                    )
                )
        keep = has_step & table.numeric[:, 1] & tags.ne("").to_numpy()
        wall_times = (
            np.where(table.numeric[:, 2], table.values[:, 2], np.nan) if "wall_time" in text else np.full(len(lines), np.nan)
        )
        frame = reader_frame(tags.to_numpy()[keep], table.values[keep, 0], wall_times[keep], table.values[keep, 1], source)
        if "run" in text:
            frame.insert(0, "run", categorical(text["run"].str.strip().to_numpy()[keep]))
        return RunRead(frame, findings)
