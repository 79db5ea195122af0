"""The app's server, as ``curvescope app`` starts it: ``streamlit run`` with the same arguments, while a thread
makes ready what the first look at a folder needs (curvescope and the pages' modules imported, the learned model
loaded unless the cache knows it); the first audit would otherwise wait seconds for them before it begins."""

from __future__ import annotations

import sys
import threading

from streamlit.web import cli


def warm_up(model: bool) -> None:
    import components  # noqa: F401  (curvescope, and what the pages import)

    from curvescope.audit import load_model

    if model:
        load_model()


if __name__ == "__main__":
    threading.Thread(target=warm_up, args=("--no-model" not in sys.argv,), name="warm-up", daemon=True).start()
    sys.exit(cli.main(prog_name="streamlit"))
