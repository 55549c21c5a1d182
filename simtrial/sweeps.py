"""Sensitivity sweeps: simulated power over a grid of sample sizes and scenario values.

A sweep is the cartesian product of the ``--vary`` values (outer, in the order given) and the
sample sizes (inner). Each grid cell is an independent :func:`simtrial.power` call on the cell's
scenario (:meth:`Scenario.with_values`) with the same reps and seed, so a cell's numbers equal
those of ``simtrial power`` on that scenario, whichever process or machine computes it.

Cells run in parallel on joblib's loky process pool, or on a Dask cluster; each worker
simulates with one thread, so workers x threads never exceeds the cores asked for. When an
output file is given, each finished cell is appended, flushed and fsynced as it completes, so
a killed sweep loses no finished cell; ``resume=True`` computes only the missing cells. The
file is rewritten in grid order once every cell is done, so its bytes do not depend on the
order in which cells finished, on the number of jobs or on the backend. A sidecar
``FILE.meta.json`` holds the sweep's fingerprint (scenario data, grid, reps, seed, endpoints,
version and a digest of simtrial's source files) and resuming a different sweep is refused.

Every row carries its cell's key (a digest of the cell's scenario data and n) and a checksum
over the fingerprint and the row's values, so a resume keeps only rows that verify: an edited
row, a row moved to another cell, a duplicate or a row of another sweep is dropped and its cell
computed again. A lock (``FILE.lock``, ``fcntl.flock``) refuses a second sweep on the same
file while one runs. A worker that dies, a Dask cluster left without workers, Ctrl-C and
SIGTERM stop the sweep with the finished cells kept for ``resume``.
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import importlib.util
import io
import itertools
import json
import numbers
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from simtrial import rng
from simtrial._version import __version__
from simtrial.errors import InputError, SweepFailed
from simtrial.scenario import Scenario, load_scenario, parse_scenario_data

__all__ = ["SweepFailed", "SweepResult", "TerminalProgress", "parse_n_values", "parse_vary",
           "require_backend", "sweep"]

BACKENDS = ("loky", "dask")
ALLOCATION_KEY = "trial.allocation"
_INT_COLUMNS = ("cell", "n_total", "n_treatment", "n_control", "rejections", "reps", "seed")
_FLOAT_COLUMNS = ("power", "mcse", "ci_low", "ci_high", "analytic_power")
_HEAD = ("cell", "n_total", "n_treatment", "n_control")
_TAIL = ("endpoint", "power", "mcse", "ci_low", "ci_high", "analytic_power", "rejections",
         "reps", "seed", "cell_key", "checksum")
#: Hex digits kept of the SHA-256 digests in ``cell_key`` and ``checksum`` (64 bits each).
DIGITS = 16
#: Seconds a Dask cluster may have no worker before the sweep stops (``worker_timeout``).
WORKER_TIMEOUT = 60.0
#: Seconds between checks for an interrupt, a lost worker or a cluster without workers.
POLL = 0.5


@dataclass(frozen=True)
class SweepResult:
    """Power of every endpoint at every cell of a sweep grid, one row per (cell, endpoint).

    ``rows`` are dicts keyed by :attr:`columns`: ``cell`` (grid index), ``n_total``,
    ``n_treatment``, ``n_control``, one column per varied key (named exactly as the key; an
    allocation reads ``"65:35"``), ``endpoint``, ``power``, ``mcse``, ``ci_low``, ``ci_high``
    (Wilson 95%), ``analytic_power`` (None without a closed form), ``rejections``, ``reps``,
    ``seed``, ``cell_key`` (16 hex digits of a SHA-256 of the cell's scenario data and n) and
    ``checksum`` (16 hex digits of a SHA-256 of the sweep's fingerprint and the row's other
    values). ``dropped`` counts the rows of a resumed file that did not verify.
    """

    scenario: str
    n_values: tuple[int, ...]
    vary: tuple[tuple[str, tuple], ...]
    endpoints: tuple[str, ...]
    endpoint_labels: tuple[str, ...]
    reps: int
    seed: int
    version: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...]
    dropped: int = 0

    def to_frame(self):
        """The rows as a pandas DataFrame (pandas is optional and not installed with simtrial).

        Raises
        ------
        ImportError
            When pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("SweepResult.to_frame needs pandas, which simtrial does not "
                              "install: pip install pandas") from None
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def code_digest() -> str:
    """SHA-256 of simtrial's own source files (path and contents, in path order).

    A sweep resumed by different code (an edit without a version bump) would mix results of
    two programs in one file; the digest in the fingerprint refuses that.
    """
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def parse_n_values(text: str) -> tuple[int, ...]:
    """Sample sizes from ``"300,400,500"`` or an inclusive range ``"start:stop:step"``.

    Examples
    --------
    >>> parse_n_values("300,400,500")
    (300, 400, 500)
    >>> parse_n_values("200:400:50")
    (200, 250, 300, 350, 400)
    """
    allowed = "a list like 300,400,500 or an inclusive range start:stop:step like 200:800:50"
    try:
        if ":" in text:
            start, stop, step = (int(part) for part in text.split(":"))
            if step < 1 or stop < start:
                raise ValueError
            values = tuple(range(start, stop + 1, step))
        else:
            values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InputError(f"`n` {text!r} is not allowed (allowed: {allowed})") from None
    return values


def parse_vary(text: str) -> tuple[str, tuple]:
    """A ``KEY=V1,V2,...`` option: the dotted scenario key and its values.

    Numbers become floats; ``trial.allocation`` takes ratios ``a:b``.

    Examples
    --------
    >>> parse_vary("endpoints.walk_lln.control.p=0.25,0.3")
    ('endpoints.walk_lln.control.p', (0.25, 0.3))
    >>> parse_vary("trial.allocation=65:35,2:1")
    ('trial.allocation', ((65.0, 35.0), (2.0, 1.0)))
    """
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise InputError(f"`vary` {text!r} is not allowed (allowed: KEY=V1,V2,... such as "
                         "endpoints.walk_lln.control.p=0.25,0.30 or trial.allocation=65:35,1:1)")
    parts = [part.strip() for part in values.split(",")]
    try:
        if key == ALLOCATION_KEY:
            pairs = [part.split(":") for part in parts]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError
            return key, tuple((float(a), float(b)) for a, b in pairs)
        return key, tuple(float(part) for part in parts)
    except ValueError:
        what = "ratios a:b such as 65:35" if key == ALLOCATION_KEY else "numbers"
        raise InputError(f"`vary` {text!r}: values must be {what}") from None


def sweep(scenario: Scenario | str, n: Sequence[int], *, vary: dict | None = None,
          reps: int = 10_000, seed: int = rng.DEFAULT_SEED,
          endpoints: Sequence[str] | None = None, jobs: int | None = None,
          backend: str = "loky", scheduler: str | None = None, out: str | Path | None = None,
          resume: bool = False, force: bool = False,
          progress: Callable[[int, int], None] | None = None,
          note: Callable[[str], None] | None = None,
          worker_timeout: float = WORKER_TIMEOUT) -> SweepResult:
    """Simulated power of every endpoint over a grid of sample sizes and scenario values.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a built-in name or file path for :func:`~simtrial.load_scenario`.
    n : sequence of int
        Total sample sizes (see :func:`parse_n_values` for the command-line forms).
    vary : dict, optional
        Dotted scenario key (as in :meth:`Scenario.with_values`) -> sequence of values; for
        ``trial.allocation`` each value is a pair. Every combination is checked before any
        simulation starts.
    reps, seed : int
        Simulated trials per cell and the seed, the same for every cell.
    endpoints : sequence of str, optional
        Ids of the endpoints to simulate (default: all).
    jobs : int, optional
        Cells simulated at once (default: all cores); with ``backend="dask"`` and no
        ``scheduler``, the workers of the local cluster. Does not change the result.
    backend : {"loky", "dask"}
        joblib's loky process pool, or a ``dask.distributed`` cluster.
    scheduler : str, optional
        Address of a running Dask scheduler (``backend="dask"`` only); without it a local
        cluster on 127.0.0.1 is started and closed.
    out : str or path, optional
        CSV file (JSON lines if it ends in ``.jsonl``) that receives each cell as it finishes.
        It may not be the scenario file; ``FILE.meta.json`` and, while the sweep runs,
        ``FILE.lock`` are written next to it.
    resume : bool
        Continue an interrupted sweep in ``out``: only the missing cells are computed; rows
        that do not verify are dropped and their cells computed again.
    force : bool
        Overwrite an existing ``out`` (otherwise an existing file is an error).
    progress : callable, optional
        Called as ``progress(cells_done, cells_total)`` in the calling process, once at the
        start and after every cell.
    note : callable, optional
        Called with a sentence when a resume drops rows that do not verify.
    worker_timeout : float
        Seconds a Dask cluster may have no worker (all lost, or none yet) before the sweep
        stops with :class:`SweepFailed`.

    Returns
    -------
    SweepResult
        Rows in grid order; the same for any ``jobs``, backend, or interruption and resume.

    Raises
    ------
    ValueError
        Bad arguments, an ``out`` that cannot be used (the scenario file, a directory, a file
        another sweep is writing) or that belongs to a different sweep.
    SweepFailed
        A worker process died, or the Dask cluster had no worker for ``worker_timeout``
        seconds; the finished cells are kept in ``out``.

    Examples
    --------
    >>> res = sweep("msc-covid19", [200, 400], vary={"trial.alpha": [0.05, 0.025]},
    ...             reps=1000, endpoints=["walk_m"], jobs=1)
    >>> [(r["trial.alpha"], r["n_total"]) for r in res.rows]
    [(0.05, 200), (0.05, 400), (0.025, 200), (0.025, 400)]
    >>> power = {(r["trial.alpha"], r["n_total"]): r["power"] for r in res.rows}
    >>> power[0.05, 400] > power[0.05, 200] > power[0.025, 200]
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    grid = _Grid.build(scenario, n, vary or {}, endpoints)
    jobs = _sweep_iv(reps, seed, jobs, backend, scheduler, out, resume, force, worker_timeout)
    fingerprint = grid.fingerprint(reps, seed)
    seal = _digest(fingerprint)
    with ExitStack() as stack:
        # a Dask cluster is reached (or started) before the output file is touched
        client = stack.enter_context(_dask_client(scheduler, jobs)) if backend == "dask" \
            else None
        output = None
        if out is not None:
            output = stack.enter_context(_Output.open(out, grid, fingerprint, seal, resume,
                                                      force))
            if output.dropped and note:
                note(f"resume dropped {output.dropped} row{'s' * (output.dropped != 1)} of "
                     f"{out} that did not verify (edited, moved to another cell, duplicated "
                     "or from another sweep); their cells are computed again")
        cells: dict[int, list[dict]] = dict(output.done) if output else {}
        total = len(grid.cells)
        if progress:
            progress(len(cells), total)
        # largest n first: the work of a cell grows with n, and the last cells to start are
        # then the short ones, so workers finish together (longest processing time first)
        todo = sorted((i for i in range(total) if i not in cells),
                      key=lambda i: -grid.cells[i][0])
        try:
            with closing(_execute(grid, todo, reps, seed, jobs, client,
                                  worker_timeout)) as finished:
                for index, stats in finished:
                    cells[index] = grid.rows(index, stats, reps, seed, seal)
                    if output:
                        output.append(cells[index])
                    if progress:
                        progress(len(cells), total)
        except SweepFailed as exc:
            kept = (f"the finished cells ({len(cells)} of {total}) are kept in {out}: "
                    "continue with --resume (resume=True)") if output else \
                "no output file keeps the finished cells"
            raise SweepFailed(f"{exc}; {kept}") from None
        if output:
            output.finish(cells)
    return SweepResult(
        scenario=scenario.name, n_values=grid.n_values, vary=grid.vary,
        endpoints=grid.endpoint_ids,
        endpoint_labels=tuple(scenario.endpoint(e).label for e in grid.endpoint_ids),
        reps=reps, seed=seed, version=__version__, columns=grid.columns,
        rows=tuple(row for i in range(total) for row in cells[i]),
        dropped=output.dropped if output else 0)


class TerminalProgress:
    r"""A one-line progress bar (cells done, elapsed, remaining) for ``sweep(progress=...)``.

    Examples
    --------
    >>> bar = TerminalProgress(io.StringIO(), clock=iter([0.0, 30.0]).__next__)
    >>> bar(0, 4); bar(1, 4)
    >>> bar.stream.getvalue().split("\r")[-1]
    '[######                  ] 1/4 cells  elapsed 0:30  remaining 1:30'
    """

    WIDTH = 24

    def __init__(self, stream=None, clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start: tuple[float, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        """Redraw the bar; the first call sets the start (resumed cells do not count)."""
        now = self.clock()
        if self.start is None:
            self.start = (now, done)
        began, first = self.start
        elapsed, computed = now - began, done - first
        remaining = _clock_text(elapsed / computed * (total - done)) if computed else "?"
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + " " * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} cells  elapsed {_clock_text(elapsed)}  "
                          f"remaining {remaining}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class _Grid:
    """The cells of a sweep, each with its validated scenario as plain (picklable) data."""

    scenario: Scenario
    n_values: tuple[int, ...]
    vary: tuple[tuple[str, tuple], ...]
    endpoint_ids: tuple[str, ...]
    cells: tuple[tuple[int, tuple], ...]  # (n, values of the varied keys)
    cell_data: MappingProxyType  # values of the varied keys -> plain scenario data

    @classmethod
    def build(cls, scenario: Scenario, n, vary: dict, endpoints) -> _Grid:
        n_values = tuple(n) if not isinstance(n, numbers.Integral) else (n,)
        if not n_values or any(isinstance(v, bool) or not isinstance(v, numbers.Integral)
                               or v < 2 for v in n_values):
            raise InputError(f"`n` must be integers >= 2, got {n!r}")
        n_values = tuple(int(v) for v in n_values)
        if len(set(n_values)) != len(n_values):
            raise InputError(f"`n` has repeated values: {n!r}")
        pairs = []
        for key, values in vary.items():
            values = tuple(_number(key, v) for v in values)
            if not values or len(set(values)) != len(values):
                raise InputError(f"`vary` {key}: give distinct values, got {values!r}")
            pairs.append((key, values))
        if endpoints is not None:
            ids = tuple(scenario.endpoint(e).id for e in endpoints)
        else:
            ids = tuple(e.id for e in scenario.endpoints)
        combos = list(itertools.product(*(values for _, values in pairs)))
        cell_data = {}
        for combo in combos:  # every cell's scenario is validated before any work starts
            changed = {key: list(v) if key == ALLOCATION_KEY else v
                       for (key, _), v in zip(pairs, combo, strict=True)}
            cell_scenario = scenario.with_values(changed)
            for size in n_values:
                if min(cell_scenario.trial.split(size)) < 1:
                    where = "".join(f" with {key} = {_value_label(key, v)}"
                                    for key, v in changed.items())
                    raise InputError(f"`n` {size}{where} leaves an arm without patients "
                                     f"(treatment, control = {cell_scenario.trial.split(size)})")
            cell_data[combo] = _plain(cell_scenario.raw)
        cells = tuple((size, combo) for combo in combos for size in n_values)
        return cls(scenario, n_values, tuple(pairs), ids, cells, MappingProxyType(cell_data))

    @property
    def columns(self) -> tuple[str, ...]:
        return (*_HEAD, *(key for key, _ in self.vary), *_TAIL)

    def fingerprint(self, reps: int, seed: int) -> dict:
        data = json.dumps(_plain(self.scenario.raw), sort_keys=True).encode()
        return {"simtrial_sweep": 1, "version": __version__, "code_sha256": code_digest(),
                "scenario": self.scenario.name,
                "scenario_sha256": hashlib.sha256(data).hexdigest(), "n": list(self.n_values),
                "vary": {key: [list(v) if isinstance(v, tuple) else v for v in values]
                         for key, values in self.vary},
                "endpoints": list(self.endpoint_ids), "reps": reps, "seed": seed}

    def cell_key(self, index: int) -> str:
        """What the cell computes, whatever its place in the grid: its scenario data and n."""
        size, combo = self.cells[index]
        return _digest({"scenario": self.cell_data[combo], "n": size})[:DIGITS]

    def rows(self, index: int, stats: list[tuple], reps: int, seed: int,
             seal: str) -> list[dict]:
        """The output rows of a cell from the per-endpoint numbers :func:`_simulate_cell` gives.

        ``seal`` is the digest of the sweep's fingerprint that each row's checksum covers.
        """
        size, combo = self.cells[index]
        labels = {key: _value_label(key, v) for (key, _), v in zip(self.vary, combo, strict=True)}
        key = self.cell_key(index)
        rows = []
        for n_t, n_c, ep_id, power, mcse, low, high, analytic, rejections in stats:
            row = {"cell": index, "n_total": size, "n_treatment": n_t, "n_control": n_c,
                   **labels, "endpoint": ep_id, "power": power, "mcse": mcse, "ci_low": low,
                   "ci_high": high, "analytic_power": analytic, "rejections": rejections,
                   "reps": reps, "seed": seed, "cell_key": key}
            rows.append({**row, "checksum": _checksum(row, seal)})
        return rows

    def task(self, index: int, reps: int, seed: int, threads: int) -> tuple:
        size, combo = self.cells[index]
        return (self.cell_data[combo], self.scenario.source, size, reps, seed,
                self.endpoint_ids, threads)


def _number(key: str, value):
    """A varied value as floats (a pair for the allocation), as the output file holds it."""
    try:
        return tuple(map(float, value)) if key == ALLOCATION_KEY else float(value)
    except (TypeError, ValueError):
        what = "pairs of numbers" if key == ALLOCATION_KEY else "numbers"
        raise InputError(f"`vary` {key}: values must be {what}, got {value!r}") from None


def _digest(data) -> str:
    """SHA-256 (hex) of JSON data in a canonical form."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _checksum(row: dict, seal: str) -> str:
    """The checksum of a row: the fingerprint's digest and every value but the checksum."""
    return _digest([seal, [value for key, value in row.items() if key != "checksum"]])[:DIGITS]


def _value_label(key: str, value):
    return f"{value[0]:g}:{value[1]:g}" if key == ALLOCATION_KEY else value


def _plain(data: Any) -> Any:
    """Frozen scenario data -> plain dicts and lists (picklable, JSON-able)."""
    if isinstance(data, MappingProxyType | dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, tuple | list):
        return [_plain(value) for value in data]
    return data


def _simulate_cell(data: dict, source: str, n: int, reps: int, seed: int,
                   endpoints: tuple[str, ...], threads: int) -> list[tuple]:
    """Run in a worker: simulate one cell; plain tuples back, one per endpoint."""
    from simtrial.simulate import power

    scenario = parse_scenario_data(data, source)
    result = power(scenario, n, reps=reps, seed=seed, endpoints=list(endpoints), jobs=threads)
    n_t, n_c = result.n_per_arm["treatment"], result.n_per_arm["control"]
    return [(n_t, n_c, e.id, float(e.power), float(e.mcse), float(e.ci[0]), float(e.ci[1]),
             None if e.analytic_power is None else float(e.analytic_power), int(e.rejections))
            for e in result.endpoints]


def _execute(grid: _Grid, todo: list[int], reps: int, seed: int, jobs: int, client,
             worker_timeout: float) -> Iterator[tuple[int, list[tuple]]]:
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
            yield index, _simulate_cell(*grid.task(index, reps, seed, threads))
        return
    from joblib.externals.loky import get_reusable_executor
    from joblib.externals.loky.process_executor import BrokenProcessPool

    executor = get_reusable_executor(max_workers=workers, initializer=_exit_with_parent,
                                     initargs=(os.getpid(),))

    def stop(pending):  # loky fails the pending futures itself; cancelling them races it
        executor.shutdown(wait=False, kill_workers=True)

    try:
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


def _exit_with_parent(parent: int) -> None:
    """In a loky worker: exit when the sweep's process dies (loky's workers outlive a kill -9)."""
    import threading

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _run_on(executor, grid: _Grid, todo: list[int], reps: int, seed: int, threads: int,
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
                future = executor.submit(_simulate_cell, *grid.task(index, reps, seed, threads))
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


def _dask_client(scheduler: str | None, jobs: int):
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


class _Output:
    """The sweep's output file, locked: append each finished cell durably, resume, rewrite.

    Use as a context manager; leaving it releases the lock.
    """

    def __init__(self, path: Path, grid: _Grid, seal: str, lock: _Lock):
        self.path, self.grid, self.seal, self.lock = path, grid, seal, lock
        self.jsonl = path.suffix == ".jsonl"
        self.done: dict[int, list[dict]] = {}
        self.dropped = 0
        self.meta: dict = {}

    @classmethod
    def open(cls, out, grid: _Grid, fingerprint: dict, seal: str, resume: bool,
             force: bool) -> _Output:
        path = Path(out)
        if path.is_dir():
            raise InputError(f"`out` {path} is a directory; give a file name")
        if not path.parent.is_dir():
            raise InputError(f"`out` {path}: the directory {path.parent} does not exist")
        if path.exists() and not path.is_file():
            raise InputError(f"`out` {path} is not a regular file; give a file name")
        source = Path(grid.scenario.source)
        for written in (path, _meta_path(path), _lock_path(path)):
            if source.is_file() and written.exists() and source.samefile(written):
                raise InputError(f"`out` {path}: {written} is the scenario file "
                                 f"{grid.scenario.source}; give another output file name")
        output = cls(path, grid, seal, _Lock.acquire(path))
        try:
            output._start(fingerprint, resume, force)
        except BaseException:
            output.lock.release()
            raise
        return output

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()

    def _start(self, fingerprint: dict, resume: bool, force: bool) -> None:
        _remove_temporaries(self.path)
        meta_path = _meta_path(self.path)
        if self.path.exists() and resume:
            self._check_fingerprint(meta_path, fingerprint)
            self.done = self._read_finished()
        elif self.path.exists() and not force:
            raise InputError(f"`out` {self.path} already exists: continue it with --resume "
                             "(resume=True) or overwrite it with --force (force=True)")
        self._rewrite(self.done)  # the header and only complete, verified cells
        # the file is unfinished until finish() says otherwise in its sidecar
        self.meta = {**fingerprint, "finished": False}
        _atomic_write(meta_path, json.dumps(self.meta, indent=1) + "\n")

    def append(self, rows: list[dict]) -> None:
        """Append one cell's rows in one write, and make them durable before returning."""
        with open(self.path, "a", encoding="utf-8", newline="") as stream:
            stream.write("".join(self._line(row) for row in rows))
            stream.flush()
            os.fsync(stream.fileno())

    def finish(self, cells: dict[int, list[dict]]) -> None:
        """Rewrite the finished file in grid order, so its bytes depend on nothing else."""
        self._rewrite(cells)
        self.meta["finished"] = True
        _atomic_write(_meta_path(self.path), json.dumps(self.meta, indent=1) + "\n")

    def _rewrite(self, cells: dict[int, list[dict]]) -> None:
        text = "".join(self._line(row) for i in sorted(cells) for row in cells[i])
        _atomic_write(self.path, self._header() + text)

    def _header(self) -> str:
        return "" if self.jsonl else _csv_line(self.grid.columns)

    def _line(self, row: dict) -> str:
        if self.jsonl:
            return json.dumps(row) + "\n"
        return _csv_line(["" if v is None else v for v in row.values()])

    def _check_fingerprint(self, meta_path: Path, fingerprint: dict) -> None:
        try:
            stored = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(stored, dict):
                raise ValueError
        except (OSError, ValueError):
            raise InputError(f"`out` {self.path}: cannot resume, {meta_path.name} is missing or "
                             "unreadable (use --force to start over)") from None
        differ = [key for key in fingerprint if stored.get(key) != fingerprint[key]]
        if differ:
            raise InputError(f"`out` {self.path} was written by a different sweep (it differs "
                             f"in: {', '.join(differ)}); resume needs the same scenario, grid, "
                             "endpoints, reps, seed and simtrial code, or use --force to "
                             "start over")

    def _read_finished(self) -> dict[int, list[dict]]:
        """The complete cells whose rows all verify; ``dropped`` counts the rows that did not.

        A torn last line (a write cut by a kill) and blank lines are not counted; neither are
        the rows of a cell that was not completely written (its cell is simply computed).
        """
        text = self.path.read_text(encoding="utf-8")
        lines = text[:text.rfind("\n") + 1].splitlines(keepends=True)  # drop a torn last line
        if not self.jsonl and text:
            if lines[:1] != [self._header()]:
                raise InputError(f"`out` {self.path}: the CSV header is not this sweep's "
                                 "(use --force to start over)")
            lines = lines[1:]
        found: dict[int, dict[str, dict]] = {}
        for line in lines:
            if not line.strip():
                continue
            row = self._verified(line)
            if row is None or row["endpoint"] in found.get(row["cell"], {}):
                self.dropped += 1
                continue
            found.setdefault(row["cell"], {})[row["endpoint"]] = row
        ids = self.grid.endpoint_ids
        return {i: [rows[e] for e in ids] for i, rows in found.items() if len(rows) == len(ids)}

    def _verified(self, line: str) -> dict | None:
        """The row of a line, or None unless it is a row of this sweep, in its own cell."""
        columns = self.grid.columns
        try:
            if self.jsonl:
                row = json.loads(line)
            else:
                row = dict(zip(columns, next(csv.reader([line])), strict=True))
                for key in columns:
                    row[key] = _typed(key, row[key])
        except (ValueError, StopIteration):
            return None
        if not isinstance(row, dict) or list(row) != list(columns) \
                or self._line(row) != line or not isinstance(row["cell"], int) \
                or not 0 <= row["cell"] < len(self.grid.cells) \
                or row["endpoint"] not in self.grid.endpoint_ids \
                or row["cell_key"] != self.grid.cell_key(row["cell"]) \
                or row["checksum"] != _checksum(row, self.seal):
            return None
        return row


class _Lock:
    """An exclusive ``fcntl.flock`` on ``FILE.lock``: one sweep writes a file at a time.

    The lock file holds the owner's process id and is removed on release. The kernel drops
    the lock of a killed process, so a stale lock file never blocks.
    """

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    @classmethod
    def acquire(cls, out: Path) -> _Lock:
        path = _lock_path(out)
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise InputError(f"`out` {out}: cannot write in {path.parent} "
                                 f"({exc.strerror or exc})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                owner = os.pread(fd, 32, 0).decode(errors="replace").strip()
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise InputError(f"`out` {out} is being written by another sweep (process "
                                 f"{owner or '?'}, lock {path.name}); wait for it to finish or "
                                 "choose another file") from None
            try:  # the holder before us may have removed the file after we opened it
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                return cls(path, fd)
            os.close(fd)

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = -1


def _typed(column: str, text: str):
    if column in _INT_COLUMNS:
        return int(text)
    if column in _FLOAT_COLUMNS or (column.count(".") and column != ALLOCATION_KEY):
        return None if text == "" else float(text)
    return text


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _temporary(path: Path, pid: int | str) -> Path:
    return path.with_name(f".{path.name}.{pid}.tmp")


def _remove_temporaries(out: Path) -> None:
    """Remove what a killed rewrite of ``out`` or its sidecar left (only simtrial's names).

    Called with the lock held, so no other sweep is writing them.
    """
    for path in (out, _meta_path(out)):
        for temporary in path.parent.glob(_temporary(path, "*").name):
            if temporary.name[len(path.name) + 2:-4].isdigit():
                temporary.unlink(missing_ok=True)


def _atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` so that a crash leaves either the old or the new file.

    A failed write (a full disk) removes its temporary file and leaves ``path`` as it was.
    """
    temporary = _temporary(path, os.getpid())
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _sweep_iv(reps, seed, jobs, backend, scheduler, out, resume, force, worker_timeout) -> int:
    for name, value, low in (("reps", reps, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"`{name}` must be an integer >= {low}, got {value!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InputError(f"`jobs` must be a positive integer or None, got {jobs!r}")
    if backend not in BACKENDS:
        raise InputError(f"`backend` {backend!r} is not allowed (allowed: {', '.join(BACKENDS)})")
    if scheduler and backend != "dask":
        raise InputError("`scheduler` needs backend 'dask'")
    if resume and force:
        raise InputError("`resume` and `force` exclude each other: give one")
    if isinstance(worker_timeout, bool) or not isinstance(worker_timeout, numbers.Real) \
            or not 0 < worker_timeout < float("inf"):
        raise InputError(f"`worker_timeout` must be a positive number of seconds, got "
                         f"{worker_timeout!r}")
    if (resume or force) and out is None:
        raise InputError("`resume` and `force` need an output file `out`")
    require_backend(backend)
    if jobs is None:
        from joblib import cpu_count

        jobs = cpu_count()
    return jobs
