"""Reading one file with one reader, as discovery would hand it over, and the points of a tag."""

from pathlib import Path

from curvescope.schema import READER_COLUMNS, validate_scalars


def read(reader, path: Path):
    """``reader``'s read of the run ``path`` belongs to, checked against the readers' frame schema."""
    result = reader.read(reader.run_path(path), [path])
    validate_scalars(result.scalars, READER_COLUMNS)
    return result


def series(frame, tag: str) -> list[tuple[int, float]]:
    """A tag's points as (step, value) pairs, in frame order."""
    rows = frame[frame["tag"] == tag]
    return list(zip(rows["step"].tolist(), rows["value"].tolist()))
