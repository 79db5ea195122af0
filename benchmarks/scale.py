"""Scale benchmark: audits of a generated directory of many runs, cold and warm, in one and two processes and on Dask.

    python benchmarks/scale.py [--runs 10000] [--small 1000] [--steps 1000] [--dir DIR] [--repeat K] [--skip-dask] [--json OUT]

Generates (once, see ``make_runs.py``) a directory of ``--runs`` runs and one of ``--small``
runs, then audits them, each audit in a fresh process: cold (no cache) with one job and with
two, cold into an empty cache and warm from it, cold with one job on the small directory, and
on a Dask ``LocalCluster`` of two worker processes. Prints the ratios (speed-up of two jobs,
warm over cold, peak memory of ``--runs`` over ``--small`` runs, Dask over in-process), the
absolute figures, and how the cold one-job audit's time splits between reading, features,
diagnosis and the rest of the process. Exits 1 when an audit fails, misses runs, or reports
differently from the cold one-job audit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import psutil

# Nothing heavy at the top: Dask's worker processes import this script again.

WARM_TARGET = 20.0
"""The warm re-audit at least this many times faster than the cold one."""
FLAT_MEMORY = 1.2
"""Peak memory at --runs runs over at --small runs, at most: flat."""
POLL_SECONDS = 0.2
"""How often the memory of an audit's process tree is sampled."""
STAGES = ("reading", "features", "diagnosis")
MEMORY_METHOD = (
    "peak RSS: the audit process's high-water resident set (VmHWM) after the audit, imports included;"
    " growth: from just before the audit; tree peak: the largest sum of the proportional set sizes (PSS,"
    f" shared pages split between their sharers) of the process and its children, sampled every {POLL_SECONDS} s"
)


@dataclass(frozen=True)
class Audit:
    """One configuration of ``curvescope.audit``, measured in a fresh process."""

    name: str
    label: str
    corpus: str = "large"
    jobs: int = 1
    cache: str = "off"
    """``off``, ``fresh`` (an empty cache folder) or ``reuse`` (the folder the previous audit filled)."""
    dask: bool = False


AUDITS = (
    Audit("cold", "cold, 1 job, no cache"),
    Audit("cold-2-jobs", "cold, 2 jobs, no cache", jobs=2),
    Audit("cold-cached", "cold, 1 job, into an empty cache", cache="fresh"),
    Audit("warm", "warm re-audit, 1 job, same cache", cache="reuse"),
    Audit("cold-small", "cold, 1 job, no cache, small directory", corpus="small"),
    Audit("dask", "cold, Dask LocalCluster (2 worker processes), no cache", dask=True),
)


# --- one audit, in a worker process ---------------------------------------------------------


def measure(root: str, jobs: int, cache: str | None, dask: bool, launched: float) -> dict:
    """Audit ``root`` and time each part of this process's life."""
    started, clock = time.time(), time.perf_counter()
    import curvescope

    imported = time.perf_counter()
    cluster = client = None
    if dask:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    clustered = time.perf_counter()
    before = peak_rss()
    report = curvescope.audit(root, jobs=jobs, scheduler=client, cache=cache or False)
    audited = time.perf_counter()
    peak = peak_rss()
    if client is not None:
        client.close()
        cluster.close()
    return {
        "startup_seconds": started - launched,
        "import_seconds": imported - clock,
        "cluster_seconds": clustered - imported,
        "audit_seconds": audited - clustered,
        "stage_seconds": {stage: report.seconds.get(stage, 0.0) for stage in STAGES},
        "runs": len(report),
        "labels": report.counts(),
        "digest": digest(report),
        "peak_rss": peak,
        "peak_rss_growth": peak - before,
    }


def digest(report) -> str:
    """A hash of the report's JSON form, built run by run so as not to hold it all."""
    hashed = hashlib.sha256(json.dumps([report.settings, report.counts()], sort_keys=True).encode())
    for part in (*report.runs, *report.findings):
        hashed.update(json.dumps(part.to_dict(), sort_keys=True).encode())
    return hashed.hexdigest()


def peak_rss() -> int:
    """This process's high-water resident set size, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def worker_main(args: argparse.Namespace) -> int:
    result = measure(args.root, args.jobs, args.cache, args.dask, args.launched)
    print(json.dumps(result))
    return 0


# --- the benchmark --------------------------------------------------------------------------


def prepare(folder: Path, runs: dict[str, int], steps: int) -> dict[str, tuple[Path, dict]]:
    """Each corpus's directory and manifest, generated unless already there, its files read
    once (into the page cache) and old enough for the cache to trust them."""
    from make_runs import MANIFEST, ensure_runs

    from curvescope.scale.cache import SETTLE_SECONDS

    corpora = {}
    for name, count in runs.items():
        root = folder / f"runs-{count}"
        progress(f"[{name}] {root}: {count:,} runs")
        manifest = ensure_runs(root, count, steps)
        size = manifest["bytes"] / 1e6
        progress(f"[{name}] {manifest['files']:,} files, {size:,.0f} MB, generated in {manifest['seconds']:.0f} s")
        read_all(root)
        age = time.time() - (root / MANIFEST).stat().st_mtime
        time.sleep(max(0.0, SETTLE_SECONDS + 0.5 - age))
        corpora[name] = (root, manifest)
    return corpora


def read_all(root: Path) -> None:
    for folder, _, names in os.walk(root):
        for name in names:
            Path(folder, name).read_bytes()


def run_audit(audit: Audit, root: Path, cache: Path | None) -> dict:
    """One audit in a fresh process, the memory of its process tree sampled meanwhile."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--root",
        str(root),
        "--jobs",
        str(audit.jobs),
        "--launched",
        repr(time.time()),
    ]
    command += ["--cache", str(cache)] if cache is not None else []
    command += ["--dask"] if audit.dask else []
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        launched = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        tree_peak = 0
        while process.poll() is None:
            tree_peak = max(tree_peak, tree_pss(process.pid))
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - launched
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        if process.returncode or not lines:
            return {"error": f"exit {process.returncode}: {err.read().strip()[-2000:]}"}
    return {**json.loads(lines[-1]), "process_seconds": wall, "tree_peak_pss": tree_peak}


def tree_pss(pid: int) -> int:
    """Proportional set size of a process and its descendants, in bytes (0 once it is gone): unlike
    RSS, pages shared after a fork count once."""
    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except psutil.Error:
            pass
    return total


def bench(audits: tuple[Audit, ...], corpora: dict[str, tuple[Path, dict]], repeat: int) -> dict[str, list[dict]]:
    """Every audit ``repeat`` times, interleaved; each repetition's warm audit reuses its cold one's cache
    (about 1.6 GB at 10,000 runs, deleted after the repetition)."""
    results: dict[str, list[dict]] = {audit.name: [] for audit in audits}
    with tempfile.TemporaryDirectory(prefix="curvescope-scale-") as scratch:
        for repetition in range(repeat):
            cache = Path(scratch, f"cache-{repetition}")
            for audit in audits:
                result = run_audit(audit, corpora[audit.corpus][0], None if audit.cache == "off" else cache)
                results[audit.name].append(result)
                outcome = result.get("error") or (
                    f"{result['audit_seconds']:.2f} s audit, {result['process_seconds']:.2f} s process"
                )
                progress(f"repetition {repetition + 1}/{repeat}: {audit.name}: {outcome}")
            shutil.rmtree(cache, ignore_errors=True)
    return results


def summarise(audit: Audit, results: list[dict], expected_runs: int) -> dict:
    """Median times, the largest peaks, and the repetition whose audit time is the median."""
    good = [result for result in results if "error" not in result]
    summary = {**asdict(audit), "repetitions": results, "errors": [r["error"] for r in results if "error" in r]}
    if not good:
        return summary
    typical = sorted(good, key=lambda result: result["audit_seconds"])[(len(good) - 1) // 2]
    return {
        **summary,
        "audit_seconds": statistics.median(result["audit_seconds"] for result in good),
        "process_seconds": statistics.median(result["process_seconds"] for result in good),
        "peak_rss": max(result["peak_rss"] for result in good),
        "peak_rss_growth": max(result["peak_rss_growth"] for result in good),
        "tree_peak_pss": max(result["tree_peak_pss"] for result in good),
        "runs": typical["runs"],
        "missing_runs": expected_runs - typical["runs"],
        "digest": typical["digest"],
        "typical": typical,
    }


def ratios(figures: dict[str, dict]) -> dict[str, dict]:
    """Each ratio the benchmark is for, with its target when it has one."""

    def ratio(slow: str, fast: str, key: str = "audit_seconds") -> float | None:
        a, b = figures.get(slow, {}).get(key), figures.get(fast, {}).get(key)
        return a / b if a is not None and b else None

    runs = " over ".join(f"{figures.get(name, {}).get('runs', 0):,}" for name in ("cold", "cold-small"))
    found = {
        "two_jobs_speedup": {"label": "speed-up: 2 jobs over 1 (cold, no cache)", "value": ratio("cold", "cold-2-jobs")},
        "warm_speedup": {
            "label": "speed-up: warm re-audit over cold (1 job, cache on)",
            "value": ratio("cold-cached", "warm"),
            "target": f">= {WARM_TARGET:g}x",
        },
        "memory_growth": {
            "label": f"peak RSS: {runs} runs (1 job, cold)",
            "value": ratio("cold", "cold-small", "peak_rss"),
            "target": f"flat (<= {FLAT_MEMORY:g})",
        },
        "dask_speedup": {"label": "speed-up: Dask, 2 workers, over in-process, 1 job (cold)", "value": ratio("cold", "dask")},
    }
    for name, bound in (("warm_speedup", lambda v: v >= WARM_TARGET), ("memory_growth", lambda v: v <= FLAT_MEMORY)):
        value = found[name]["value"]
        found[name]["met"] = value is not None and bound(value)
    return found


def split(cold: dict) -> list[tuple[str, float]]:
    """The cold 1-job audit's process wall time, part by part (its median repetition)."""
    typical = cold["typical"]
    stages = typical["stage_seconds"]
    rest = typical["audit_seconds"] - sum(stages.values())
    accounted = typical["startup_seconds"] + typical["import_seconds"] + typical["audit_seconds"]
    return [
        *((stage, seconds) for stage, seconds in stages.items()),
        ("rest of the audit: model load, discovery, report", rest),
        ("startup: interpreter, import curvescope", typical["startup_seconds"] + typical["import_seconds"]),
        ("after the audit: report digest, exit", typical["process_seconds"] - accounted),
    ]


def agreement(figures: dict[str, dict]) -> dict[str, bool]:
    """Whether each audit of the large directory reports what the cold 1-job audit reports."""
    reference = figures.get("cold", {}).get("digest")
    return {
        name: figure.get("digest") == reference
        for name, figure in figures.items()
        if name != "cold" and figure["corpus"] == "large" and reference is not None
    }


# --- output ---------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report(results: dict) -> str:
    """The markdown tables: ratios, absolute figures, the time split."""
    figures, corpora = results["audits"], results["corpora"]
    lines = [
        f"{corpora['large']['runs']:,} runs (small: {corpora['small']['runs']:,}) x 4 tags x {corpora['large']['steps']:,} steps,"
        f" {corpora['large']['bytes'] / 1e6:,.0f} MB in {corpora['large']['files']:,} files; {results['cores']} cores,"
        f" load average {results['load_average']:.2f} at the start; {results['repeat']} repetition(s) of each audit",
        "",
        "| ratio | value | target |",
        "|---|---|---|",
    ]
    for found in results["ratios"].values():
        value = "-" if found["value"] is None else f"{found['value']:.2f}x"
        target = f"{found['target']}: {'met' if found['met'] else 'NOT MET'}" if "target" in found else ""
        lines.append(f"| {found['label']} | {value} | {target} |")
    same = results["agreement"]
    lines += [
        "",
        "Reports equal to the cold 1-job audit's: "
        + (", ".join(f"{name} {'yes' if equal else 'NO'}" for name, equal in same.items()) or "-"),
        "",
    ]
    lines += [
        "| audit | runs | audit s | process s | peak RSS MB | growth MB | tree peak PSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for figure in figures.values():
        if "audit_seconds" not in figure:
            lines.append(f"| {figure['label']} | failed: {figure['errors'][0][:200]} | | | | | |")
            continue
        extra = f" (+{figure['typical']['cluster_seconds']:.1f} s cluster start)" if figure["dask"] else ""
        lines.append(
            f"| {figure['label']} | {figure['runs']:,} | {figure['audit_seconds']:.2f} | "
            f"{figure['process_seconds']:.2f}{extra} | {figure['peak_rss'] / 1e6:,.0f} | "
            f"{figure['peak_rss_growth'] / 1e6:,.0f} | {figure['tree_peak_pss'] / 1e6:,.0f} |"
        )
    if results["split"]:
        runs = figures["cold"]["runs"]
        wall = sum(seconds for _, seconds in results["split"])
        lines += ["", "| cold, 1 job: time | s | ms per run | share |", "|---|---|---|---|"]
        lines += [
            f"| {part} | {seconds:.2f} | {1000 * seconds / runs:.2f} | {seconds / wall:.1%} |"
            for part, seconds in results["split"]
        ]
        lines.append(f"| process wall | {wall:.2f} | {1000 * wall / runs:.2f} | 100% |")
    lines += ["", f"Memory: {MEMORY_METHOD}."]
    return "\n".join(lines)


def versions() -> dict[str, str]:
    packages = ("curvescope", "distributed", "numpy", "pandas", "scikit-learn")
    return {"python": platform.python_version(), **{package: version(package) for package in packages}}


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs in the large directory (default 10,000)")
    parser.add_argument("--small", type=int, default=1_000, help="runs in the small directory, for peak memory (default 1,000)")
    parser.add_argument("--steps", type=int, default=1_000, help="steps per tag (default 1,000)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir(), "curvescope-scale"),
        help="where the directories of runs are generated and kept (default: in the temp folder)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="repetitions of every audit (median reported)")
    parser.add_argument("--skip-dask", action="store_true", help="leave out the Dask LocalCluster audit")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--dask", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--launched", type=float, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args)
    audits = tuple(audit for audit in AUDITS if not (audit.dask and args.skip_dask))
    corpora = prepare(args.dir, {"large": args.runs, "small": args.small}, args.steps)
    load = os.getloadavg()[0]
    measured = bench(audits, corpora, args.repeat)
    figures = {audit.name: summarise(audit, measured[audit.name], corpora[audit.corpus][1]["runs"]) for audit in audits}
    results = {
        "versions": versions(),
        "cores": os.cpu_count(),
        "load_average": load,
        "repeat": args.repeat,
        "memory_method": MEMORY_METHOD,
        "corpora": {name: manifest for name, (_, manifest) in corpora.items()},
        "ratios": ratios(figures),
        "agreement": agreement(figures),
        "split": split(figures["cold"]) if "typical" in figures["cold"] else [],
        "audits": figures,
    }
    print(report(results), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    failed = any(figure["errors"] or figure.get("missing_runs") for figure in figures.values())
    return 1 if failed or not all(results["agreement"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
