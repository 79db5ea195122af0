"""The audit's result and its renderers: one module per output format, all over the same ``Report``."""

from .result import NUMBERS, SCHEMA_VERSION, Report, RunReport, key_numbers

__all__ = ["NUMBERS", "SCHEMA_VERSION", "Report", "RunReport", "key_numbers"]
