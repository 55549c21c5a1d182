"""Wall time of a 16-cell sweep: 1 job, 2 loky jobs, and Dask local clusters.

Run: ``python benchmarks/bench_sweep.py [--reps 20000] [--repeats 2]``. The grid is the built-in
scenario (all endpoints) at n = 200, 250, ..., 950: 16 cells. Each run is a fresh process,
timed from outside, as a user waits for it: ``simtrial sweep`` with ``--jobs 1``, ``--jobs 2``
(loky) and ``--backend dask`` (its default local cluster, worker threads), and a sweep on a
``LocalCluster(processes=True)``; a fresh process matters, because per-process caches (exact
power, fitted distributions) would otherwise favour whichever runs second. Every run must
write the same bytes (checked). The target (issue 5): 2 jobs at least 1.7x faster than 1 job
on a 2-core machine; Dask's overhead is reported against loky's time. On a shared machine the
load average is printed, and the CPU time of each run (with its worker processes) gives the
speed-up the run would have had with a free core per job.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from joblib import cpu_count

SIMTRIAL = [sys.executable, "-c", "from simtrial.cli import main; main()"]
CELLS = "200:950:50"
TARGET = 1.7
PROCESS_CLUSTER = """
import logging, sys
from distributed import LocalCluster
from simtrial.sweeps import sweep
from simtrial.sweeps.grid import parse_n_values
if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster:
        sweep("msc-covid19", parse_n_values(sys.argv[1]), reps=int(sys.argv[2]),
              backend="dask", scheduler=cluster.scheduler_address, out=sys.argv[3], force=True)
"""


def children_cpu() -> float:
    """CPU time of the finished child processes (and their own finished children)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def commands(reps: int, out: Path) -> dict[str, list[str]]:
    sweep = [*SIMTRIAL, "sweep", "--n", CELLS, "--reps", str(reps), "--quiet", "--force"]
    return {
        "1 job": [*sweep, "--jobs", "1", "--out", str(out / "jobs1.csv")],
        "2 jobs, loky": [*sweep, "--jobs", "2", "--out", str(out / "loky.csv")],
        "2 jobs, dask local cluster (threads)": [*sweep, "--jobs", "2", "--backend", "dask",
                                                 "--out", str(out / "dask.csv")],
        "2 jobs, dask LocalCluster(processes=True)": [
            sys.executable, "-c", PROCESS_CLUSTER, CELLS, str(reps), str(out / "procs.csv")],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"sweep benchmark: 16 cells (n = {CELLS}) x all endpoints of msc-covid19, "
          f"{args.reps} reps per cell; best of {args.repeats}, each run a fresh process")
    print(f"cores: {cpu_count()}; Python {platform.python_version()}, {platform.machine()}; "
          f"load average (1 min) {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        runs = commands(args.reps, out)
        subprocess.run([*SIMTRIAL, "sweep", "--n", "200", "--reps", "100", "--quiet", "--out",
                        str(out / "warm.csv")], check=True)  # fill numba's cache if it is stale
        wall, cpu = dict.fromkeys(runs, float("inf")), dict.fromkeys(runs, float("inf"))
        for _ in range(args.repeats):  # interleaved: a burst of load hits every configuration
            for name, command in runs.items():
                start, start_cpu = time.perf_counter(), children_cpu()
                subprocess.run(command, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
                wall[name] = min(wall[name], time.perf_counter() - start)
                cpu[name] = min(cpu[name], children_cpu() - start_cpu)
        files = {name: Path(command[-1]).read_bytes() for name, command in runs.items()}
    names = list(runs)
    serial, loky = wall[names[0]], wall[names[1]]
    print(f"{'configuration':44s} {'wall s':>7s} {'vs 1 job':>8s} {'vs loky':>8s} {'CPU s':>7s} "
          f"{'free-core est.':>14s}")
    for name in names:
        jobs = 1 if name == names[0] else 2
        estimate = cpu[names[0]] / (cpu[name] / jobs)
        print(f"{name:44s} {wall[name]:7.2f} {serial / wall[name]:7.2f}x "
              f"{wall[name] / loky:7.2f}x {cpu[name]:7.2f} {estimate:13.2f}x")
    print("CPU s: CPU time of the run with its workers; free-core est.: 1 job's CPU / (this "
          "CPU / jobs), the speed-up if each job had a core to itself and workers were balanced")
    differ = [name for name in names if files[name] != files[names[0]]]
    print(f"output identical to 1 job's: {'all' if not differ else 'NOT ' + '; '.join(differ)}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} "
          "(other processes on the machine slow the parallel runs)")
    speedup = serial / loky
    verdict = "met" if speedup >= TARGET else "NOT met"
    print(f"target: 2 loky jobs >= {TARGET}x faster than 1 job (wall): {speedup:.2f}x, {verdict}")
    for name in names[2:]:
        print(f"overhead of {name} against loky: {wall[name] - loky:+.2f} s "
              f"({wall[name] / loky - 1:+.0%})")


if __name__ == "__main__":
    main()
