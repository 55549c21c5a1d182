"""Where a sweep's cells run: joblib's loky process pool, or a Dask cluster.

Each worker simulates one cell at a time with one thread (loky: ``jobs // workers`` threads),
so workers x threads never exceeds the cores asked for. A worker that dies, a Dask cluster
left without workers for ``worker_timeout`` seconds, Ctrl-C and SIGTERM stop the run; the
cells already yielded are the caller's to keep.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import time
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

from simtrial.errors import InputError, SweepFailed
from simtrial.scenario import parse_scenario_data
from simtrial.sweeps.grid import Grid

__all__ = ["BACKENDS", "POLL", "WORKER_TIMEOUT", "dask_client", "execute", "require_backend",
           "simulate_cell"]

BACKENDS = ("loky", "dask")
#: Seconds a Dask cluster may have no worker before the sweep stops (``worker_timeout``).
WORKER_TIMEOUT = 60.0
#: Seconds between checks for an interrupt, a lost worker or a cluster without workers.
POLL = 0.5


def require_backend(backend: str) -> None:
    """Raise ImportError, saying what to install, if ``backend`` is not installed.

    Examples
    --------
    >>> require_backend("loky")
    """
    if backend == "dask" and importlib.util.find_spec("distributed") is None:
        raise ImportError("backend 'dask' needs dask.distributed: pip install "
                          "'dask[distributed]' (or the dask extra: pip install '.[dask]' in "
                          "simtrial's checkout)")


def dask_client(scheduler: str | None, jobs: int) -> Any:
    """A context manager giving a ``dask.distributed`` client.

    The client of the running scheduler at address `scheduler`; without one, of a local
    cluster of `jobs` single-threaded workers on 127.0.0.1, closed with the client.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler)
        except (OSError, ValueError) as exc:  # unreachable (TimeoutError) or a malformed address
            raise InputError(f"`scheduler` {scheduler}: cannot connect ({exc})") from None
    import logging

    # worker threads in this process: the kernels release the GIL, and no worker process has
    # to start and import simtrial (benchmarks/bench_sweep.py, 16 cells, 2 cores: 20.3 s and
    # 33 CPU s against 24.1 s and 47 CPU s with processes=True). The scheduler's HTTP server
    # always starts; a free loopback port keeps it from failing when 8787 is taken.
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=False,
                           host="127.0.0.1", protocol="tcp://", dashboard_address="127.0.0.1:0",
                           silence_logs=logging.ERROR)
    return _ClusterClient(cluster, Client(cluster))


class _ClusterClient:
    """A client that also closes the local cluster it was started on."""

    def __init__(self, cluster, client):
        self.cluster, self.client = cluster, client

    def __enter__(self):
        return self.client

    def __exit__(self, *exc):
        self.client.close()
        self.cluster.close()


def simulate_cell(data: dict, source: str, n: int, reps: int, seed: int,
                  endpoints: tuple[str, ...], threads: int) -> list[tuple]:
    """Run in a worker: simulate one cell; plain tuples back, one per endpoint.

    A row carries the closed form beside the simulated power, not the exact enumeration or
    the safety summary (:func:`simtrial.annotate.annotate` with ``exact_power=False``).
    """
    from simtrial.annotate import annotate
    from simtrial.simulate import simulated_power

    scenario = parse_scenario_data(data, source)
    result = annotate(simulated_power(scenario, n, reps=reps, seed=seed,
                                      endpoints=list(endpoints), jobs=threads),
                      scenario, exact_power=False)
    n_t, n_c = result.n_per_arm["treatment"], result.n_per_arm["control"]
    family = result.family
    members = set(family.endpoints) if family is not None else set()

    def family_columns(ep_id: str) -> tuple:
        if family is None or ep_id not in members:
            return "none", None, None
        return family.procedure, float(family.power_any), float(family.power_all)

    return [(n_t, n_c, e.id, float(e.power), float(e.mcse), float(e.ci[0]), float(e.ci[1]),
             None if e.analytic_power is None else float(e.analytic_power), int(e.rejections),
             float(e.power if e.power_unadjusted is None else e.power_unadjusted),
             *family_columns(e.id))
            for e in result.endpoints]


def execute(grid: Grid, todo: list[int], reps: int, seed: int, jobs: int, client: Any,
            worker_timeout: float) -> Generator[tuple[int, list[tuple]], None, None]:
    """Yield (cell index, per-endpoint numbers) as cells finish, in any order."""
    if not todo:
        return
    if client is not None:  # Dask: one single-threaded task per cell
        yield from _run_on(client.get_executor(pure=False), grid, todo, reps, seed, 1,
                           _cancel, _WorkerWatch(client, worker_timeout))
        return
    workers = min(jobs, len(todo))
    threads = max(1, jobs // workers)  # workers x threads <= jobs
    if workers == 1:
        for index in todo:
            yield index, simulate_cell(*grid.task(index, reps, seed, threads))
        return
    from joblib.externals.loky import get_reusable_executor
    from joblib.externals.loky.process_executor import BrokenProcessPool

    executor = get_reusable_executor(max_workers=workers, initializer=_start_worker,
                                     initargs=(os.getpid(),))

    def stop(pending):  # loky fails the pending futures itself; cancelling them races it
        executor.shutdown(wait=False, kill_workers=True)

    try:
        # The first cell runs here, with every thread, while the workers start and import:
        # from an empty numba cache it compiles the kernels once (one notice) and saves them
        # for the workers to load, instead of every worker compiling them at the same time,
        # and a second process compiles them from the other end (simtrial.warmup).
        from simtrial.warmup import compile_alongside

        started = executor.submit(int)
        first, *todo = todo
        try:
            with compile_alongside(grid.scenario.source, grid.cells[first][0],
                                   grid.endpoint_ids):
                cell = simulate_cell(*grid.task(first, reps, seed, jobs))
            started.result()  # a pool stopped while its workers start takes seconds to end
            yield first, cell
        except BaseException:
            stop(set())
            raise
        if not todo:
            return
        # no more cells queued than loky's call queue holds (workers + 1): a shutdown with
        # cells waiting behind it trips loky's manager thread (KeyError, joblib 1.6)
        yield from _run_on(executor, grid, todo, reps, seed, threads, stop, limit=workers + 1)
    except BrokenProcessPool as exc:  # loky's TerminatedWorkerError among them
        raise SweepFailed(f"a worker process died ({_exit_codes(exc)}; the out-of-memory "
                          "killer ends a process that way when memory runs out: fewer --jobs "
                          "need less memory)") from None


def _exit_codes(exc: Exception) -> str:
    """``'killed by SIGKILL'`` from loky's ``'... the workers are {SIGKILL(-9)}'``."""
    names = re.findall(r"(SIG[A-Z]+)\(-\d+\)", str(exc))
    return f"killed by {', '.join(sorted(set(names)))}" if names else "it exited unexpectedly"


def _start_worker(parent: int) -> None:
    """Start a loky worker: exit with the sweep's process, import the simulation, stay quiet.

    loky's workers outlive a kill -9 of their parent, so a thread exits the worker when the
    sweep's process dies. The compile notice is the parent's to give (:func:`execute` runs
    the first cell there); a worker that compiles a kernel no earlier cell needed does not
    print it over the progress bar.
    """
    import threading

    import simtrial.annotate  # noqa: F401 (imported while the parent runs the first cell)
    import simtrial.simulate  # noqa: F401
    from simtrial.kernels import _jit

    _jit._compiling.said = True

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _run_on(executor, grid: Grid, todo: list[int], reps: int, seed: int, threads: int,
            stop: Callable[[set], None], watch: Callable[[], None] | None = None,
            limit: int | None = None):
    """Submit the cells (at most ``limit`` at a time) and yield results as they come.

    Waiting in steps of POLL seconds keeps the calling thread ready for Ctrl-C and SIGTERM
    and calls ``watch`` between them. On an error, an interrupt or an abandoned generator,
    ``stop(pending futures)`` ends the rest.
    """
    queue = iter(todo)
    futures: dict = {}
    pending: set = set()
    try:
        while True:
            for index in itertools.islice(queue, (limit or len(todo)) - len(pending)):
                future = executor.submit(simulate_cell, *grid.task(index, reps, seed, threads))
                futures[future] = index
                pending.add(future)
            if not pending:
                return
            done, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
            # finished cells first, so that a failed one does not hide them
            for future in sorted(done, key=lambda f: (f.exception() is not None, futures[f])):
                yield futures[future], future.result()
            if watch and pending:
                watch()
    except BaseException:
        stop(pending)
        raise


def _cancel(pending: set) -> None:
    for future in pending:
        future.cancel()


class _WorkerWatch:
    """Raise SweepFailed once a Dask cluster has had no worker for ``timeout`` seconds.

    A cluster that loses every worker keeps its tasks pending for ever; so does a client cut
    off from its scheduler (counted as no worker).
    """

    def __init__(self, client, timeout: float, clock: Callable[[], float] = time.monotonic):
        self.client, self.timeout, self.clock = client, timeout, clock
        self.since: float | None = None

    def __call__(self) -> None:
        if self.client.status == "running" and self.client.scheduler_info()["workers"]:
            self.since = None
            return
        now = self.clock()
        if self.since is None:
            self.since = now
        elif now - self.since >= self.timeout:
            raise SweepFailed(f"the Dask cluster has had no worker for {self.timeout:g} s "
                              "(all lost, or the scheduler is unreachable)")

