"""Third-party readers arrive through the curvescope.readers entry-point group."""

from importlib.metadata import EntryPoint

import pytest

from curvescope.errors import PluginError
from curvescope.ingest import base


class NpyReader:
    name = "npy-test"
    per_file = True

    def sniff(self, path):
        return path.suffix == ".npy"

    def run_path(self, path):
        return path.parent

    def read(self, run_path, files):
        return base.RunRead()


class _Dist:
    name = "curvescope-npy"


def _entry_point(name, value):
    ep = EntryPoint(name=name, value=value, group=base.ENTRY_POINT_GROUP)
    object.__setattr__(ep, "dist", _Dist())
    return ep


@pytest.fixture
def fresh_registry(monkeypatch):
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    monkeypatch.setattr(base, "_PLUGINS_LOADED", False)


def test_plugin_reader_is_registered_after_the_built_ins(fresh_registry, monkeypatch):
    monkeypatch.setattr(base, "entry_points", lambda group: [_entry_point("npy", f"{__name__}:NpyReader")])
    names = [reader.name for reader in base.readers()]
    assert names[-1] == "npy-test" and names.count("npy-test") == 1


def test_plugin_that_fails_to_import_names_its_distribution(fresh_registry, monkeypatch):
    monkeypatch.setattr(base, "entry_points", lambda group: [_entry_point("broken", "no_such_module_xyz:Reader")])
    with pytest.raises(PluginError, match="reader plugin 'broken' from curvescope-npy failed to load: ModuleNotFoundError"):
        base.readers()


def test_plugin_without_the_reader_interface_is_refused(fresh_registry, monkeypatch):
    monkeypatch.setattr(base, "entry_points", lambda group: [_entry_point("odd", "builtins:object")])
    with pytest.raises(PluginError, match="does not provide name, sniff, run_path and read"):
        base.readers()


def test_duplicate_reader_name_is_refused(fresh_registry):
    base.register_reader(NpyReader())
    with pytest.raises(PluginError, match="'npy-test': a reader with this name is already registered"):
        base.register_reader(NpyReader())
