"""Cost of an assurance run against five power runs at 10,000 reps (issue 20, item 5).

Run: ``python benchmarks/bench_assurance.py [--n 400] [--draws 2000] [--reps 1000]``.
For the built-in example ``assurance-walk`` (a normal prior on the 6-MWD effect, t test) it
times, side by side in one run: the assurance with the fast path (trials simulated once and
rescaled per draw, :mod:`simtrial.rescaled`), the same with every draw simulating its trials
(the slow path, fewer draws, scaled up to the same draws), and five ``simulated_power`` runs
at 10,000 reps. It prints draws x trials per second and the ratio of each to the five power
runs; the target is a ratio of at most 1. Times are the best of a few repeats after a
warm-up (numba compiles once).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import simtrial
import simtrial.assurance as assurance_module
from simtrial.assurance import assurance
from simtrial.scenario import load_scenario
from simtrial.simulate import simulated_power


def best_of(repeats: int, run) -> float:
    """Shortest wall time of ``repeats`` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--slow-draws", type=int, default=200,
                        help="draws of the slow path (its time is scaled to --draws)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    sc = load_scenario("assurance-walk")

    def fast():
        assurance(sc, args.n, draws=args.draws, reps=args.reps, jobs=args.jobs)

    def slow():
        original = assurance_module.rescalable
        assurance_module.rescalable = lambda scenario, ep: False
        try:
            assurance(sc, args.n, draws=args.slow_draws, reps=args.reps, jobs=args.jobs)
        finally:
            assurance_module.rescalable = original

    def power():
        for _ in range(5):
            simulated_power(sc, args.n, reps=10_000, jobs=args.jobs)

    for run in (fast, slow, power):
        run()  # warm-up
    t_power = best_of(args.repeats, power)
    t_fast = best_of(args.repeats, fast)
    t_slow = best_of(args.repeats, slow) * args.draws / args.slow_draws
    cells = args.draws * args.reps
    print(f"simtrial {simtrial.__version__}, Python {platform.python_version()}, n = {args.n}, "
          f"{args.draws} draws x {args.reps} trials, best of {args.repeats}, jobs "
          f"{args.jobs or 'all'}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'run':<34} {'seconds':>8} {'cells/s':>10} {'vs 5 power':>10}")
    print(f"{'5 x simulated_power, 10,000 reps':<34} {t_power:>8.3f} {'':>10} {1.0:>10.2f}")
    for name, seconds in (("assurance, fast path", t_fast),
                          (f"assurance, slow path (x{args.draws / args.slow_draws:g})", t_slow)):
        print(f"{name:<34} {seconds:>8.3f} {cells / seconds:>10.3g} {seconds / t_power:>10.2f}")


if __name__ == "__main__":
    main()
