"""``curvescope app``: its errors, the Streamlit command it runs, and a server that never outlives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import curvescope
from curvescope.cli import app, app_command
from curvescope.report.drawing import badge_theme
from tests.conftest import FIXTURES, ROOT


def invoke(*args):
    return CliRunner().invoke(app, ["app", *map(str, args)])


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """curvescope as if installed from a wheel: the package in site-packages, no app/ beside it."""
    package = tmp_path / "site-packages" / "curvescope"
    package.mkdir(parents=True)
    monkeypatch.setattr(curvescope, "__file__", str(package / "__init__.py"))
    return package.parent


@pytest.fixture
def served(monkeypatch, installed):
    """A checkout with an app in it, and the command that would have been run instead of running it."""
    (installed / "app").mkdir()
    (installed / "app" / "streamlit_app.py").write_text("")
    commands = []
    monkeypatch.setattr(app_command, "serve", lambda command: commands.append(command) or 0)
    return commands


def test_a_missing_path_is_one_line_and_exit_two(tmp_path):
    result = invoke(tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    expected = f"error: {tmp_path / 'nope'}: no such file or directory. Pass a log directory or a log file."
    assert result.stderr.strip().splitlines() == [expected]


def test_a_missing_app_says_it_ships_with_the_checkout(installed):
    result = invoke(FIXTURES / "demo")
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {installed / 'app' / 'streamlit_app.py'}: no such file.")
    assert "source checkout" in line and "pip install -e ." in line


def test_the_app_is_found_beside_the_package_in_a_checkout():
    assert app_command.app_script() == ROOT / "app" / "streamlit_app.py"


def test_serves_headless_on_loopback_port_8501_by_default(served, installed):
    result = invoke()
    assert result.exit_code == 0, result.output
    [command] = served
    app = installed / "app"
    assert command[:4] == [sys.executable, str(app / "serve.py"), "run", str(app / "streamlit_app.py")]
    options = dict(zip(command[4:-1:2], command[5:-1:2]))
    assert options == {
        "--server.headless": "true",
        "--server.address": "127.0.0.1",
        "--server.port": "8501",
        "--browser.gatherUsageStats": "false",
        "--server.fileWatcherType": "none",
        "--runner.postScriptGC": "false",
        "--client.toolbarMode": "viewer",
        **badge_theme(),
    }
    assert command[-1] == "--", "no PATH: the app shows the demo"


def test_passes_the_path_host_and_port(served):
    result = invoke(FIXTURES / "demo", "--port", 8600, "--host", "0.0.0.0")
    assert result.exit_code == 0, result.output
    [command] = served
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    assert command[-2:] == ["--", str(FIXTURES / "demo")]


def test_passes_the_audits_options_as_the_app_reads_them(served):
    from curvescope.settings import AuditSettings

    result = invoke(
        FIXTURES / "demo",
        "--role",
        "val_loss=eval/loss",
        "--select",
        "CS2,CS401",
        "--ignore",
        "CS3",
        "--classes",
        10,
        "--no-model",
    )
    assert result.exit_code == 0, result.output
    [command] = served
    after = command[command.index("--") + 1 :]
    assert after[0] == str(FIXTURES / "demo")
    settings = AuditSettings.from_argv(after[1:])
    assert settings.audit_options() == {
        "roles": {"val_loss": "eval/loss"},
        "select": ["CS2", "CS401"],
        "ignore": ["CS3"],
        "classes": 10,
        "model": False,
    }


@pytest.mark.parametrize("args", [["--role", "val_loss"], ["--classes", "1"]])
def test_bad_audit_options_are_refused_before_serving(served, args):
    assert invoke(FIXTURES / "demo", *args).exit_code == 2
    assert served == []


@pytest.mark.parametrize("port", [0, 65536])
def test_a_port_out_of_range_is_a_usage_error(served, port):
    assert invoke("--port", port).exit_code == 2
    assert served == []


def test_the_exit_code_is_the_servers():
    assert app_command.serve([sys.executable, "-c", "raise SystemExit(3)"]) == 3


# A stand-in server: writes its pid, stops cleanly on SIGINT or SIGTERM.
_SERVER = """
import signal, sys, time
from pathlib import Path
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
Path(sys.argv[1]).write_text(str(__import__("os").getpid()))
try:
    time.sleep(60)
except KeyboardInterrupt:
    sys.exit(0)
"""

# curvescope's serve() around the stand-in, as `curvescope app` runs Streamlit.
_WRAPPER = """
import sys
from curvescope.cli.app_command import serve
sys.exit(serve([sys.executable, "-c", {server!r}, sys.argv[1]]))
"""


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="process groups and SIGTERM are POSIX")
@pytest.mark.parametrize("how", ["ctrl-c", "sigint", "sigterm"])
def test_the_server_stops_with_the_command(tmp_path, how):
    pidfile = tmp_path / "server.pid"
    wrapper = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER.format(server=textwrap.dedent(_SERVER)), str(pidfile)],
        cwd=ROOT,
        start_new_session=True,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        server = _pid(pidfile, wrapper)
        if how == "ctrl-c":  # a terminal sends SIGINT to the whole foreground group
            os.killpg(wrapper.pid, signal.SIGINT)
        else:
            wrapper.send_signal(signal.SIGINT if how == "sigint" else signal.SIGTERM)
        assert wrapper.wait(timeout=20) == 0
        assert "Traceback" not in wrapper.stderr.read()
        assert not _alive(server), "the server outlived curvescope app"
    finally:
        if wrapper.poll() is None:
            os.killpg(wrapper.pid, signal.SIGKILL)
            wrapper.wait()


def _pid(pidfile: Path, wrapper: subprocess.Popen) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and wrapper.poll() is None:
        if pidfile.exists() and pidfile.read_text():
            return int(pidfile.read_text())
        time.sleep(0.05)
    pytest.fail(f"the stand-in server did not start: {wrapper.stderr.read() if wrapper.poll() is not None else ''}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its reaper counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))
