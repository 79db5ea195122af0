"""TensorBoard event files: the reader of ``events.out.tfevents.*`` logs.

``records`` cuts a file into checked records, ``fast`` decodes them with numpy (``slow``, the
protobuf decoder, takes what ``fast`` does not recognise), ``run`` applies TensorBoard's
rule for which values are scalars and builds the run's frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from ..base import RunRead
from .run import read_run

KERAS_SPLITS = frozenset({"train", "validation", "eval", "test", "val", "valid"})
"""Folders the Keras TensorBoard callback (and others) write one run's splits into."""


class TensorBoardReader:
    """Reads TensorBoard event files; a run is the directory holding them."""

    name: ClassVar[str] = "tensorboard"
    per_file: ClassVar[bool] = False

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
        return read_run(run_path, files)


def read_event_file(path: Path | str, *, verify_crc: bool = True, fast: bool = True) -> RunRead:
    """One event file read on its own: ``fast=False`` uses the protobuf decoder throughout."""
    path = Path(path)
    return read_run(path.parent, [path], verify_crc=verify_crc, fast=fast)


__all__ = ["KERAS_SPLITS", "TensorBoardReader", "read_event_file"]
