"""The audit's result and its renderers: one module per output format, all over the same ``Report``.

``render(report, format)`` gives the report as ``table`` (plain text), ``json``, ``csv``,
``markdown`` or ``html``.
"""

from importlib import import_module

from .numbers import NUMBERS, key_numbers
from .result import SCHEMA_VERSION, Report, RunReport

FORMATS = ("table", "json", "csv", "markdown", "html")


def render(report: Report, format: str) -> str:
    """The report in one of ``FORMATS``."""
    if format == "json":
        return report.to_json() + "\n"
    if format not in FORMATS:
        raise ValueError(f"unknown report format {format!r}; formats: {', '.join(FORMATS)}")
    return import_module(f".as_{format}", __name__).render(report)


__all__ = ["FORMATS", "NUMBERS", "SCHEMA_VERSION", "Report", "RunReport", "key_numbers", "render"]
