"""Cached reads and reports are trusted only by the code that made them: a development version's
identity includes a digest of its code, which changes when the code does."""

from curvescope import version
from curvescope.scale import cache as cache_module
from curvescope.version import source_digest


def test_the_digest_follows_the_code(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    first = source_digest(tmp_path)
    assert source_digest(tmp_path) == first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert source_digest(tmp_path) != first


def test_a_development_version_names_its_code():
    assert version.code_identity().startswith(version.__version__ + "+")


def test_an_entry_written_by_other_code_is_not_served(tmp_path, monkeypatch):
    store = cache_module.CacheLocation(tmp_path).open()
    try:
        store.put("reports", "run", ("identity",), {"verdict": 1})
        assert store.get("reports", "run") == (("identity",), {"verdict": 1})
        monkeypatch.setattr(cache_module, "code_identity", lambda: version.__version__ + "+othercode")
        assert store.get("reports", "run") is None
        assert store.get_many("reports", ["run"]) == {}
    finally:
        store.close()
