"""Ingestion benchmark: curvescope against TensorBoard's EventAccumulator and tbparse.

    python benchmarks/ingest.py [--scale FLOAT] [--repeat N] [--slow-repeat N] [--data DIR] [--json OUT]

Generates two TensorBoard corpora (see ``_corpus.py``), reads each with the three readers
in turn (A, B, C, A, B, C, ...), each read in a fresh process, and prints per corpus the
median time, the throughput, curvescope's speed-up over each peer and the peak memory per
scalar. Exits 1 when the readers disagree on the points read or a reader fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from _corpus import CORPORA, Shape, ensure_corpus

HERE = Path(__file__).resolve().parent
READERS = ("curvescope", "event-accumulator", "tbparse")
PEERS = READERS[1:]
SLOW_CORPUS = "few-huge"
SPEEDUP_TARGET = 20.0
"""curvescope's throughput over EventAccumulator's, on every corpus."""
BYTES_PER_SCALAR_TARGET = 80.0
"""curvescope's peak memory growth per scalar, on few-huge."""
KEY = ["run", "tag", "step"]
MEMORY_METHOD = (
    "peak RSS growth of the read: the process's high-water RSS after the read minus after imports"
    " (VmHWM; ru_maxrss would count the parent's RSS, inherited at exec), in a fresh process per"
    " measurement; includes pages of memory-mapped files"
)


# --- the readers, each run in a worker process ---------------------------------------------


def curvescope_reader():
    """``curvescope.read(path).scalars``, or None before that API exists."""
    import curvescope

    if not hasattr(curvescope, "read"):
        return None
    return lambda root: (curvescope.read(root).scalars, {})


def event_accumulator_reader():
    """An EventAccumulator per run directory, keeping every scalar and tensor."""
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.util import tensor_util

    def read(root: Path):
        chunks = []
        for run_dir in sorted({path.parent for path in root.rglob("*tfevents*")}):
            accumulator = ea.EventAccumulator(str(run_dir), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
            accumulator.Reload()
            run = run_dir.relative_to(root).as_posix()
            tags = accumulator.Tags()
            for tag in tags[ea.SCALARS]:
                events = accumulator.Scalars(tag)
                chunks.append((run, tag, events, [event.value for event in events]))
            for tag in tags[ea.TENSORS]:
                if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
                    events = accumulator.Tensors(tag)
                    chunks.append((run, tag, events, [tensor_util.make_ndarray(e.tensor_proto).item() for e in events]))
        return _frame(chunks), {}

    return read


def _frame(chunks) -> pd.DataFrame:
    """A tidy frame from ``(run, tag, events, values)`` chunks of one run's tag."""
    sizes = [len(values) for _, _, _, values in chunks]
    runs = sorted({run for run, *_ in chunks})
    tags = sorted({tag for _, tag, *_ in chunks})
    run_codes = np.repeat([runs.index(run) for run, *_ in chunks], sizes)
    tag_codes = np.repeat([tags.index(tag) for _, tag, *_ in chunks], sizes)
    return pd.DataFrame(
        {
            "run": pd.Categorical.from_codes(run_codes, categories=runs),
            "tag": pd.Categorical.from_codes(tag_codes, categories=tags),
            "step": np.array([e.step for _, _, events, _ in chunks for e in events], dtype=np.int64),
            "wall_time": np.array([e.wall_time for _, _, events, _ in chunks for e in events], dtype=np.float64),
            "value": np.array([v for *_, values in chunks for v in values], dtype=np.float64),
        }
    )


def tbparse_reader():
    """``SummaryReader(path, pivot=False)``: ``.scalars`` plus the 0-d values of ``.tensors``.

    tbparse's ``.scalars`` holds only TF1 ``simple_value`` scalars; TF2 scalars are tensors,
    next to histogram and image tensors (arrays, dropped here).
    """
    from tbparse import SummaryReader

    def read(root: Path):
        reader = SummaryReader(str(root), pivot=False, extra_columns={"dir_name", "wall_time"})
        scalars, tensors = reader.scalars, reader.tensors
        tensors = tensors[tensors["value"].map(np.ndim) == 0].astype({"value": "float64"})
        frame = pd.concat([scalars, tensors], ignore_index=True).rename(columns={"dir_name": "run"})
        return frame, {"from_scalars": len(scalars), "from_tensors": len(tensors)}

    return read


LOADERS = {"curvescope": curvescope_reader, "event-accumulator": event_accumulator_reader, "tbparse": tbparse_reader}


def measure(reader: str, root: Path, dump: Path | None) -> dict:
    """Import ``reader``'s library, then time one read of ``root`` and its memory growth."""
    read = LOADERS[reader]()
    if read is None:
        return {"skipped": "curvescope.read does not exist yet"}
    before = peak_rss()
    cpu = _cpu_seconds()
    start = time.perf_counter()
    frame, notes = read(root)
    seconds = time.perf_counter() - start
    result = {
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu,
        "scalars": len(frame),
        "peak_rss_growth": peak_rss() - before,
        **notes,
    }
    if dump is not None:
        save_points(frame, dump)
    return result


def peak_rss() -> int:
    """This process image's high-water resident set size, in bytes."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def save_points(frame: pd.DataFrame, path: Path) -> None:
    """The (run, tag, step, value) points of ``frame``, as codes and arrays."""
    run, tag = pd.Categorical(frame["run"]), pd.Categorical(frame["tag"])
    np.savez(
        path,
        run=run.codes,
        runs=np.array(run.categories, dtype=str),
        tag=tag.codes,
        tags=np.array(tag.categories, dtype=str),
        step=frame["step"].to_numpy(np.int64),
        value=frame["value"].to_numpy(np.float64),
    )


def load_points(path: Path) -> pd.DataFrame:
    with np.load(path) as points:
        return pd.DataFrame(
            {
                "run": pd.Categorical.from_codes(points["run"], categories=points["runs"].tolist()),
                "tag": pd.Categorical.from_codes(points["tag"], categories=points["tags"].tolist()),
                "step": points["step"],
                "value": points["value"],
            }
        )


def worker_main(reader: str, root: str, dump: str | None) -> int:
    """Print one JSON line: the measurement, or the reader's error."""
    try:
        result = measure(reader, Path(root), Path(dump) if dump else None)
    except Exception as exc:
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


# --- the benchmark --------------------------------------------------------------------------


def run_worker(reader: str, root: Path, dump: Path | None) -> dict:
    """One measurement in a fresh process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", reader, "--root", str(root)]
    if dump is not None:
        command += ["--dump", str(dump)]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"error": f"worker exited with {done.returncode}: {done.stderr.strip()[-2000:]}"}
    return json.loads(lines[-1])


def bench_corpus(shape: Shape, root: Path, repeats: dict[str, int], scratch: Path) -> dict:
    """Interleaved repetitions of every reader on one corpus, and whether they agree."""
    warm_page_cache(root)
    runs: dict[str, list[dict]] = {reader: [] for reader in READERS}
    skipped: dict[str, str] = {}
    errors: dict[str, str] = {}
    for repetition in range(max(repeats.values())):
        for reader in READERS:
            if repetition >= repeats[reader] or reader in skipped or reader in errors:
                continue
            dump = scratch / f"{shape.name}-{reader}.npz" if repetition == 0 else None
            result = run_worker(reader, root, dump)
            for problems, key in ((skipped, "skipped"), (errors, "error")):
                if key in result:
                    problems[reader] = result[key]
                    progress(f"[{shape.name}] {reader} {key}: {result[key]}")
            if reader in skipped or reader in errors:
                continue
            runs[reader].append(result)
            progress(f"[{shape.name}] repetition {repetition + 1}: {reader} {result['seconds']:.2f} s")
    figures = {reader: summarise(results) for reader, results in runs.items() if results}
    add_speedups(figures)
    compared = [reader for reader in READERS if reader in figures]
    difference = first_difference({reader: load_points(scratch / f"{shape.name}-{reader}.npz") for reader in compared})
    return {
        "shape": asdict(shape),
        "readers": figures,
        "skipped": skipped,
        "errors": errors,
        "compared": compared,
        "difference": difference,
        "targets": targets(shape, figures),
    }


def warm_page_cache(root: Path) -> None:
    """Read every file once, so that no reader pays for the first read from disk."""
    for path in root.rglob("*"):
        if path.is_file():
            path.read_bytes()


def summarise(results: list[dict]) -> dict:
    """Median time and throughput; the largest memory growth seen."""
    seconds = statistics.median(result["seconds"] for result in results)
    scalars = results[0]["scalars"]
    growth = max(result["peak_rss_growth"] for result in results)
    extra = {key: value for key, value in results[0].items() if key.startswith("from_")}
    return {
        "repetitions": len(results),
        "seconds": [result["seconds"] for result in results],
        "median_seconds": seconds,
        "cpu_seconds": statistics.median(result["cpu_seconds"] for result in results),
        "scalars": scalars,
        "scalars_per_second": scalars / seconds,
        "peak_rss_growth": growth,
        "bytes_per_scalar": growth / max(scalars, 1),
        **extra,
    }


def add_speedups(figures: dict[str, dict]) -> None:
    """curvescope's throughput over each peer's."""
    if "curvescope" not in figures:
        return
    ours = figures["curvescope"]["scalars_per_second"]
    for reader in PEERS:
        if reader in figures:
            figures[reader]["curvescope_speedup"] = ours / figures[reader]["scalars_per_second"]


def targets(shape: Shape, figures: dict[str, dict]) -> dict:
    """Each target that applies to this corpus: its bound, the figure, and whether it is met."""
    found = {}
    speedup = figures.get("event-accumulator", {}).get("curvescope_speedup")
    found["speedup_over_event_accumulator"] = {
        "at_least": SPEEDUP_TARGET,
        "measured": speedup,
        "met": speedup is not None and speedup >= SPEEDUP_TARGET,
    }
    if shape.name == SLOW_CORPUS:
        per_scalar = figures.get("curvescope", {}).get("bytes_per_scalar")
        found["curvescope_bytes_per_scalar"] = {
            "below": BYTES_PER_SCALAR_TARGET,
            "measured": per_scalar,
            "met": per_scalar is not None and per_scalar < BYTES_PER_SCALAR_TARGET,
        }
    return found


def first_difference(points: dict[str, pd.DataFrame]) -> str | None:
    """The first (run, tag, step) whose points differ between readers (NaN equals NaN), or None."""
    if len(points) < 2:
        return None
    _share_categories(points)
    for reader, frame in points.items():
        repeated = frame[frame.duplicated(KEY)]
        if len(repeated):
            return f"{reader} returns {_where(repeated.iloc[0])} more than once"
    (reference, ours), *others = points.items()
    for reader, theirs in others:
        merged = ours.merge(theirs, on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
        a, b = merged["value_a"].to_numpy(), merged["value_b"].to_numpy()
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        bad = merged[(merged["_merge"] != "both").to_numpy() | ~same]
        if len(bad):
            row = bad.sort_values(KEY).iloc[0]
            counts = f" ({reference}: {len(ours):,} points, {reader}: {len(theirs):,})"
            if row["_merge"] == "left_only":
                return f"{_where(row)}: {reference} has {row['value_a']!r}, {reader} has no such point{counts}"
            if row["_merge"] == "right_only":
                return f"{_where(row)}: {reader} has {row['value_b']!r}, {reference} has no such point{counts}"
            return f"{_where(row)}: {reference} has {row['value_a']!r}, {reader} has {row['value_b']!r}"
    return None


def _share_categories(points: dict[str, pd.DataFrame]) -> None:
    for column in ("run", "tag"):
        categories = sorted(set().union(*(frame[column].cat.categories for frame in points.values())))
        for frame in points.values():
            frame[column] = frame[column].cat.set_categories(categories)


def _where(row) -> str:
    return f"run {row['run']!r} tag {row['tag']!r} step {row['step']}"


# --- output ---------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report(name: str, manifest: dict, corpus: dict) -> str:
    """The table of one corpus, its targets, and what the comparison found."""
    shape = corpus["shape"]
    size = sum(manifest["files"].values())
    lines = [
        f"{name}: {shape['runs']:,} runs x {shape['tags']} tags x {shape['steps']:,} steps = {manifest['scalars']:,} scalars"
        f" ({manifest['tensor_scalars']:,} TF2 tensors, {manifest['nan']} NaN), {size / 1e6:,.1f} MB of event files",
        f"  {'reader':<18}{'reps':>5}{'scalars read':>14}{'median s':>10}{'scalars/s':>13}"
        f"{'curvescope x':>14}{'peak RSS growth':>17}{'bytes/scalar':>14}",
    ]
    for reader, figures in corpus["readers"].items():
        speedup = figures.get("curvescope_speedup")
        lines.append(
            f"  {reader:<18}{figures['repetitions']:>5}{figures['scalars']:>14,}{figures['median_seconds']:>10.2f}"
            f"{figures['scalars_per_second']:>13,.0f}{(f'{speedup:.1f}x' if speedup else '-'):>14}"
            f"{figures['peak_rss_growth'] / 1e6:>14,.1f} MB{figures['bytes_per_scalar']:>14.1f}"
        )
    for reader, problem in {**corpus["skipped"], **corpus["errors"]}.items():
        lines.append(f"  {reader}: not measured: {problem}")
    for label, target in corpus["targets"].items():
        bound = f">= {target['at_least']:g}x" if "at_least" in target else f"< {target['below']:g}"
        if target["measured"] is None:
            outcome = "not measured"
        else:
            outcome = f"{target['measured']:.1f} {'met' if target['met'] else 'NOT MET'}"
        lines.append(f"  target {label.replace('_', ' ')} {bound}: {outcome}")
    tbparse = corpus["readers"].get("tbparse")
    if tbparse:
        lines.append(
            f"  tbparse: .scalars held {tbparse['from_scalars']:,} (TF1 simple_value only); .tensors added the"
            f" {tbparse['from_tensors']:,} TF2 tensor scalars, without which it would undercount"
        )
    compared = ", ".join(corpus["compared"])
    if corpus["difference"]:
        lines.append(f"  DISAGREEMENT among {compared}: {corpus['difference']}")
    else:
        lines.append(f"  agreement: {compared} return the same (run, tag, step, value) points (NaN-aware)")
    return "\n".join(lines)


def versions() -> dict[str, str]:
    packages = ("curvescope", "tensorboard", "tbparse", "protobuf", "numpy", "pandas")
    return {"python": platform.python_version(), **{package: version(package) for package in packages}}


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink both corpora's runs and steps (e.g. 0.05)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per reader and corpus (median reported)")
    parser.add_argument(
        "--slow-repeat",
        type=int,
        default=1,
        help=f"repetitions of the peers on {SLOW_CORPUS}, minutes each at full scale (default 1)",
    )
    parser.add_argument("--data", type=Path, default=HERE / ".data", help="where the corpora are generated")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--worker", choices=READERS, help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args.worker, args.root, args.dump)
    results = {"memory_method": MEMORY_METHOD, "scale": args.scale, "versions": versions(), "corpora": {}}
    failed = False
    with tempfile.TemporaryDirectory(prefix="curvescope-bench-") as scratch:
        for shape in (base.scaled(args.scale) for base in CORPORA):
            progress(f"[{shape.name}] corpus {shape.dirname}")
            root, manifest = ensure_corpus(shape, args.data)
            repeats = {reader: args.repeat for reader in READERS}
            if shape.name == SLOW_CORPUS:
                repeats.update({reader: args.slow_repeat for reader in PEERS})
            corpus = bench_corpus(shape, root, repeats, Path(scratch))
            results["corpora"][shape.name] = corpus
            print(report(shape.name, manifest, corpus), flush=True)
            print(flush=True)
            failed |= bool(corpus["difference"] or corpus["errors"])
    print("curvescope x: curvescope's scalars/s over the reader's.")
    print(f"memory: {MEMORY_METHOD}.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
