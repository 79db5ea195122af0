"""TensorBoard event files: the reader of ``events.out.tfevents.*`` logs.

``records`` cuts files into checked records (``walk`` finds them, ``crc`` checks them),
``fast`` decodes them with numpy (``layout`` reads records that repeat one layout at fixed
offsets; ``slow``, the protobuf decoder, takes what ``fast`` does not recognise), and
``batch`` applies TensorBoard's rule for which values are scalars and builds one frame for
many runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from ..base import BatchRead, FormatRow, RunRead
from .batch import read_batch, resume_run

KERAS_SPLITS = frozenset({"train", "validation", "eval", "test", "val", "valid"})
"""Folders the Keras TensorBoard callback (and others) write one run's splits into."""


class TensorBoardReader:
    """Reads TensorBoard event files; a run is the directory holding them."""

    name: ClassVar[str] = "tensorboard"
    per_file: ClassVar[bool] = False
    row: ClassVar[FormatRow] = FormatRow(
        "TensorBoard event files: TF1 `simple_value`, TF2/Keras tensor scalars (plugin `scalars`), PyTorch `SummaryWriter`, "
        "tensorboardX, Lightning",
        "file name contains `tfevents`",
        "the directory; Keras's `run/train/` + `run/validation/` is one run with tags `train/…` and `validation/…`; several "
        "event files in one directory (restarts) are merged in order; hparams become the run's hyperparameters",
    )

    def sniff(self, path: Path) -> bool:
        """Event files are named ``*tfevents*``; profiler placeholders are not logs (as in TensorBoard)."""
        name = Path(path).name
        return "tfevents" in name and ".profile-empty" not in name

    def run_path(self, path: Path) -> Path:
        """The file's directory, or its parent for the Keras ``run/train``, ``run/validation`` layout."""
        folder = Path(path).parent
        if folder.name.lower() in KERAS_SPLITS and folder.parent != folder:
            return folder.parent
        return folder

    def read(self, run_path: Path, files: Sequence[Path]) -> RunRead:
        """Every scalar of the run, with tags from a split folder prefixed by it (``validation/epoch_loss``)."""
        return _one_run(read_batch([(Path(run_path), files)]))

    def read_batch(self, runs: Sequence[tuple[Path, Sequence[Path]]]) -> BatchRead:
        """Every scalar of each ``(run_path, files)``, as ``read`` reads it, in one pass over all the files."""
        return read_batch(runs)

    def resume(self, run_path: Path, files: Sequence[Path], earlier: RunRead) -> RunRead | None:
        """The run as ``read`` reads it now, from ``earlier`` and the records written since."""
        return resume_run(Path(run_path), files, earlier)


def read_event_file(path: Path | str, *, verify_crc: bool = True, fast: bool = True) -> RunRead:
    """One event file read on its own: ``fast=False`` uses the protobuf decoder throughout."""
    path = Path(path)
    return _one_run(read_batch([(path.parent, [path])], verify_crc=verify_crc, fast=fast))


def _one_run(batch: BatchRead) -> RunRead:
    return RunRead(batch.scalars.drop(columns="part"), batch.findings[0], batch.hparams[0], batch.resume[0])


__all__ = ["KERAS_SPLITS", "TensorBoardReader", "read_event_file"]
