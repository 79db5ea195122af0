"""Plugins: readers and rules that other distributions offer through entry-point groups.

Each group is loaded once, on first use, in the order of the entry points' names, after the
built-ins. A plugin that fails to import, or is not what its group expects, stops with a
``PluginError`` naming the plugin and its distribution: a silently missing reader or rule
would change every report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from .errors import PluginError


@dataclass
class PluginGroup:
    """One entry-point ``group`` of plugins of one ``kind``; ``adopt`` checks and registers each."""

    group: str
    kind: str
    adopt: Callable[[EntryPoint, Any], None]
    loaded: bool = False

    def load(self) -> None:
        """Load and adopt every plugin of the group, the first time only."""
        if self.loaded:
            return
        self.loaded = True
        for ep in sorted(entry_points(group=self.group), key=lambda ep: ep.name):
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin names itself, whatever it raised
                dist = getattr(ep.dist, "name", "unknown distribution")
                raise PluginError(
                    f"{self.kind} plugin {ep.name!r} from {dist} failed to load: {type(exc).__name__}: {exc}."
                    " Upgrade or uninstall that package."
                ) from exc
            self.adopt(ep, plugin)
