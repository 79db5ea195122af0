"""Ingest: every supported log format read into the tidy scalars frame."""

from .base import Reader, RunRead, readers, register_reader

__all__ = ["Reader", "RunRead", "readers", "register_reader"]
