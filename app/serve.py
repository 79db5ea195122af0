"""The app's server, as ``curvescope app`` starts it: ``streamlit run`` with the same arguments, while a thread
begins the audit of the folder the app was started on (curvescope and the pages' modules imported, the learned
model loaded unless the cache knows the audit), as the first look at the overview would: that look would
otherwise wait seconds for them."""

from __future__ import annotations

import sys
import threading

from streamlit.web import cli


def warm_up(argv: list[str]) -> None:
    import components

    components.audit_started_folder(argv)


if __name__ == "__main__":
    started = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    threading.Thread(target=warm_up, args=(started,), name="warm-up", daemon=True).start()
    sys.exit(cli.main(prog_name="streamlit"))
