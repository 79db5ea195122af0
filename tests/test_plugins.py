"""Third-party readers arrive through the curvescope.readers entry-point group."""

from importlib.metadata import EntryPoint

import pytest

from curvescope import plugins
from curvescope.diagnose import Rule, registry
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


def _entry_point(name, value, group=base.ENTRY_POINT_GROUP):
    ep = EntryPoint(name=name, value=value, group=group)
    object.__setattr__(ep, "dist", _Dist())
    return ep


@pytest.fixture
def fresh_registry(monkeypatch):
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    monkeypatch.setattr(base.PLUGINS, "loaded", False)


def test_plugin_reader_is_registered_after_the_built_ins(fresh_registry, monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [_entry_point("npy", f"{__name__}:NpyReader")])
    names = [reader.name for reader in base.readers()]
    assert names[-1] == "npy-test" and names.count("npy-test") == 1


def test_plugin_that_fails_to_import_names_its_distribution(fresh_registry, monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [_entry_point("broken", "no_such_module_xyz:Reader")])
    with pytest.raises(PluginError, match="reader plugin 'broken' from curvescope-npy failed to load: ModuleNotFoundError"):
        base.readers()


def test_plugin_without_the_reader_interface_is_refused(fresh_registry, monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [_entry_point("odd", "builtins:object")])
    with pytest.raises(PluginError, match="does not provide name, sniff, run_path and read"):
        base.readers()


def test_duplicate_reader_name_is_refused(fresh_registry):
    base.register_reader(NpyReader())
    with pytest.raises(PluginError, match="'npy-test': a reader with this name is already registered"):
        base.register_reader(NpyReader())


# --- rules arrive through curvescope.rules, by the same loader ---------------------------------------


class PluginRule(Rule):
    """A plugin's rule.

    What it detects:
    Nothing.

    Why it matters:
    It shows that plugins load.

    Example:
    None.

    What to try:
    Nothing.
    """

    code, name, label = "XY101", "plugin-rule", "bad_init"

    def check(self, context):
        return ()


@pytest.fixture
def fresh_rules(monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))
    monkeypatch.setattr(registry.PLUGINS, "loaded", False)


def test_a_plugin_rule_is_registered_with_its_own_prefix(fresh_rules, monkeypatch):
    monkeypatch.setattr(
        plugins, "entry_points", lambda group: [_entry_point("xy", f"{__name__}:PluginRule", registry.ENTRY_POINT_GROUP)]
    )
    assert list(registry.rules())[-1] == "XY101"


def test_a_rule_plugin_that_fails_to_import_names_its_distribution(fresh_rules, monkeypatch):
    monkeypatch.setattr(
        plugins, "entry_points", lambda group: [_entry_point("broken", "no_such_module_xyz:Rule", registry.ENTRY_POINT_GROUP)]
    )
    with pytest.raises(PluginError, match="rule plugin 'broken' from curvescope-npy failed to load: ModuleNotFoundError"):
        registry.rules()


def test_a_rule_plugin_that_is_no_rule_is_refused(fresh_rules, monkeypatch):
    monkeypatch.setattr(
        plugins, "entry_points", lambda group: [_entry_point("odd", "builtins:object", registry.ENTRY_POINT_GROUP)]
    )
    with pytest.raises(PluginError, match="is not a curvescope Rule subclass"):
        registry.rules()
