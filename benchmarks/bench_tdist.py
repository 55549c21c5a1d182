"""Student's t distribution function: simtrial's numba kernel against scipy.special.stdtr.

Run: ``python benchmarks/bench_tdist.py [--size 200000]``. Prints nanoseconds per value of
:func:`simtrial.kernels.tdist.t_cdf` and of ``scipy.special.stdtr`` on the same arrays, in the
same process, one thread, and the ratio. The t values are those of p-values: ``-|Z + 2.5|``
with Z standard normal (most between -5 and -0.5). Degrees of freedom: fixed 5, 30 and 398
(the pooled t test at n = 7, 32, 400) and Welch-like fractional ones drawn uniformly in
[200, 398] and in [5, 30]. Each time is the best of seven calls after a warm-up call
(compilation is not counted).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy import special

from simtrial.kernels.tdist import t_cdf


def best_seconds(function, repeat: int = 7) -> float:
    """Best of ``repeat`` timed calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    args = parser.parse_args()
    size = args.size
    gen = np.random.default_rng(1)
    t = -np.abs(gen.standard_normal(size) + 2.5)
    cases = {
        "df = 5": np.full(size, 5.0),
        "df = 30": np.full(size, 30.0),
        "df = 398": np.full(size, 398.0),
        "Welch, df in [200, 398]": gen.uniform(200, 398, size),
        "Welch, df in [5, 30]": gen.uniform(5, 30, size),
    }
    out = np.empty(size)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average {load}; {size:,} values per call, one thread, ns per value")
    print(f"  {'degrees of freedom':26s} {'simtrial':>9s} {'stdtr':>9s} {'ratio':>7s}")
    for name, df in cases.items():
        ours = best_seconds(lambda df=df: t_cdf(t, df, out)) / size * 1e9
        scipy = best_seconds(lambda df=df: special.stdtr(df, t)) / size * 1e9
        print(f"  {name:26s} {ours:9.1f} {scipy:9.1f} {scipy / ours:6.1f}x")


if __name__ == "__main__":
    main()
