"""Rank test with ties on a discrete score, and Fisher's exact test: simtrial against scipy.

Run: ``python benchmarks/bench_ranks.py [--n 400] [--reps 20000]``. Prints simulated trials per
second and the ratios:

1. SF-36-like score (0-100 by 5, ceiling and floor mass, 65:35, 10% dropout), Mann-Whitney:
   ``simtrial.power`` on 1 and 2 threads (draws + ranks by counting + p-values) against the
   same work with numpy + scipy vectorised: patients drawn as a (reps, n) array of levels
   (``Generator.choice``), then ``scipy.stats.mannwhitneyu(x, y, axis=1,
   method="asymptotic")`` in blocks of 2000 replicates; also against scipy's test alone (data
   drawn beforehand, not timed).
2. Binary endpoint, Fisher's exact test: ``simtrial.power`` (each table's p-value from the pmf
   around the mode) against ``scipy.stats.fisher_exact`` called once per replicate on the same
   kind of tables.

Each rate is the best of three runs after a warm-up call (compilation is not counted).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy import stats

from simtrial.distributions import level_probabilities, score_levels
from simtrial.scenario import parse_scenario
from simtrial.simulate import power

BLOCK = 2000

SCORE = """
schema_version = 1
name = "bench-score"
[trial]
allocation = [65, 35]
[[endpoints]]
id = "gh"
kind = "score"
test = "mannwhitney"
better = "higher"
dropout = 0.1
scale = { min = 0, max = 100, step = 5 }
control = { mean = 60.0, sd = 28.0 }
treatment = { mean = 66.0, sd = 28.0 }
"""

FISHER = """
schema_version = 1
name = "bench-fisher"
[trial]
allocation = [65, 35]
[[endpoints]]
id = "ae"
kind = "safety"
test = "fisher"
better = "lower"
dropout = 0.1
control = { p = 0.02 }
treatment = { p = 0.06 }
"""


def best_rate(function, reps: int, repeat: int = 3) -> float:
    """Replicates per second: best of ``repeat`` timed calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return reps / min(times)


def split(n: int) -> tuple[int, int]:
    n_t = int(n * 65 / 100 + 0.5)
    return n_t, n - n_t


def scipy_score_trials(ep, n: int, reps: int, seed: int, draw: bool, data=None):
    """Draw patients as (reps, n) arrays and test with scipy, BLOCK replicates at a time."""
    gen = np.random.default_rng(seed)
    levels = score_levels(*ep.scale)
    n_t, n_c = split(n)
    p_t, p_c = level_probabilities(ep, "treatment"), level_probabilities(ep, "control")
    out = []
    for start in range(0, reps, BLOCK):
        size = min(BLOCK, reps - start)
        if draw:
            x = gen.choice(levels, (size, n_t), p=p_t)
            y = gen.choice(levels, (size, n_c), p=p_c)
            # dropout: an unassessed patient is NaN, dropped by nan_policy="omit" would be
            # far slower; equal-size samples of the expected number assessed instead
            x, y = x[:, : round(0.9 * n_t)], y[:, : round(0.9 * n_c)]
        else:
            x, y = data
            x, y = x[:size], y[:size]
        out.append(stats.mannwhitneyu(x, y, axis=1, method="asymptotic").pvalue)
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--reps", type=int, default=20_000)
    args = parser.parse_args()
    n, reps = args.n, args.reps
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"cores: {os.cpu_count()}; load average {load} (other work shares the cores and "
          f"lowers the 2-thread gain); n = {n} (65:35), reps = {reps}")

    score = parse_scenario(SCORE)
    ep = score.endpoints[0]
    sim1 = best_rate(lambda: power(score, n, reps=reps, jobs=1), reps)
    sim2 = best_rate(lambda: power(score, n, reps=reps, jobs=2), reps)
    sp_full = best_rate(lambda: scipy_score_trials(ep, n, reps, 1, draw=True), reps)
    gen = np.random.default_rng(2)
    n_t, n_c = split(n)
    levels = score_levels(*ep.scale)
    data = (gen.choice(levels, (BLOCK, round(0.9 * n_t)), p=level_probabilities(ep, "treatment")),
            gen.choice(levels, (BLOCK, round(0.9 * n_c)), p=level_probabilities(ep, "control")))
    sp_test = best_rate(lambda: scipy_score_trials(ep, n, reps, 1, draw=False, data=data), reps)
    print("\nMann-Whitney on a 0-100 score by 5 (21 levels, heavy ties), trials/s")
    print(f"  simtrial.power, 1 thread      {sim1:12,.0f}")
    print(f"  simtrial.power, 2 threads     {sim2:12,.0f}")
    print(f"  numpy draws + scipy, 1 thread {sp_full:12,.0f}   ratio (2 threads) "
          f"{sim2 / sp_full:6.1f}x   (1 thread) {sim1 / sp_full:6.1f}x")
    print(f"  scipy test alone, 1 thread    {sp_test:12,.0f}   ratio (2 threads) "
          f"{sim2 / sp_test:6.1f}x   (1 thread) {sim1 / sp_test:6.1f}x")

    fisher_sc = parse_scenario(FISHER)
    f1 = best_rate(lambda: power(fisher_sc, n, reps=reps, jobs=1), reps)
    f2 = best_rate(lambda: power(fisher_sc, n, reps=reps, jobs=2), reps)
    gen = np.random.default_rng(3)
    m_t, m_c = gen.binomial(n_t, 0.9, 2000), gen.binomial(n_c, 0.9, 2000)
    x_t, x_c = gen.binomial(m_t, 0.06), gen.binomial(m_c, 0.02)

    def scipy_fisher():
        for a, b, c, d in zip(x_t, m_t - x_t, x_c, m_c - x_c, strict=True):
            stats.fisher_exact([[a, b], [c, d]])

    sp_fisher = best_rate(scipy_fisher, 2000)
    print("\nFisher's exact test, rare events (p 0.06 vs 0.02), trials/s")
    print(f"  simtrial.power, 1 thread            {f1:12,.0f}")
    print(f"  simtrial.power, 2 threads           {f2:12,.0f}")
    print(f"  scipy.stats.fisher_exact per trial  {sp_fisher:12,.0f}   ratio (2 threads) "
          f"{f2 / sp_fisher:6.1f}x   (1 thread) {f1 / sp_fisher:6.1f}x  (test only for scipy)")


if __name__ == "__main__":
    main()
