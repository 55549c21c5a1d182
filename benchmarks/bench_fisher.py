"""Fisher's exact test: time per chunk of simulated tables, and ``simtrial.power`` end to end.

Run: ``python benchmarks/bench_fisher.py [--n 100 400 1600] [--reps 20000]``. Designs: 65:35
allocation, 10% dropout per arm, efficacy (p 0.18 vs 0.30) and a rare safety event (p 0.02 vs
0.02), plus the efficacy design without dropout, where many replicates share margins.

1. ``simtrial.stattests.fisher`` (margin sort + kernel) on chunks of 1000 tables drawn by the
   simulation kernel (``binomial_counts``, the draws ``power`` makes), in milliseconds per
   chunk, next to the time to draw the chunk;
2. ``simtrial.power`` on 1 and 2 threads, trials per second.

Each time is the best of several runs after a warm-up call (compilation is not counted). The
machine may be shared: best-of timings are the least noisy, not noise-free.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from simtrial import rng as streams
from simtrial.kernels.binary import binomial_counts
from simtrial.scenario import parse_scenario
from simtrial.simulate import power
from simtrial.stattests import fisher

CHUNKS = 20  # distinct chunks of tables per design, each timed

SCENARIO = """
schema_version = 1
name = "bench-fisher"
[trial]
allocation = [65, 35]
[[endpoints]]
id = "ae"
kind = "binary"
test = "fisher"
better = "lower"
dropout = {dropout}
control = {{ p = {p_c} }}
treatment = {{ p = {p_t} }}
"""

DESIGNS = {  # name -> (p_t, p_c, dropout)
    "efficacy 0.18 vs 0.30": (0.18, 0.30, 0.1),
    "rare 0.02 vs 0.02": (0.02, 0.02, 0.1),
    "efficacy, no dropout": (0.18, 0.30, 0.0),
}


def best_seconds(function, repeat: int = 5) -> float:
    """Best of ``repeat`` timed calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def split(n: int) -> tuple[int, int]:
    n_t = int(n * 65 / 100 + 0.5)
    return n_t, n - n_t


def chunks(n: int, p_t: float, p_c: float, dropout: float) -> list[np.ndarray]:
    """CHUNKS chunks of simulated tables, each drawn by the kernel ``power`` uses."""
    n_t, n_c = split(n)
    out = []
    for i in range(CHUNKS):
        counts = np.empty((streams.CHUNK, 4), np.int64)
        binomial_counts(streams.chunk_generator(1, "bench", i), n_t, n_c, p_t, p_c,
                        dropout, dropout, counts)
        out.append(counts)
    return out


def draw_ms(n: int, p_t: float, p_c: float, dropout: float) -> float:
    """Milliseconds to draw one chunk of tables (the simulation the test follows)."""
    n_t, n_c = split(n)
    counts = np.empty((streams.CHUNK, 4), np.int64)
    gen = streams.chunk_generator(1, "bench", 0)
    return 1e3 * best_seconds(
        lambda: binomial_counts(gen, n_t, n_c, p_t, p_c, dropout, dropout, counts))


def test_ms(tables: list[np.ndarray]) -> float:
    """Milliseconds per chunk of ``fisher`` (two-sided), best run over all chunks."""
    def run():
        for counts in tables:
            fisher(counts, "two-sided", -1)
    return 1e3 * best_seconds(run) / len(tables)


def power_rate(scenario, n: int, reps: int, jobs: int) -> float:
    """Trials per second of ``simtrial.power``, best of three runs."""
    return reps / best_seconds(lambda: power(scenario, n, reps=reps, jobs=jobs), repeat=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 400, 1600])
    parser.add_argument("--reps", type=int, default=20_000)
    args = parser.parse_args()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"cores: {os.cpu_count()}; load average {load}; 65:35; chunks of {streams.CHUNK}; "
          f"power: {args.reps} reps")
    print(f"{'design':24} {'n':>5} {'fisher ms/chunk':>16} {'draw ms/chunk':>14} "
          f"{'power 1 thread/s':>17} {'power 2 threads/s':>18}")
    for name, (p_t, p_c, dropout) in DESIGNS.items():
        sc = parse_scenario(SCENARIO.format(p_t=p_t, p_c=p_c, dropout=dropout))
        for n in args.n:
            rates = [power_rate(sc, n, args.reps, jobs) for jobs in (1, 2)]
            print(f"{name:24} {n:5d} {test_ms(chunks(n, p_t, p_c, dropout)):16.3f} "
                  f"{draw_ms(n, p_t, p_c, dropout):14.3f} {rates[0]:17,.0f} {rates[1]:18,.0f}")


if __name__ == "__main__":
    main()
