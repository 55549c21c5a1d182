"""A new user's first hour (issue 23): cold and warm `simtrial power --n 400` against imports.

Run: ``python benchmarks/bench_first_run.py [--repeats 3]``. Each command is a fresh process
timed from outside, as a user waits for it:

- ``python -c "import numpy, scipy.stats, numba"``, the reference (median of the repeats);
- ``simtrial power --n 400`` with an empty ``NUMBA_CACHE_DIR`` (cold: every kernel the
  built-in scenario needs is compiled; the numba compilations and cache files are counted),
  once in one process (``SIMTRIAL_COMPILE_ALONGSIDE=0``) and once as a user runs it (a second
  process compiles from the other end, :mod:`simtrial.warmup`), and again with that cache
  (warm, median);
- ``simtrial --help`` and ``simtrial validate`` of a plain example and of the built-in scenario
  (median), against the 0.3 s the issue asks for;
- a 2-job sweep of 4 cells from an empty cache: when its first cell is written, against the
  cold single-process run, and how many compile notices it prints at a terminal.

The targets: cold at most 5x the reference, warm at most 2x, the sweep's first cell within
1.5x of the cold run with one notice. On a shared machine the load average is printed; the
ratios, measured in one run, are what to compare.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIMTRIAL = [sys.executable, "-c", "import sys; from simtrial.cli import main; main(sys.argv[1:])"]
SCENARIOS = Path(__file__).parents[1] / "scenarios"
COUNT_COMPILES = """
import sys
from numba.core import event
count = [0]
class Count(event.Listener):
    def on_start(self, _event):
        count[0] += 1
    def on_end(self, _event):
        pass
event.register("numba:compile", Count())
from simtrial.cli import main
try:
    main(sys.argv[1:])
finally:
    print(f"compilations {count[0]}", file=sys.stderr)
"""


def timed(command: list[str], env: dict | None = None) -> tuple[float, str]:
    """Wall seconds of a fresh process, and its stderr."""
    start = time.perf_counter()
    run = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, check=True)
    return time.perf_counter() - start, run.stderr


def median(command: list[str], repeats: int, env: dict | None = None) -> float:
    return statistics.median(timed(command, env)[0] for _ in range(repeats))


def sweep_first_cell(env: dict) -> tuple[float, int]:
    """Seconds until a 2-job sweep's first cell is written, and its compile notices."""
    out = Path(tempfile.mkdtemp()) / "sweep.csv"
    primary, secondary = pty.openpty()  # stderr a terminal, where the notice is printed
    start = time.perf_counter()
    process = subprocess.Popen([*SIMTRIAL, "sweep", "--n", "300:600:100", "--jobs", "2",
                                "--out", str(out)], env=env, stdout=subprocess.DEVNULL,
                               stderr=secondary)
    os.close(secondary)
    first, said = None, b""
    while True:
        ready, _, _ = select.select([primary], [], [], 0.05)
        if ready:
            try:
                said += os.read(primary, 4096)
            except OSError:  # the sweep closed its terminal
                break
        if first is None and out.exists() and len(out.read_text().splitlines()) > 2:
            first = time.perf_counter() - start
        if process.poll() is not None and not ready:
            break
    process.wait()
    return first or float("nan"), said.decode().count("compiling numerical kernels")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    # As on a machine whose Python keeps bytecode caches (pip writes them at install): with
    # PYTHONDONTWRITEBYTECODE set (some containers do) every simtrial module is compiled from
    # source in every run, about 0.1 s that a user does not pay.
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", "import simtrial.cli, simtrial.simulate, "
                    "simtrial.annotate"], env=base, check=True)  # writes the bytecode caches
    imports = median([sys.executable, "-c", "import numpy, scipy.stats, numba"], args.repeats,
                     base)
    power = ["power", "--n", "400"]
    alone = dict(base, NUMBA_CACHE_DIR=tempfile.mkdtemp(), SIMTRIAL_COMPILE_ALONGSIDE="0")
    cold_alone, _ = timed([sys.executable, "-c", COUNT_COMPILES, *power], alone)
    cache = tempfile.mkdtemp()
    env = dict(base, NUMBA_CACHE_DIR=cache)
    cold, err = timed([sys.executable, "-c", COUNT_COMPILES, *power], env)
    compiles = err.split("compilations ")[-1].strip()
    files = len(list(Path(cache).rglob("*.nbi")))
    warm = median([*SIMTRIAL, *power], args.repeats, env)
    print(f"import numpy, scipy.stats, numba   {imports:6.2f} s")
    print(f"power --n 400, empty cache, 1 proc {cold_alone:6.2f} s  {cold_alone / imports:4.1f}x "
          "imports (SIMTRIAL_COMPILE_ALONGSIDE=0)")
    print(f"power --n 400, empty cache         {cold:6.2f} s  {cold / imports:4.1f}x imports "
          f"(target 5x): {compiles} compilations in the command's process, {files} cached "
          "kernels")
    print(f"power --n 400, warm cache          {warm:6.2f} s  {warm / imports:4.1f}x imports "
          "(target 2x)")
    for label, command in [
        ("--help", ["--help"]),
        ("validate (plain example)", ["validate", str(SCENARIOS / "examples/safety-rare.toml")]),
        ("validate (built-in, derivations)", ["validate", str(SCENARIOS / "msc-covid19.toml")]),
    ]:
        print(f"{label:34s} {median([*SIMTRIAL, *command], args.repeats, env):6.2f} s "
              "(target 0.3 s)")
    first, notices = sweep_first_cell(dict(base, NUMBA_CACHE_DIR=tempfile.mkdtemp()))
    print(f"2-job sweep, empty cache: first cell at {first:.2f} s, {first / cold:.2f}x the cold "
          f"power run (target 1.5x), {notices} compile notice(s) (target 1)")


if __name__ == "__main__":
    main()
