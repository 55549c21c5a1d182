"""Throughput of simtrial's kernels against a scipy vectorised baseline, in one process.

Run: ``python benchmarks/run.py [--n 400] [--reps 20000]``. For each test kernel it prints
simulated trials per second for simtrial (1 and 2 threads) and for the same work written the
way a user would with numpy + scipy (all replicates drawn as one (reps, n) array, the test
applied along axis 1), and the ratio. Timings are the best of a few repeats, after a warm-up
call so that numba compilation is not counted. The binary endpoint has 10% per-patient dropout
in both implementations; the normal endpoints have none (scipy's NaN handling would make the
baseline unfairly slow).
"""

from __future__ import annotations

import argparse
import platform
import time
from functools import partial

import numpy as np
import scipy
from scipy import stats

from simtrial.scenario import parse_scenario
from simtrial.simulate import power

SCENARIO = """
schema_version = 1
name = "bench"
[trial]
allocation = [65, 35]
[[endpoints]]
id = "binary"
kind = "binary"
test = "chisq"
better = "lower"
dropout = 0.1
control = {{ p = 0.30 }}
treatment = {{ p = 0.18 }}
[[endpoints]]
id = "normal"
kind = "continuous"
test = "{test}"
better = "higher"
control = {{ mean = 50.0, sd = 25.0 }}
treatment = {{ mean = 60.0, sd = 25.0 }}
"""


def best_time(function, repeats=3):
    function()  # warm-up: compilation and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def scipy_chisq(rng, n_t, n_c, reps):
    """Per-patient dropout (10%) and events as (reps, n) arrays; Pearson chi-square."""
    assessed_t, assessed_c = rng.random((reps, n_t)) >= 0.1, rng.random((reps, n_c)) >= 0.1
    m_t, m_c = assessed_t.sum(1), assessed_c.sum(1)
    x_t = (assessed_t & (rng.random((reps, n_t)) < 0.18)).sum(1)
    x_c = (assessed_c & (rng.random((reps, n_c)) < 0.30)).sum(1)
    pooled = (x_t + x_c) / (m_t + m_c)
    z = (x_t / m_t - x_c / m_c) / np.sqrt(pooled * (1 - pooled) * (1 / m_t + 1 / m_c))
    return stats.chi2.sf(z**2, 1)


def scipy_ttest(rng, n_t, n_c, reps, equal_var):
    """Normal data (no dropout) as (reps, n) arrays; scipy.stats.ttest_ind along axis 1."""
    y_t = rng.normal(60.0, 25.0, (reps, n_t))
    y_c = rng.normal(50.0, 25.0, (reps, n_c))
    return stats.ttest_ind(y_t, y_c, axis=1, equal_var=equal_var).pvalue


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--reps", type=int, default=20_000)
    args = parser.parse_args()
    n, reps = args.n, args.reps
    n_t, n_c = round(n * 0.65), n - round(n * 0.65)
    print(f"# simtrial kernels vs scipy vectorised, n = {n} ({n_t}:{n_c}), {reps} trials; "
          f"numpy {np.__version__}, scipy {scipy.__version__}, {platform.processor() or 'cpu'}")
    print(f"{'test':8} {'simtrial 1 thr':>15} {'simtrial 2 thr':>15} {'scipy':>12} "
          f"{'ratio 1':>8} {'ratio 2':>8}   (trials/s)")
    rng = np.random.default_rng(1)
    cases = {
        "chisq": ("ttest", "binary", lambda: scipy_chisq(rng, n_t, n_c, reps)),
        "ttest": ("ttest", "normal", lambda: scipy_ttest(rng, n_t, n_c, reps, True)),
        "welch": ("welch", "normal", lambda: scipy_ttest(rng, n_t, n_c, reps, False)),
    }
    for name, (test, endpoint, baseline) in cases.items():
        sc = parse_scenario(SCENARIO.format(test=test))
        ours = [reps / best_time(partial(power, sc, n, reps=reps, endpoints=[endpoint], jobs=j))
                for j in (1, 2)]
        base = reps / best_time(baseline, repeats=1)
        print(f"{name:8} {ours[0]:15,.0f} {ours[1]:15,.0f} {base:12,.0f} "
              f"{ours[0] / base:8.1f} {ours[1] / base:8.1f}")


if __name__ == "__main__":
    main()
