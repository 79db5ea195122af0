"""Ingest: every supported log format read into the tidy scalars frame.

The built-in readers are registered here, in sniffing order: the most specific claim first
(a Ray Tune ``progress.csv`` before any CSV, a Lightning ``metrics.csv`` before a generic
wide CSV), so that each file goes to the reader that knows its format best.
"""

from .base import Reader, RunRead, readers, register_reader
from .csvlogs import GenericCSVReader, KerasCSVReader, LightningCSVReader, LongCSVReader, UltralyticsCSVReader
from .jsonlogs import JSONLinesReader, TrainerStateReader
from .mlflow import MLflowReader
from .raytune import RayTuneReader
from .tensorboard import TensorBoardReader

for _reader in (
    TensorBoardReader(),
    RayTuneReader(),
    MLflowReader(),
    TrainerStateReader(),
    LightningCSVReader(),
    UltralyticsCSVReader(),
    KerasCSVReader(),
    LongCSVReader(),
    JSONLinesReader(),
    GenericCSVReader(),
):
    register_reader(_reader)

__all__ = ["Reader", "RunRead", "readers", "register_reader"]
