"""The app's confinement: paths typed, and links followed, stay below the directory it was started with."""

from __future__ import annotations

import sys

import pytest

import curvescope
from tests.conftest import ROOT

if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))  # the app puts its own folder on the path, as here

import confine  # noqa: E402


def test_confine_keeps_paths_below_the_root(tmp_path):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    root = tmp_path / "runs"
    assert confine.confine(root, "") == root.resolve()
    assert confine.confine(root, "  ") == root.resolve()
    assert confine.confine(root, "a") == (root / "a").resolve()
    assert confine.confine(root, str(root / "a")) == (root / "a").resolve()
    assert confine.confine(root, "a/../a") == (root / "a").resolve()


@pytest.mark.parametrize("typed", ["..", "../..", "a/../../", "/", "/etc", "escape", "escape/x"])
def test_confine_refuses_paths_outside_the_root_naming_them(tmp_path, typed):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    (tmp_path / "runs" / "escape").symlink_to(tmp_path / "secret", target_is_directory=True)
    with pytest.raises(curvescope.InvalidParameterError) as caught:
        confine.confine(tmp_path / "runs", typed)
    assert str(caught.value).startswith(f"{typed}: outside the directory the app was started with (runs/)")
    assert isinstance(caught.value, curvescope.CurvescopeError)


def test_confine_refuses_a_path_that_cannot_be_one(tmp_path):
    with pytest.raises(curvescope.InvalidParameterError, match="not a usable path"):
        confine.confine(tmp_path, "a\0b")


def test_links_outside_finds_links_that_leave_the_root(tmp_path):
    root, away = tmp_path / "runs", tmp_path / "away"
    (root / "a" / "deep").mkdir(parents=True)
    (root / "b").mkdir()
    away.mkdir()
    (away / "log.csv").write_text("step,loss\n")
    assert confine.links_outside(root) == []
    (root / "a" / "inside").symlink_to(root / "b", target_is_directory=True)  # stays below the root: fine
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    assert confine.links_outside(root) == []
    (root / "b" / "out").symlink_to(away, target_is_directory=True)
    (root / "a" / "deep" / "file.csv").symlink_to(away / "log.csv")
    assert confine.links_outside(root) == ["a/deep/file.csv", "b/out"]
    assert confine.links_outside(root, root / "a") == ["a/deep/file.csv", "b/out"]  # b/out reached through a/inside
    with pytest.raises(curvescope.InvalidParameterError) as caught:
        confine.confine_links(root, root / "a")
    assert str(caught.value).startswith(
        "a/deep/file.csv, b/out: symbolic links to outside the directory the app was "
        "started with (runs/); only paths below it can be read."
    )
    confine.confine_links(root, root / "a" / "deep" / "missing")
