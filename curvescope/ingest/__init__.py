"""Ingest: every supported log format read into the tidy scalars frame.

The built-in readers are registered here, in sniffing order: the most specific claim first
(a Ray Tune ``progress.csv`` before any CSV, a Lightning ``metrics.csv`` before a generic
wide CSV), so that each file goes to the reader that knows its format best.
"""

from .base import Reader, RunRead, readers, register_reader
from .csvlogs import (
    GenericCSVReader,
    KerasCSVReader,
    LightningCSVReader,
    LongCSVReader,
    StableBaselinesCSVReader,
    TimmCSVReader,
    UltralyticsCSVReader,
)
from .jsonlogs import JSONLinesReader, TrainerStateReader, WandbHistoryReader
from .lrfinder import LRFinderJSONReader
from .mlflow import MLflowReader
from .openmmlab import OpenMMLabReader
from .raytune import RayTuneReader
from .sacred import SacredReader
from .tensorboard import TensorBoardReader

BUILTIN_READERS = (
    TensorBoardReader(),
    RayTuneReader(),
    StableBaselinesCSVReader(),
    MLflowReader(),
    SacredReader(),
    TrainerStateReader(),
    LightningCSVReader(),
    UltralyticsCSVReader(),
    TimmCSVReader(),
    LRFinderJSONReader(),
    KerasCSVReader(),
    LongCSVReader(),
    OpenMMLabReader(),
    WandbHistoryReader(),
    JSONLinesReader(),
    GenericCSVReader(),
)
"""The readers curvescope ships, in sniffing order; each describes itself with a ``row`` (the README's formats table)."""

for _reader in BUILTIN_READERS:
    register_reader(_reader)

__all__ = ["BUILTIN_READERS", "Reader", "RunRead", "readers", "register_reader"]
