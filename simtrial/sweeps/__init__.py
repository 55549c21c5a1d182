"""Sensitivity sweeps: simulated power over a grid of sample sizes and scenario values.

A sweep is the cartesian product of the ``--vary`` values (outer, in the order given) and the
sample sizes (inner). Each grid cell is an independent :func:`simtrial.power` call on the cell's
scenario (:meth:`Scenario.with_values`) with the same reps and seed, so a cell's numbers equal
those of ``simtrial power`` on that scenario, whichever process or machine computes it.

:func:`sweep` composes the package's modules, one job each: :mod:`~simtrial.sweeps.grid`
parses the grid and builds the cells, :mod:`~simtrial.sweeps.backends` runs them (joblib's
loky process pool, or a Dask cluster), and :mod:`~simtrial.sweeps.output` keeps each finished
cell durably in the output file, so that a killed sweep loses no finished cell and
``resume=True`` computes only the missing ones. Progress is reported through a callback; the
library never prints (the command line draws the bar: :mod:`simtrial.cli_progress`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simtrial import rng
from simtrial._version import __version__
from simtrial.errors import InputError, SweepFailed
from simtrial.scenario import Scenario, load_scenario
from simtrial.sweeps.backends import (
    BACKENDS,
    WORKER_TIMEOUT,
    dask_client,
    execute,
    require_backend,
)
from simtrial.sweeps.grid import Grid, digest
from simtrial.sweeps.output import Output, fingerprint, sealed

__all__ = ["SweepResult", "sweep"]


@dataclass(frozen=True)
class SweepResult:
    """Power of every endpoint at every cell of a sweep grid, one row per (cell, endpoint).

    ``rows`` are dicts keyed by :attr:`columns`: ``cell`` (grid index), ``n_total``,
    ``n_treatment``, ``n_control``, one column per varied key (named exactly as the key; an
    allocation reads ``"65:35"``), ``endpoint``, ``power``, ``mcse``, ``ci_low``, ``ci_high``
    (Wilson 95%), ``analytic_power`` (the unadjusted closed form, None without one),
    ``rejections``, ``power_unadjusted`` (the test alone; ``power`` is after the procedure
    named in ``multiplicity``, "none" outside the family), ``family_power_any`` and
    ``family_power_all`` (None outside the family), ``reps``, ``seed``, ``cell_key`` (16 hex
    digits of a SHA-256 of the cell's scenario data and n) and
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
    grid = Grid.build(scenario, n, vary or {}, endpoints)
    jobs = _sweep_iv(reps, seed, jobs, backend, scheduler, out, resume, force, worker_timeout)
    identity = fingerprint(grid, reps, seed)
    seal = digest(identity)
    with ExitStack() as stack:
        # a Dask cluster is reached (or started) before the output file is touched
        client = stack.enter_context(dask_client(scheduler, jobs)) if backend == "dask" \
            else None
        output = None
        if out is not None:
            output = stack.enter_context(Output.open(out, grid, identity, seal, resume, force))
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
            with closing(execute(grid, todo, reps, seed, jobs, client,
                                 worker_timeout)) as finished:
                for index, stats in finished:
                    cells[index] = sealed(grid.rows(index, stats, reps, seed), seal)
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


def _sweep_iv(reps: Any, seed: Any, jobs: Any, backend: Any, scheduler: str | None,
              out: str | Path | None, resume: bool, force: bool, worker_timeout: Any) -> int:
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
            or not 0 < float(worker_timeout) < float("inf"):
        raise InputError(f"`worker_timeout` must be a positive number of seconds, got "
                         f"{worker_timeout!r}")
    if (resume or force) and out is None:
        raise InputError("`resume` and `force` need an output file `out`")
    require_backend(backend)
    if jobs is None:
        from joblib import cpu_count

        jobs = cpu_count()
    return jobs
