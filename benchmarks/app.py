"""App benchmark: the report app on a folder of many runs, in a real browser.

    python benchmarks/app.py [--runs 1000] [--steps 1000] [--data DIR] [--repeat 3] [--json OUT]

Generates (once, see ``make_runs.py``) ``--runs`` runs, serves them with ``curvescope app`` and opens
them in Debian's Chromium (/usr/bin/chromium) through Playwright. Measures, in seconds:

- ``first view, cold``: a fresh server on an empty curvescope cache and a browser with nothing cached,
  from opening the overview until it is drawn with the runs audited so far in its table (the audit
  runs on, the page says how far it got) and the app is idle (the median of ``--repeat``, each on a new
  server and cache);
- ``all runs audited, cold``: the same page, from opening it until the audit of every run is done and
  drawn: no progress bar left, the table drawn and the app idle;
- ``first view, fresh server``: a new server on the cache that audit filled (a restart of the app);
- ``first view, warm``: a new tab of a browser that has visited the app before, on the running server;
- ``change the run``, ``change the smoothing``, ``change the filter``, ``change the sweep axis``: from the
  key press to the end of the app's rerun (the median of ``--repeat``);

and the server's resident memory (the Streamlit process and its children) after them all. Exits 1
when a figure misses its target (``TARGETS``), printing which.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TIMEOUT_MS = 600_000
TARGETS = {
    "first view, cold": 5.0,
    "first view, warm": 1.5,
    "change the run": 0.5,
    "change the smoothing": 0.5,
    "change the filter": 0.5,
    "change the sweep axis": 0.5,
}
"""The issue's targets, in seconds."""

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
DRAWN = '[data-testid="stVegaLiteChart"]:visible, [data-testid="stDataFrame"]:visible'
# The overview drawn: the app idle and a table visible (a box of some size, not hidden), as Playwright's
# "visible" means. Looked at on every frame the browser draws: Playwright's own wait for a locator looks again after
# 0, 20, 50, 100, 100 and then every 500 ms, so a page drawn at 1.0 s could be seen only at 1.3 s or 1.8 s.
SHOWN = """() => document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')].some((table) => {
        const box = table.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && table.checkVisibility({visibilityProperty: true});
    })"""
# The overview drawn from the whole report: the app idle, its table drawn, no progress bar of an audit still running.
WHOLE = """() => document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    && document.querySelector('[data-testid="stDataFrame"]')
    && !document.querySelector('[data-testid="stProgress"]')"""
# Counts the app's reruns: each time the app's root element says the script stopped running, the time is kept. The
# whole document is watched, not the root element found now: React may mount the root again, and an observer of the
# element it replaced would wait for a rerun it can no longer see.
WATCH_RERUNS = """() => {
    window.__reruns = 0;
    window.__rerunDone = 0;
    new MutationObserver((changes) => {
        if (changes.some((change) => change.target.getAttribute("data-test-script-state") === "notRunning")) {
            window.__reruns += 1;
            window.__rerunDone = performance.now();
        }
    }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ["data-test-script-state"]});
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=HERE / ".data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    import make_runs

    folder = args.data / f"app-{args.runs}"
    make_runs.generate(folder, args.runs, args.steps)
    figures: dict[str, float] = {}
    cache = Path(tempfile.mkdtemp(prefix="curvescope-app-bench-"))
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            with served(folder, cache) as (url, _):
                cold = window(browser)
                first, figures["all runs audited, cold"] = first_view(cold, url, whole=True)
            others = [cold_view(browser, folder) for _ in range(args.repeat - 1)]
            figures["first view, cold"] = statistics.median([first, *others])
            with served(folder, cache) as (url, server):
                figures["first view, fresh server"] = first_view(window(browser), url)
                tab = window(browser)
                first_view(tab, url)  # the browser fetches the app's scripts once, as any visit after the first
                figures["first view, warm"] = statistics.median(first_view(tab, url) for _ in range(args.repeat))
                figures.update(interactions(browser, url, args.repeat))
                figures["server memory (MB)"] = resident_mb(server)
            browser.close()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    report(figures, args.runs, args.steps)
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "steps": args.steps, "figures": figures}, indent=1))
    missed = [name for name, target in TARGETS.items() if figures[name] > target]  # NaN: not measured, not missed
    if missed:
        print("missed: " + ", ".join(f"{name} ({figures[name]:.2f} s > {TARGETS[name]} s)" for name in missed))
        sys.exit(1)


class served:
    """``curvescope app FOLDER`` on a free port with its own cache folder, stopped on exit."""

    def __init__(self, folder: Path, cache: Path) -> None:
        self.folder, self.cache = folder, cache

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        environment = {**os.environ, "CURVESCOPE_CACHE_DIR": str(self.cache)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "curvescope", "app", str(self.folder), "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        return url, self.process
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"curvescope app did not start on {url}")

    def __exit__(self, *_):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def first_view(context, url: str, *, whole: bool = False):
    """Seconds from opening the overview until its table of runs is drawn and the app is idle, in a browser
    context: a new one has nothing cached, one used before has the app's scripts cached. With ``whole``,
    also the seconds until the overview is drawn from the whole audit."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(SHOWN, polling="raf")
    seconds = time.perf_counter() - started
    if whole:
        page.wait_for_function(WHOLE, polling="raf")
        seconds = (seconds, time.perf_counter() - started)
    page.close()
    return seconds


def window(browser):
    """A new browser context (nothing cached in it) with the window the figures are measured in."""
    return browser.new_context(viewport={"width": 1400, "height": 900})


def cold_view(browser, folder: Path) -> float:
    """One more cold first view: a fresh server on an empty cache of its own, a browser with nothing cached."""
    cache = Path(tempfile.mkdtemp(prefix="curvescope-app-bench-"))
    try:
        with served(folder, cache) as (url, _):
            return first_view(window(browser), url)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def follow_off(page) -> None:
    """Turn "Follow the logs" off, clicking again while it still shows on: a click made while the page redraws
    can land on the element being replaced."""
    from playwright.sync_api import expect

    toggle = page.get_by_label("Follow the logs", exact=True)
    for _ in range(5):
        page.get_by_text("Follow the logs", exact=True).click()
        try:
            expect(toggle).not_to_be_checked(timeout=5_000)
            return
        except AssertionError:
            continue
    expect(toggle).not_to_be_checked()


def interactions(browser, url: str, repeat: int) -> dict[str, float]:
    """The median seconds of each interaction, from the key press to the end of the rerun."""
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(TIMEOUT_MS)
    times: dict[str, list[float]] = {name: [] for name in TARGETS if name.startswith("change")}

    def measured(prepare, act) -> float:
        """Seconds from ``act`` (a key press) to the end of the rerun it starts; ``prepare`` is not timed."""
        prepare()
        page.evaluate(WATCH_RERUNS)
        started = page.evaluate("performance.now()")
        act()
        page.wait_for_function("() => window.__reruns > 0")
        page.locator(IDLE).wait_for(state="attached")
        return (page.evaluate("window.__rerunDone") - started) / 1000

    def open_page(path: str) -> None:
        page.goto(url + path)
        page.locator(IDLE).wait_for(state="attached")
        page.locator(DRAWN).first.wait_for(state="visible")
        # the page's look at the folder every few seconds is a rerun of its own: off, so as not to be timed
        follow_off(page)
        page.locator(IDLE).wait_for(state="attached")

    def choose(label: str, option: str):
        """Open a select box and type an option (not timed); the returned Enter (timed) picks it."""

        def prepare() -> None:
            page.get_by_role("combobox", name=label, exact=True).click()
            page.keyboard.type(option)
            # Enter picks what the list shows: pressed before the typing has filtered it, it picks nothing, and
            # no rerun comes (on a loaded machine the benchmark then waited for one until it timed out)
            page.get_by_role("option", name=option).first.wait_for(state="visible")

        return prepare, lambda: page.keyboard.press("Enter")

    enter = lambda: page.keyboard.press("Enter")  # noqa: E731
    open_page("/run")
    for index in range(repeat):
        times["change the run"].append(measured(*choose("Run", f"run_{index + 5:05d}")))
        slider = page.get_by_role("slider", name="Smoothing").first
        times["change the smoothing"].append(measured(slider.focus, lambda: page.keyboard.press("ArrowRight")))
    open_page("/")
    for index in range(repeat):
        field = page.get_by_role("textbox", name="Runs whose name matches", exact=True)
        times["change the filter"].append(measured(lambda field=field, index=index: field.fill(f"run_0{index}"), enter))
    open_page("/sweep")
    page.get_by_role("combobox", name="Hyperparameter", exact=True).click()
    page.get_by_role("option").first.wait_for(state="visible")  # read before the list is open, it holds no axis
    axes = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    for index in range(repeat if len(axes) > 1 else 0):  # each choice another axis than the one shown
        times["change the sweep axis"].append(measured(*choose("Hyperparameter", axes[(index + 1) % 2])))
    page.close()
    return {name: statistics.median(values) if values else math.nan for name, values in times.items()}


def resident_mb(server: subprocess.Popen) -> float:
    """The resident memory of the server's process tree, in MB."""
    import psutil

    root = psutil.Process(server.pid)
    return sum(process.memory_info().rss for process in [root, *root.children(recursive=True)]) / 1e6


def report(figures: dict[str, float], runs: int, steps: int) -> None:
    print(f"curvescope app on {runs:,} runs x {steps:,} steps, Chromium headless:")
    for name, value in figures.items():
        target = TARGETS.get(name)
        unit = "" if "MB" in name else " s"
        print(f"  {name:<26} {value:8.2f}{unit}" + (f"   (target {target} s)" if target else ""))


if __name__ == "__main__":
    main()
