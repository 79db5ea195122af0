"""Folders for the scale tests: a mix of formats under two paths, with files old enough to cache."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES


def age(folder: Path, seconds: float = 600) -> None:
    """Date every file back, as logs written long ago are (the cache trusts only settled files)."""
    then = time.time() - seconds
    for path in folder.rglob("*"):
        os.utime(path, (then, then))


@pytest.fixture
def logs(tmp_path) -> list[Path]:
    """The demo runs and one corpus folder (TensorBoard, CSV, Lightning, Hugging Face), aged."""
    demo, corpus = tmp_path / "demo", tmp_path / "corpus"
    shutil.copytree(FIXTURES / "demo", demo)
    shutil.copytree(FIXTURES / "corpus" / "runs" / "digits-deep-relu", corpus)
    age(tmp_path)
    return [demo, corpus]
