"""``curvescope app``: the Streamlit app over a log directory, served headless on this machine."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

import curvescope

from ..errors import CurvescopeError, LogdirNotFound
from ..report.drawing import badge_theme
from ..settings import AuditSettings, parse_codes, parse_roles
from .common import DEBUG_HELP, ClassesOption, IgnoreOption, NoModelOption, RoleOption, SelectOption, app, guarded

_EXAMPLES = """Examples:

  curvescope app     (the demo runs, at http://127.0.0.1:8501)

  curvescope app runs/ --port 8600

  curvescope app runs/ --role val_loss=eval/loss --classes 10 --no-model     (the audit's settings)

  curvescope app runs/ --host 0.0.0.0     (other machines can reach it: only on a network you trust)

Ctrl-C stops the server. The app ships with the source checkout: pip install -e . from a clone."""

# After Ctrl-C: how long the server may take to stop on its own, after being passed the SIGINT,
# then after SIGTERM, before it is killed.
_GRACE_SECONDS = (1.0, 5.0, 5.0)


def app_script() -> Path:
    """Where the Streamlit app sits: beside the package, in the source checkout."""
    return Path(curvescope.__file__).resolve().parents[1] / "app" / "streamlit_app.py"


@app.command("app", epilog=_EXAMPLES)
def app_command(
    path: Annotated[
        Path | None, typer.Argument(help="A log directory (or one log file). Without it, the demo runs.", show_default=False)
    ] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Serve on this port.")] = 8501,
    host: Annotated[str, typer.Option("--host", help="Listen on this address (loopback: this machine only).")] = "127.0.0.1",
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    role: RoleOption = None,
    classes: ClassesOption = None,
    no_model: NoModelOption = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Browse the runs below PATH in the curvescope app: every run's labels, curves and evidence.

    The app audits them as ``curvescope audit`` would with the same --role, --select, --ignore,
    --classes and --no-model."""
    outcome = {"code": 0}

    def work() -> None:
        if path is not None and not path.exists():
            hint = " (a broken symlink)" if path.is_symlink() else ""
            raise LogdirNotFound(f"{path}: no such file or directory{hint}. Pass a log directory or a log file.")
        script = app_script()
        if not script.is_file():
            raise CurvescopeError(
                f"{script}: no such file. The app ships with the source checkout, not the installed package; "
                "install curvescope with `pip install -e .` from a clone of the repository."
            )
        settings = AuditSettings.of(parse_roles(role or []), parse_codes(select), parse_codes(ignore), classes, not no_model)
        outcome["code"] = serve(_command(script, path, settings, host=host, port=port))

    guarded(work, debug)
    raise typer.Exit(outcome["code"])


def _command(script: Path, path: Path | None, settings: AuditSettings, *, host: str, port: int) -> list[str]:
    """``streamlit run`` through the app's ``serve.py``, which makes the first audit ready as the server starts.
    Streamlit's watch of the app's source is off (it looked at every imported module's file again for each new
    page view, a second of the server's time with curvescope's imports, to reload a script nobody edits here),
    and so is its full garbage collection after every rerun (a tenth of a second with a large audit in memory,
    which holds up the rerun's last messages; Python still collects on its own). The toolbar is a viewer's:
    no "Deploy" button offering to publish the user's logs."""
    return [
        sys.executable,
        str(script.parent / "serve.py"),
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--runner.postScriptGC",
        "false",
        "--client.toolbarMode",
        "viewer",
        *(part for option in badge_theme().items() for part in option),
        "--",
        *([str(path)] if path is not None else []),
        *settings.to_argv(),
    ]


def serve(command: list[str]) -> int:
    """Run the server until it stops; Ctrl-C and termination reach it, and it never outlives this process.

    Returns its exit code (a signal that ended it counts as 128 + the signal's number).
    """
    children: list[subprocess.Popen] = []
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                previous[getattr(signal, name)] = signal.signal(getattr(signal, name), forward)
    try:
        child = subprocess.Popen(command)
        children.append(child)
        if received:  # it came while the server was starting
            child.send_signal(received[0])
        try:
            code = child.wait()
        except KeyboardInterrupt:
            # A terminal's Ctrl-C reaches the whole process group, so the server is usually stopping
            # already; a SIGINT sent to this process alone is passed on once it has had time to.
            code = _stop(child)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    return 128 - code if code < 0 else code


def _stop(child: subprocess.Popen) -> int:
    for ask, grace in zip((lambda: None, lambda: child.send_signal(signal.SIGINT), child.terminate), _GRACE_SECONDS):
        ask()
        try:
            return _wait_ignoring_interrupts(child, grace)
        except subprocess.TimeoutExpired:
            continue
    child.kill()
    return child.wait()


def _wait_ignoring_interrupts(child: subprocess.Popen, timeout: float) -> int:
    """Wait for the server; a second Ctrl-C while it stops does not leave it running."""
    try:
        return child.wait(timeout=timeout)
    except KeyboardInterrupt:
        child.kill()
        return child.wait()
