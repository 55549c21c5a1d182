"""Win-ratio replicates per second: simtrial's O(n log n) kernel against numpy over all pairs.

Run: ``python benchmarks/bench_winratio.py [--n 400] [--reps 4000]``. The scenario is
``scenarios/examples/hierarchical-winratio.toml`` (death by day 28, terminal, then 6-MWD with
a 20 m margin; latent correlation -0.3; 65:35). Printed side by side, one thread each:

1. ``simtrial.simulate.simulated_power(..., jobs=1)``: draws, counting by groups and sorted values
   (:mod:`simtrial.kernels.wins`), variances and p-values;
2. the same trials in numpy, vectorised over blocks of replicates: the patients' correlated
   latents drawn as arrays, then every treatment-control pair compared as a (block, m_t, m_c)
   boolean array per level (win, loss, still tied), the U-statistic variances from the row and
   column means of the pair arrays, the z test of log WR (no dropout in this scenario, so
   every replicate has the same m_t, m_c).

Each rate is the best of five interleaved rounds after a warm-up call (compilation is not
counted), in wall-clock and in CPU time (the machine is shared: see :func:`rates`).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy import special

from simtrial.scenario import load_scenario
from simtrial.simulate import simulated_power

BLOCK = 50


def numpy_pairwise(ep, n_t: int, n_c: int, reps: int, seed: int) -> float:
    """Rejection rate of the two-sided win ratio test, all pairs in numpy (the baseline)."""
    (lower, cuts, _levels, _flip, _terminal, _timed, _pieces, _continuous, normal, _sign,
     margin) = ep.model.kernel_arguments(ep)
    gen = np.random.default_rng(seed)
    rejected = 0
    for start in range(0, reps, BLOCK):
        size = min(BLOCK, reps - start)
        arms = []
        for a, n in enumerate((n_t, n_c)):
            z = gen.standard_normal((size, n, 2)) @ lower.T
            alive = z[..., 0] <= cuts[0, a, 0]  # death: the latent's upper tail
            walk = normal[a, 0] + normal[a, 1] * z[..., 1]
            arms.append((alive, walk))
        (alive_t, walk_t), (alive_c, walk_c) = arms
        at, ac = alive_t[:, :, None], alive_c[:, None, :]
        both = at & ac
        diff = walk_t[:, :, None] - walk_c[:, None, :]
        win = (at & ~ac) | (both & (diff > margin))
        loss = (~at & ac) | (both & (diff < -margin))
        p_w, p_l = win.mean(axis=(1, 2)), loss.mean(axis=(1, 2))

        def var(x, y):
            xr, yr, xc, yc = x.mean(2), y.mean(2), x.mean(1), y.mean(1)
            rows = ((xr - xr.mean(1, keepdims=True)) * (yr - yr.mean(1, keepdims=True))
                    ).sum(1) / (n_t * (n_t - 1))
            cols = ((xc - xc.mean(1, keepdims=True)) * (yc - yc.mean(1, keepdims=True))
                    ).sum(1) / (n_c * (n_c - 1))
            return rows + cols

        v = var(win, win) / p_w**2 + var(loss, loss) / p_l**2 - 2 * var(win, loss) / (p_w * p_l)
        z = np.log(p_w / p_l) / np.sqrt(v)
        rejected += int(np.count_nonzero(2 * special.ndtr(-np.abs(z)) <= 0.05))
    return rejected / reps


def rates(runs, reps: list[int], rounds: int = 5) -> list[tuple[float, float]]:
    """Per run, (wall-clock, CPU-time) replicates per second: the best of interleaved rounds.

    The runs take turns, round after round, after a warm-up call each (compilation), so a
    slow spell of the shared machine hits them alike; the CPU time (``time.process_time``,
    this process's threads only) leaves out the time other processes hold the core.
    """
    for run, r in zip(runs, reps, strict=True):
        run(min(r, 200))
    wall = [float("inf")] * len(runs)
    cpu = [float("inf")] * len(runs)
    for _ in range(rounds):
        for i, (run, r) in enumerate(zip(runs, reps, strict=True)):
            w0, c0 = time.perf_counter(), time.process_time()
            run(r)
            wall[i] = min(wall[i], (time.perf_counter() - w0) / r)
            cpu[i] = min(cpu[i], (time.process_time() - c0) / r)
    return [(1 / w, 1 / c) for w, c in zip(wall, cpu, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--reps", type=int, default=4000)
    args = parser.parse_args()
    sc = load_scenario("hierarchical-winratio")
    ep = sc.endpoint("death_walk")
    n_t, n_c = sc.trial.split(args.n)
    baseline_reps = max(args.reps // 10, BLOCK)
    (ours, ours_cpu), (theirs, theirs_cpu) = rates(
        [lambda r: simulated_power(sc, args.n, reps=r, seed=1, jobs=1),
         lambda r: numpy_pairwise(ep, n_t, n_c, r, seed=1)], [args.reps, baseline_reps])
    p_ours = simulated_power(sc, args.n, reps=args.reps, seed=1, jobs=1).endpoints[0].power
    p_numpy = numpy_pairwise(ep, n_t, n_c, args.reps, seed=2)
    print(f"win ratio, n = {args.n} ({n_t}:{n_c}), one thread, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'implementation':<34}{'replicates/s':>14}{'CPU-time /s':>14}{'power':>8}")
    print(f"{'simtrial (O(n log n) kernel)':<34}{ours:>14,.0f}{ours_cpu:>14,.0f}{p_ours:>8.3f}")
    print(f"{'numpy, all pairs, blocks of 50':<34}{theirs:>14,.0f}{theirs_cpu:>14,.0f}"
          f"{p_numpy:>8.3f}")
    print(f"ratio: {ours / theirs:.1f}x wall-clock, {ours_cpu / theirs_cpu:.1f}x CPU time")


if __name__ == "__main__":
    main()
