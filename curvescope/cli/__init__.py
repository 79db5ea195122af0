"""The ``curvescope`` command line.

``audit`` diagnoses every run below one or more paths, ``read`` summarises what a log directory
holds, ``rules`` and ``explain`` document the rules, ``eval`` and ``train`` measure and fit the
learned model on a labelled corpus, ``watch`` audits a folder again as its runs train, ``lr-find`` reads
LR range tests. Every command
calls the library; none holds logic of its own.
"""

from . import app_command, audit_command, corpus_command, lr_find_command, read_command, rules_command, watch_command  # noqa: E402,F401  (they register commands)
from .common import app

__all__ = ["app"]
