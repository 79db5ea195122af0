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
