"""The CSV and Markdown renderers: one row per run, the numbers of ``to_frame``, and nothing in a
run name that a spreadsheet would run as a formula or a Markdown page would break on or run as HTML."""

import csv
import dataclasses
import functools
import html
import io
import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import curvescope
from curvescope.diagnose import HEALTHY, PROBLEMS
from curvescope.report import NUMBERS, as_csv, as_markdown
from tests.conftest import FIXTURES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_COLUMNS = ("confidence", *NUMBERS, "findings")
TEXT_COLUMNS = tuple(c for c in as_csv.COLUMNS if c not in NUMBER_COLUMNS)
FORMULAS = ('=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "\tcmd")
MARKUP = ("a|b", "<script>alert(1)</script>", "slash\\|pipe", "line\nbreak", "`tick`", "[x](http://e)")
NEGATIVE = "negative-loss"
SHORT = "three-points"


@functools.cache
def demo() -> curvescope.Report:
    return curvescope.audit(FIXTURES / "demo")


@functools.cache
def planted() -> curvescope.Report:
    """Healthy-looking runs with hostile names, one whose losses are negative and one too short to judge that
    did not fall either."""
    rows = []
    for run in (*FORMULAS, *MARKUP, NEGATIVE, SHORT):
        offset = -2.0 if run == NEGATIVE else 0.0
        for step in range(3 if run == SHORT else 30):
            loss = 2 + 0.1 * step if run == SHORT else offset + 2 / (step + 1)  # a short loss that fell would be healthy
            rows += [(run, "train_loss", step, loss), (run, "val_loss", step, loss + 0.1)]
    return curvescope.audit(pd.DataFrame(rows, columns=["run", "tag", "step", "value"]), model=False)


def csv_rows(report: curvescope.Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(as_csv.render(report), newline="")))


def table_rows(markdown: str) -> list[list[str]]:
    """The raw cells of the first table's body rows: split on the pipes no backslash escapes."""
    lines = markdown.split("\n\n")[2].splitlines()[2:]
    return [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines]


def renamed(report: curvescope.Report, names: list[str]) -> curvescope.Report:
    """The report with its first runs renamed, and only those kept."""
    runs = tuple(dataclasses.replace(run, run=name) for run, name in zip(report.runs, names))
    return dataclasses.replace(report, runs=runs)


def test_csv_has_the_header_and_one_row_per_run():
    text = as_csv.render(demo())
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(as_csv.COLUMNS)
    assert [row[0] for row in rows[1:]] == [run.run for run in demo().runs]
    assert text.endswith("\n") and "\r" not in text


def test_csv_reads_back_as_the_frame():
    frame = demo().to_frame()
    read = pd.read_csv(io.StringIO(as_csv.render(demo())))
    columns = ["run", "primary_label", "driver", "fix", *NUMBERS, "findings"]
    pd.testing.assert_frame_equal(read[columns], frame[columns], check_dtype=False)
    assert read["confidence"].tolist() == frame["confidence"].round(4).tolist()
    assert read["labels"].tolist() == ["; ".join(labels) for labels in frame["labels"]]


def test_csv_codes_are_those_behind_the_labels():
    for run, row in zip(demo().runs, csv_rows(demo())):
        behind = {d.code for label in run.labels if (v := run.diagnosis.verdict(label)) for d in v.diagnoses}
        codes = row["codes"].split("; ") if row["codes"] else []
        assert set(codes) == behind and len(codes) == len(behind)
        assert codes or run.labels == (HEALTHY,)


def test_csv_lists_the_labels_not_judged():
    rows = {row["run"]: row for row in csv_rows(planted())}
    assert rows[SHORT]["not_judged"].split("; ") == list(PROBLEMS)
    assert rows[SHORT]["labels"] == "" and rows[NEGATIVE]["not_judged"] == ""


def test_csv_quotes_formulas_so_a_spreadsheet_shows_them_as_text():
    read = pd.read_csv(io.StringIO(as_csv.render(planted())), dtype={"run": str})
    assert set(read["run"]) >= {"'" + name for name in FORMULAS}
    assert not any(name in set(read["run"]) for name in FORMULAS)
    assert {"a|b", "<script>alert(1)</script>"} <= set(read["run"])


def test_csv_writes_a_negative_number_as_a_number():
    row = next(row for row in csv_rows(planted()) if row["run"] == NEGATIVE)
    assert row["final_train_loss"].startswith("-")
    assert float(row["final_train_loss"]) == planted()[NEGATIVE].numbers["final_train_loss"]


def test_markdown_table_has_one_row_per_run_and_every_row_the_same_cells():
    markdown = as_markdown.render(planted())
    rows = table_rows(markdown)
    assert len(rows) == len(planted())
    assert {len(cells) for cells in rows} == {len(as_markdown.TABLE_HEADER)}
    assert "<script>" not in markdown and "line\nbreak" not in markdown


def test_markdown_renders_hostile_names_literally():
    page = MarkdownIt("commonmark").enable("table").render(as_markdown.render(planted()))
    first_cells = re.findall(r"<tr>\n<td>(.*?)</td>", page)
    shown = [run.run.replace("\n", " ").strip() for run in planted().runs]  # a cell's outer blanks are not shown
    assert [html.unescape(cell) for cell in first_cells] == shown
    assert "<script>" not in page and "<a " not in page and "<code>" not in page


def test_markdown_shows_labels_confidences_evidence_and_fixes():
    markdown = as_markdown.render(demo())
    assert markdown.startswith(f"# curvescope audit: {len(demo())} runs\n")
    for run, cells in zip(demo().runs, table_rows(markdown)):
        verdict = run.diagnosis.verdict(run.primary_label)
        confidence = verdict.confidence if verdict else run.confidence
        assert cells[1].strip() == f"{run.primary_label} {confidence:.0%}"
        assert cells[-1].strip() == (as_markdown.escape(run.fix) if run.fix else as_markdown.MISSING)
        if verdict:
            assert f"- fix: {as_markdown.escape(verdict.fix)}" in markdown
            assert all(as_markdown.escape(d.message) in markdown for d in verdict.diagnoses)
    assert as_markdown.render(demo()) == markdown


def test_markdown_gives_the_reasons_a_run_was_not_judged():
    markdown = as_markdown.render(planted())
    assert f"### {SHORT}" in markdown and "not judged 1" in markdown
    assert all(reason in markdown for reason in planted()[SHORT].diagnosis.not_judged.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=["Cs"])), min_size=1, max_size=7))
def test_any_run_name_gives_one_safe_csv_row_and_one_table_row(names):
    report = renamed(demo(), names)
    rows = csv_rows(report)
    assert [row["run"] for row in rows] == [("'" if run.run.startswith(FORMULA_STARTS) else "") + run.run for run in report.runs]
    assert not any(row[column].startswith(FORMULA_STARTS) for row in rows for column in TEXT_COLUMNS)
    table = table_rows(as_markdown.render(report))
    assert len(table) == len(report) and {len(cells) for cells in table} == {len(as_markdown.TABLE_HEADER)}
