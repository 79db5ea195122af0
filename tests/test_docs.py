"""The README and the pages it links: every relative link leads to a file that exists."""

import re

import pytest

from tests.conftest import ROOT

PAGES = ["README.md", "ARCHITECTURE.md", "docs/benchmarks.md", "docs/accuracy.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    targets = [t for t, _ in LINK.findall(text) if not t.startswith(("http://", "https://", "mailto:"))]
    missing = [t for t in targets if not (ROOT / page).parent.joinpath(t).exists()]
    assert not missing, f"{page} links to missing files: {missing}"


@pytest.mark.parametrize(
    "page, anchor", [("docs/benchmarks.md", "reading"), ("docs/benchmarks.md", "scale"), ("docs/benchmarks.md", "features")]
)
def test_the_readme_anchors_exist(page, anchor):
    headings = re.findall(r"^#+ (.+)$", (ROOT / page).read_text(encoding="utf-8"), flags=re.M)
    assert anchor in {h.strip().lower().replace(" ", "-") for h in headings}


def test_the_architecture_names_modules_that_exist():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for folder in re.findall(r"^\| `(\w+)/` \|", text, flags=re.M):
        assert (ROOT / "curvescope" / folder).is_dir() or (ROOT / folder).is_dir(), folder


def test_the_readme_lists_every_finding_kind():
    from curvescope.findings import KINDS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {code: f"| {code} | {kind.name} | {kind.severity} |" for code, kind in KINDS.items()}
    missing = [row for row in rows.values() if row not in readme]
    assert not missing, f"the README's findings table lacks: {', '.join(missing)}"


def test_the_readme_formats_table_is_the_one_the_readers_declare():
    from curvescope.ingest.catalog import format_table, readme_table

    table = readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
    assert table is not None, "README.md has no formats table under '### Formats'"
    assert table == format_table(), (
        "README.md's formats table differs from the rows the readers declare (their `row`); "
        "regenerate it with `python -m curvescope.ingest.catalog README.md`"
    )


def test_every_builtin_reader_declares_its_readme_row():
    from curvescope.ingest import BUILTIN_READERS
    from curvescope.ingest.catalog import format_rows

    assert len(format_rows()) == len(BUILTIN_READERS)
    assert all(row.format and row.recognised_by and row.run for row in format_rows())


def test_the_formats_table_is_rewritten_in_place(tmp_path):
    from curvescope.ingest.catalog import format_table, main, readme_table

    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n### Formats\n\n| format | recognised by | run |\n|---|---|---|\n| old | row | here |\n\nAfter.\n")
    main([str(readme)])
    text = readme.read_text()
    assert readme_table(text) == format_table() and "| old |" not in text and text.endswith("\nAfter.\n")


@pytest.mark.slow
def test_the_readme_shows_the_demo_as_the_audit_prints_it():
    import os
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("```\n┏") + 4
    shown = text[start : text.index("```\n", start)]
    printed = subprocess.run(
        [sys.executable, "-m", "curvescope", "audit", "fixtures/demo", "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "210"},
        timeout=300,
    )
    assert printed.stdout == shown, "regenerate the README's demo output: COLUMNS=210 curvescope audit fixtures/demo"
