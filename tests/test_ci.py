"""CI (``.ci/run``) installs and tests the project with the README's own command, so the two cannot drift apart."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    [command] = [line for block in blocks for line in block.splitlines() if line.startswith("pip install") and "pytest" in line]
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
