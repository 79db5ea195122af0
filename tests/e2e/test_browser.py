"""The app in a real headless browser: ``curvescope app fixtures/demo`` serves it, Chromium opens it.

Needs Playwright (``pip install -e ".[e2e]"``) and Debian's Chromium at /usr/bin/chromium
(``apt-get install chromium``; Playwright's own browser download is never used). Without them
the test fails when the CI variable is set and is skipped otherwise, so a laptop without a
browser can still run the rest of the suite.

Each page is saved as a PNG in the test's temporary directory; with CURVESCOPE_SCREENSHOTS=1
they are also copied to docs/screenshots/, the README's screenshots.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

import curvescope
from tests.conftest import FIXTURES, IN_CI, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
STARTUP_SECONDS = 60
PAGE_MS = 60_000  # the first page audits the demo runs
WIDTH = 1400
SWEEP = "breast_cancer-deep-relu"
COMPARED = ("huggingface/digits-mlp-tanh-sgd", "keras/digits-mlp-tanh-sgd", "keras/wine-mlp-tanh-sgd")

# The app's DOM, as Streamlit renders it.
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stVegaLiteChart"]'
DRAWING = "canvas.marks, svg.marks"  # what Vega draws, with either renderer
EXCEPTION = '[data-testid="stException"]'
ERROR = '[data-testid="stAlertContentError"]'


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} CI must run the browser test (.ci/run installs both).", pytrace=False)
    pytest.skip(f"{reason} Skipped because CI is unset; in CI this fails.")


@pytest.fixture(scope="module")
def report():
    return curvescope.audit(FIXTURES / "demo")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable('Playwright is not installed: pip install -e ".[e2e]".')
    if not CHROMIUM.is_file():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The URL of ``curvescope app fixtures/demo`` on a free loopback port, stopped after the module."""
    with _served("fixtures/demo", tmp_path_factory.mktemp("app") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def sweep_server(tmp_path_factory):
    """The app on a sweep (the demo has none): one family of the corpus, runs of several learning rates."""
    with _served(f"fixtures/corpus/runs/{SWEEP}", tmp_path_factory.mktemp("sweep") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def lr_server(tmp_path_factory):
    """The app on a sweep with an LR range test beside its runs (the demo has none)."""
    with _served("fixtures/lr_range/sweep", tmp_path_factory.mktemp("lr") / "server.log") as url:
        yield url


@contextmanager
def _served(path: str, log: Path):
    port = _free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "curvescope", "app", path, "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=os.name == "posix",
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, process, log)
        yield url
    finally:
        _stop(process)


def _window(browser, url: str, path: str, height: int, contexts: list):
    context = browser.new_context(viewport={"width": WIDTH, "height": height})
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(PAGE_MS)
    page.goto(f"{url}{path}")
    return page


@pytest.fixture
def open_page(browser, server):
    """Opens a path of the app in a fresh browser window of the given height (screenshots show the window)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=PAGE_MS)
    contexts = []

    def open_page(path: str, height: int, *, on: str | None = None):
        return _window(browser, on or server, path, height, contexts)

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def test_overview_shows_every_run_with_its_labels(open_page, report, tmp_path):
    page = open_page("/", height=900)
    names = [run.run for run in report.runs]
    for run in report.runs:
        _wait_until_shown(page, run.run, run.labels, [name for name in names if name != run.run], "the overview")
    _wait_until_idle(page)
    _assert_no_errors(page)
    _screenshot(page, tmp_path, "overview.png")


def test_run_page_shows_the_labels_and_a_chart(open_page, report, tmp_path):
    from playwright.sync_api import expect

    run = _showcase(report)
    page = open_page(f"/run?run={quote(run.run, safe='')}", height=1500)
    drawing = page.locator(CHART).locator(DRAWING).first
    expect(drawing).to_be_visible()
    _wait_until_shown(page, run.run, run.labels, [], f"the page of {run.run}")
    _wait_until_idle(page)
    box = drawing.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50, f"the chart is drawn {box}"
    _assert_no_errors(page)
    _screenshot(page, tmp_path, "run.png")


def test_run_page_browses_every_scalar(open_page, report, tmp_path):
    from playwright.sync_api import expect

    run = report["lightning_logs/classification-mlp-tanh-adam"]
    page = open_page(f"/run?run={quote(run.run, safe='')}", height=1100)
    tab = page.get_by_role("tab", name="Every scalar")
    expect(tab).to_be_visible()
    _wait_until_idle(page)
    tab.click()
    chart = page.locator(CHART).filter(has_text="train_loss_step")
    expect(chart.locator(DRAWING).first).to_be_visible()
    _wait_until_idle(page)
    for tag in ("epoch", "lr-Adam", "train_loss_step", "val_acc", "val_loss"):
        expect(chart.get_by_text(tag, exact=True).first).to_be_attached()
    _assert_no_errors(page)
    _screenshot(page, tmp_path, "scalars.png")


def test_compare_hover_shows_every_run_at_that_point(open_page, tmp_path):
    from playwright.sync_api import expect

    page = open_page("/compare?" + urlencode([("runs", name) for name in COMPARED]), height=1500)
    charts = page.locator(CHART)
    expect(charts.nth(1).locator(DRAWING).first).to_be_visible()
    _wait_until_idle(page)
    charts.nth(1).scroll_into_view_if_needed()
    box = charts.nth(1).locator(DRAWING).first.bounding_box()
    tooltip = page.locator("#vg-tooltip-element")
    for fraction in (0.15, 0.2, 0.25):  # the first small chart's plot area, left half
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + 120)
        page.wait_for_timeout(300)
        if tooltip.is_visible():
            break
    expect(tooltip).to_be_visible()
    for name in COMPARED:
        expect(tooltip).to_contain_text(name)
    page.get_by_role("heading", name="Every scalar").evaluate("element => element.scrollIntoView({block: 'start'})")
    _assert_no_errors(page)
    _screenshot(page, tmp_path, "compare.png")


def test_sweep_page_draws_the_sweep_and_parallel_coordinates(browser, sweep_server, tmp_path):
    from playwright.sync_api import expect

    contexts: list = []
    try:
        page = _window(browser, sweep_server, "/sweep", 1700, contexts)
        expect(page.locator(CHART).nth(1).locator(DRAWING).first).to_be_visible()
        _wait_until_idle(page)
        for index in (0, 1):
            box = page.locator(CHART).nth(index).locator(DRAWING).first.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 200, f"chart {index} is drawn {box}"
        expect(page.get_by_text("Best run by best validation loss").first).to_be_visible()
        _assert_no_errors(page)
        _screenshot(page, tmp_path, "sweep.png")
    finally:
        for context in contexts:
            context.close()


def test_lr_finder_page_draws_the_range_test_with_its_suggestion(browser, lr_server, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=PAGE_MS)  # the first page audits the runs
    suggested = curvescope.lr_find(FIXTURES / "lr_range" / "sweep")["digits-mlp/lr_find"].suggested
    contexts: list = []
    try:
        page = _window(browser, lr_server, "/lr-finder", 1300, contexts)
        drawing = page.locator(CHART).first.locator(DRAWING).first
        expect(drawing).to_be_visible()
        _wait_until_idle(page)
        box = drawing.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150, f"the range test is drawn {box}"
        expect(page.get_by_text(f"Suggested rate: {suggested:.3g}").first).to_be_visible()
        expect(page.get_by_text("The runs beside it")).to_be_visible()
        _assert_no_errors(page)
        _screenshot(page, tmp_path, "lr_finder.png")
    finally:
        for context in contexts:
            context.close()


def test_the_overview_follows_runs_still_training(browser, tmp_path):
    from playwright.sync_api import expect

    logs = tmp_path / "logs"
    shutil.copytree(FIXTURES / "demo" / "keras" / "wine-mlp-tanh-sgd", logs / "first")
    contexts: list = []
    with _served(str(logs), tmp_path / "server.log") as url:
        try:
            page = _window(browser, url, "/", 900, contexts)
            expect(page.get_by_text("1 runs in logs/")).to_be_visible()
            _wait_until_idle(page)
            shutil.copytree(FIXTURES / "demo" / "keras" / "digits-mlp-tanh-sgd", logs / "second")
            # no reload: the page looks at the folder every few seconds and draws the new run
            expect(page.get_by_text("2 runs in logs/")).to_be_visible(timeout=30_000)
            expect(page.get_by_role("link", name="second")).to_be_visible()
        finally:
            for context in contexts:
                context.close()


def _showcase(report):
    """The run whose page the README shows: an overfitting run draws the most evidence, else the first."""
    return next((run for run in report.runs if "overfitting" in run.labels), report.runs[0])


# Whether one element on screen shows the run's name (as text or as a field's value) and all its labels,
# and no other run's name: the labels are shown with their run. Only what a person sees counts: text in
# hidden elements (a data grid's accessibility table, a collapsed expander) does not. Case is ignored.
_SHOWN_TOGETHER = """([name, labels, others]) => {
    const fold = (text) => text.toLowerCase();
    const visible = (element) => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
    };
    const seen = new Map();
    const add = (element, text) => {
        for (let at = element; at; at = at.parentElement) seen.set(at, (seen.get(at) || "") + text);
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (parent && node.textContent.trim() && visible(parent)) add(parent, node.textContent);
    }
    for (const field of document.querySelectorAll("input, textarea")) {
        if (field.value && visible(field)) add(field, field.value);
    }
    for (const text of seen.values()) {
        const folded = fold(text);
        if (folded.includes(fold(name)) && labels.every((label) => folded.includes(fold(label)))
            && !others.some((other) => folded.includes(fold(other)))) return true;
    }
    return false;
}"""


def _wait_until_shown(page, name: str, labels, others: list[str], where: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(_SHOWN_TOGETHER, arg=[name, list(labels), others], polling=250)
    except PlaywrightTimeout:
        pytest.fail(
            f"{where} does not show {name} with its labels {', '.join(labels) or '(none)'} within {PAGE_MS // 1000} s",
            pytrace=False,
        )


def _assert_no_errors(page) -> None:
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, f"the page shows an exception: {exceptions.first.inner_text()}"
    errors = page.locator(ERROR)
    assert errors.count() == 0, f"the page shows an error: {errors.first.inner_text()}"


def _wait_until_idle(page) -> None:
    """Streamlit marks its root element while the script runs; checks are made once it has finished."""
    page.locator(APP_IDLE).wait_for(state="attached")


def _screenshot(page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    if os.environ.get("CURVESCOPE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"curvescope app exited with {process.returncode} before serving:\n{log.read_text()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(
        f"curvescope app did not answer {url}/_stcore/health within {STARTUP_SECONDS} s:\n{log.read_text()}", pytrace=False
    )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM reaches the server through curvescope app; its whole process group is killed if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if process.poll() is None:
        process.kill()
        process.wait()
