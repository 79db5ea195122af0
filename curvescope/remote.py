"""Logs in object storage or behind any fsspec URL (``s3://``, ``gs://``, ``memory://``)."""

from __future__ import annotations

import os
from pathlib import Path

from .cache import CacheLocation


def local_root(path: str | os.PathLike[str], cache: CacheLocation | None = None) -> Path:
    """The local folder (or file) to read for ``path``."""
    return Path(path)
