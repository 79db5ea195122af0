"""Where an audit's tasks run: in this process, in worker processes, or on a Dask cluster.

Each backend asks for the tasks cut for its number of workers, takes them lazily and keeps
only a few in flight per worker, yielding each result as it is done, so an audit of any number
of runs holds a few tasks' scalars at a time.
The audit's settings (rules, learned model, cache location) go to each worker once.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..errors import CurvescopeError, InvalidParameterError
from .tasks import Settings, Task, TaskResult, run_task, start_worker

IN_FLIGHT = 2
"""Tasks given to each worker ahead of the one it is on."""


Plan = Callable[[int], Iterator[Task]]
"""The tasks of an audit, cut for a number of workers."""


def in_process(plan: Plan, settings: Settings) -> Iterator[TaskResult]:
    for task in plan(1):
        yield run_task(task, settings)


def in_processes(plan: Plan, settings: Settings, jobs: int) -> Iterator[TaskResult]:
    """Tasks on ``jobs`` worker processes started for this audit (forked from a server that has
    curvescope imported, where the platform allows)."""
    method = "forkserver" if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["curvescope.scale.tasks"])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=start_worker, initargs=(settings,)) as pool:
        pending = set()
        try:
            for task in plan(jobs):
                if len(pending) >= jobs * IN_FLIGHT:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
                pending.add(pool.submit(run_task, task))
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        except (BrokenProcessPool, BrokenPipeError) as exc:
            raise CurvescopeError(
                f"a worker process died during the audit ({exc}); run with fewer --jobs, or with one, to see which run caused it."
            ) from None
        finally:
            for future in pending:
                future.cancel()


def on_dask(plan: Plan, settings: Settings, scheduler) -> Iterator[TaskResult]:
    """Tasks on a Dask cluster: ``scheduler`` is its address or a ``distributed.Client``."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InvalidParameterError("The 'scheduler' parameter needs Dask distributed: pip install 'curvescope[dask]'.") from None
    own = not isinstance(scheduler, Client)
    if own and not isinstance(scheduler, str):
        raise InvalidParameterError(
            f"The 'scheduler' parameter of audit must be a scheduler address "
            f"('tcp://host:8786') or a distributed.Client. Got {type(scheduler).__name__} instead."
        )
    if own:
        _check_address(scheduler)
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False) if own else scheduler
    except (OSError, TimeoutError) as exc:
        raise CurvescopeError(f"{scheduler}: cannot reach the Dask scheduler ({exc}).") from None
    try:
        workers = max(1, sum(client.nthreads().values()))
        shared = client.scatter(settings, broadcast=True, hash=False)
        queue = plan(workers)
        first = [client.submit(run_task, task, shared, pure=False) for task in _take(queue, workers * IN_FLIGHT)]
        if not first:
            return
        running = as_completed(first, loop=client.loop)
        for future in running:
            yield future.result()
            future.release()
            for task in _take(queue, 1):
                running.add(client.submit(run_task, task, shared, pure=False))
    finally:
        if own:
            client.close()


def _check_address(address: str) -> None:
    """A scheduler address that cannot be one is an error at once: a client made for it fails only
    after its timeout, and then again, with a traceback, when it is collected."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)
    except ValueError as exc:
        raise InvalidParameterError(
            f"{address}: not a Dask scheduler address ({exc}); give one like tcp://dask-head:8786."
        ) from None


def _take(tasks: Iterator[Task], count: int) -> list[Task]:
    taken = []
    for task in tasks:
        taken.append(task)
        if len(taken) == count:
            break
    return taken


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
