"""Run reports draw the curves the audit judged: a log that grew is read anew, not served from memory."""

import os
import shutil

import curvescope
from curvescope.assemble.curve_store import StoredCurves
from tests.conftest import FIXTURES

KERAS = FIXTURES / "demo" / "keras" / "wine-mlp-tanh-sgd" / "training.log"


def _grow(log):
    """Append the log's last epochs again as later epochs, as a resumed Keras run would."""
    lines = log.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    last = int(rows[-1].split(",")[0])
    extra = [f"{last + 1 + i},{row.split(',', 1)[1]}" for i, row in enumerate(rows[-5:])]
    log.write_text("\n".join([header, *rows, *extra]) + "\n")
    stat = log.stat()
    os.utime(log, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    return last + len(extra)


def test_a_new_audit_draws_the_points_of_a_log_that_grew(tmp_path):
    run_dir = tmp_path / "wine"
    run_dir.mkdir()
    shutil.copy(KERAS, run_dir / "training.log")
    before = curvescope.audit(tmp_path, model=False)["wine"]
    assert before.curves["train_loss"].steps[-1] == before.numbers["last_step"]
    last = _grow(run_dir / "training.log")
    after = curvescope.audit(tmp_path, model=False)["wine"]
    assert after.numbers["last_step"] == last
    assert after.curves["train_loss"].steps[-1] == last
    assert after.curves["val_loss"].steps[-1] == last
    assert isinstance(after.curves, StoredCurves), "read again when drawn, not held"
