"""``python -m curvescope``."""

from .cli import app

app(prog_name="curvescope")
