"""Wall time of a 16-cell sweep: 1 job, 2 loky jobs, and Dask local clusters.

Run: ``python benchmarks/bench_sweep.py [--reps 20000] [--repeats 2]``. The grid is the built-in
scenario (all endpoints) at n = 200, 250, ..., 950: 16 cells. Every configuration runs the
same cells and must give the same rows (checked). Timings include what a user waits for: the
loky pool or the Dask cluster is started (and closed) inside each timed run; numba compiles
once in a warm-up (later processes load its on-disk cache). The target (issue 5) is that 2 jobs
are at least 1.7x faster than 1 job on a 2-core machine; Dask's overhead is reported against
loky's time.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time

from joblib import cpu_count
from joblib.externals.loky import get_reusable_executor

from simtrial.scenario import load_scenario
from simtrial.sweeps import sweep

N_VALUES = list(range(200, 951, 50))
TARGET = 1.7


def fresh_loky(jobs: int, **kwargs):
    get_reusable_executor().shutdown(wait=True)  # count the pool's start-up every time
    return sweep(jobs=jobs, **kwargs)


def dask_process_cluster(**kwargs):
    """A LocalCluster of 2 single-threaded worker processes (processes=True) on loopback."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster:
        return sweep(backend="dask", scheduler=cluster.scheduler_address, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario("msc-covid19")
    common = {"scenario": scenario, "n": N_VALUES, "reps": args.reps}
    sweep(scenario, [200], reps=1000, jobs=1)  # compile (or load) the kernels once
    print(f"sweep benchmark: {len(N_VALUES)} cells x {len(scenario.endpoints)} endpoints, "
          f"{args.reps} reps per cell; best of {args.repeats}")
    print(f"cores: {cpu_count()} (os.cpu_count {os.cpu_count()}); Python "
          f"{platform.python_version()}, {platform.machine()}; load average (1 min) "
          f"{os.getloadavg()[0]:.2f}")
    runs = {
        "1 job (serial, in process)": lambda: sweep(jobs=1, **common),
        "2 jobs, loky (pool start-up included)": lambda: fresh_loky(2, **common),
        "2 jobs, dask default local cluster, threads (start-up included)":
            lambda: sweep(jobs=2, backend="dask", **common),
        "2 jobs, dask LocalCluster processes=True (start-up included)":
            lambda: dask_process_cluster(**common),
    }
    times, rows = dict.fromkeys(runs, float("inf")), {}
    for _ in range(args.repeats):  # interleaved, so that a burst of load hits every configuration
        for name, run in runs.items():
            start = time.perf_counter()
            rows[name] = run().rows
            times[name] = min(times[name], time.perf_counter() - start)
    names = list(runs)
    serial, loky = times[names[0]], times[names[1]]
    print(f"{'configuration':64s} {'seconds':>8s} {'vs 1 job':>9s} {'vs loky':>8s}")
    for name in names:
        print(f"{name:64s} {times[name]:8.2f} {serial / times[name]:8.2f}x "
              f"{times[name] / loky:7.2f}x")
    differ = [name for name in names if rows[name] != rows[names[0]]]
    print(f"rows identical to 1 job's: {'all' if not differ else 'NOT ' + '; '.join(differ)}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} "
          "(other processes on the machine slow the parallel runs)")
    speedup = serial / loky
    verdict = "met" if speedup >= TARGET else "NOT met"
    print(f"target: 2 loky jobs >= {TARGET}x faster than 1 job: {speedup:.2f}x, {verdict}")
    for name in names[2:]:
        print(f"overhead against loky (start-up included) of {name.split(', ', 1)[1]}: "
              f"{times[name] - loky:+.2f} s ({times[name] / loky - 1:+.0%})")


if __name__ == "__main__":
    main()
