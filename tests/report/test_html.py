"""The HTML report: one self-contained page, every run in it, log text escaped, evidence on the charts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import curvescope
from curvescope.report.as_html import render
from curvescope.report.drawing import MAX_POINTS
from tests.conftest import FIXTURES

EVIL_RUN = "<script>alert(1)</script>"
EVIL_TAG = "<img src=x onerror=alert(1)>/loss"
DOLLAR_TAG = "cost $x$ in $"
STEPS = np.arange(200)


class Page(HTMLParser):
    """What a browser would build: the elements with their attributes, and each run section's
    heading, text and element ids."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.sections: dict[str, dict] = {}
        self._section: dict | None = None
        self._in_heading = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "section":
            self._section = self.sections.setdefault(attributes["id"], {"heading": "", "text": [], "ids": [], "tags": []})
        elif self._section is not None:
            self._section["tags"].append(tag)
            self._section["ids"].extend([attributes["id"]] if "id" in attributes else [])
            self._in_heading = self._in_heading or tag == "h2"

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None
        self._in_heading = self._in_heading and tag != "h2"

    def handle_data(self, data):
        if self._section is not None:
            self._section["text"].append(data)
            if self._in_heading:
                self._section["heading"] += data

    def section(self, run: str) -> dict:
        return next(s for s in self.sections.values() if s["heading"].removesuffix("\u2191").strip() == run)


def _frame(runs: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame({"run": run, "tag": tag, "step": STEPS[: len(values)], "value": values})
            for run, curves in runs.items()
            for tag, values in curves.items()
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def demo():
    return curvescope.audit(FIXTURES / "demo")


@pytest.fixture(scope="module")
def demo_page(demo) -> tuple[str, Page]:
    html = render(demo)
    return html, Page(html)


@pytest.fixture(scope="module")
def planted():
    """A run that falls, has its rate cut tenfold at step 60 and then explodes; one whose loss turns
    NaN; one named and tagged to inject markup; one with a dollar in its tag; one with no curve."""
    falling = 2.0 * np.exp(-STEPS / 50) + 0.2
    runs = {
        "blows-up": {
            "train/loss": np.r_[2.0 * np.exp(-STEPS[:120] / 30) + 0.1, 0.1 * np.exp((STEPS[120:] - 120) / 8)],
            "train/lr": np.where(STEPS < 60, 0.1, 0.01),
        },
        "turns-nan": {"train/loss": np.r_[np.linspace(2.0, 1.0, 100), np.full(100, np.nan)]},
        EVIL_RUN: {EVIL_TAG: falling},
        "dollars": {DOLLAR_TAG: falling},
        "no-curves": {"gpu/temperature": np.full(200, 60.0)},
    }
    return curvescope.audit(_frame(runs), model=False, roles={"train_loss": [EVIL_TAG, DOLLAR_TAG]})


@pytest.fixture(scope="module")
def planted_page(planted) -> tuple[str, Page]:
    html = render(planted)
    return html, Page(html)


def test_every_run_has_a_section_headed_by_its_name(demo, demo_page):
    _, page = demo_page
    assert [s["heading"].removesuffix("\u2191").strip() for s in page.sections.values()] == [run.run for run in demo]


def test_the_summary_links_every_run_to_its_section(demo, demo_page):
    _, page = demo_page
    links = [a["href"] for tag, a in page.elements if tag == "a" and a.get("href", "").startswith("#run-")]
    assert links == [f"#{anchor}" for anchor in page.sections]
    assert len(links) == len(demo.runs)


def test_every_run_with_a_train_loss_has_a_chart(demo, demo_page):
    _, page = demo_page
    for run in demo:
        assert "train_loss" in run.curves
        assert "svg" in page.section(run.run)["tags"], run.run


def test_labels_are_shown_with_their_confidence(demo, demo_page):
    _, page = demo_page
    for run in demo:
        text = "".join(page.section(run.run)["text"])
        for label in run.labels:
            assert re.search(rf"{label} \d+%", text), (run.run, label)
    header = demo_page[0].split("<table", 1)[0]
    for label, n in demo.counts().items():
        assert f">{label} {n}</span>" in header


def test_the_page_references_nothing_outside_itself(demo_page, planted_page):
    for html, page in (demo_page, planted_page):
        assert html.startswith("<!DOCTYPE html>")
        for tag, attributes in page.elements:
            assert tag != "link"
            assert not (tag == "script" and "src" in attributes)
            for name in ("src", "href", "xlink:href", "action", "poster"):
                value = attributes.get(name)
                assert value is None or value.startswith("#") or value.startswith("data:"), (tag, name, value)
        assert "@import" not in html
        assert not re.search(r"url\(\s*['\"]?(?!#)", html)
        assert not re.search(r"https?://", html)


def test_log_text_stays_text(planted_page):
    html, page = planted_page
    assert EVIL_RUN not in html and EVIL_TAG not in html
    assert not any(tag in ("script", "img") for tag, _ in page.elements)
    assert not any(name.startswith("on") for _, attributes in page.elements for name in attributes)
    section = page.section(EVIL_RUN)
    assert "svg" in section["tags"]
    assert any(EVIL_TAG in text for text in section["text"])  # drawn in the chart's legend, as text


def test_a_dollar_in_a_tag_is_drawn_as_a_dollar(planted_page):
    _, page = planted_page
    assert any(f"train: {DOLLAR_TAG}" == text for text in page.section("dollars")["text"])


def test_the_evidence_is_drawn_on_the_chart(planted, planted_page):
    _, page = planted_page
    kinds = {event.kind for event in planted["blows-up"].events}
    assert {"explosion", "lr_drop", "plateau"} <= kinds
    drawn = " ".join(page.section("blows-up")["ids"])
    for kind in ("explosion", "lr_drop", "plateau"):
        assert re.search(rf"\brun-\d+-{kind}-\d+-\d+\b", drawn), kind
    assert "-non_finite-" in " ".join(page.section("turns-nan")["ids"])


def test_the_best_step_and_the_gap_are_drawn(demo, demo_page):
    _, page = demo_page
    for run in demo:
        drawn = " ".join(page.section(run.run)["ids"])
        for kind in {"best_step", "gap"} & {event.kind for event in run.events}:
            assert f"-{kind}-" in drawn, (run.run, kind)


def test_a_run_without_curves_still_renders_with_why_it_was_not_judged(planted, planted_page):
    _, page = planted_page
    run = planted["no-curves"]
    assert not run.curves and run.diagnosis.not_judged
    section = page.section("no-curves")
    text = " ".join(section["text"])
    assert "svg" not in section["tags"]
    assert "No curves" in text and "Not judged" in text
    for reason in run.diagnosis.not_judged.values():
        assert reason in text


def test_two_renders_are_byte_identical(planted, demo, demo_page):
    assert render(demo) == demo_page[0]
    assert render(planted) == render(planted)


def test_ids_are_unique_across_charts(demo_page):
    _, page = demo_page
    ids = [attributes["id"] for _, attributes in page.elements if "id" in attributes]
    assert len(ids) == len(set(ids))


def test_a_long_curve_is_thinned_for_drawing():
    steps = np.arange(50_000)
    loss = (2.0 * np.exp(-steps / 5_000) + 0.1) * (1 + 0.1 * np.random.default_rng(0).standard_normal(len(steps)))
    html = render(curvescope.audit(pd.DataFrame({"run": "long", "tag": "train/loss", "step": steps, "value": loss}), model=False))
    vertices = [len(re.findall(r"[ML] ", path)) for path in re.findall(r' d="([^"]*)"', html)]
    assert 1_000 < max(vertices) <= MAX_POINTS
    assert len(html) < 250_000
