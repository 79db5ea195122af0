"""What every reader's fuzz test does: write bytes to a file, sniff it, read it, check the frame."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

from curvescope.schema import READER_COLUMNS, validate_scalars

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_bytes_as(reader, name: str, data: bytes) -> None:
    """Read ``data`` saved as a file called ``name``: nothing may raise, the frame must be tidy."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        reader.sniff(path)
        result = reader.read(reader.run_path(path), [path])
        validate_scalars(result.scalars, READER_COLUMNS)
