"""Group-sequential trials: simtrial's simulated 3-look trials against rpact, in one run.

Run: ``python benchmarks/bench_sequential.py [--reps 200000] [--rpact-reps 20000]``. The
design (issue 17; scenarios/examples/group-sequential.toml): looks at 0.5, 0.75 and 1 of
n = 400 (200, 300, 400 randomised), 65:35, one-sided alpha 0.025, Lan-DeMets
O'Brien-Fleming-type efficacy bounds and non-binding O'Brien-Fleming-type beta-spending
futility bounds (beta 0.2); a difference in means of 27 with sd 69.36, no dropout.

Simulated 3-look trials per second (each trial analysed at every look it reaches, the
boundaries applied), one core each:

1. simtrial, the search's path: :func:`simtrial.simulate.nested_looks` (the nested-sample
   kernel and the t test at the three looks, signed z) and
   :func:`simtrial.design.sequential.sequential_outcome`, one thread (``jobs=1``), under H1;
2. simtrial end to end: :func:`simtrial.simulate.sequential_power` (``jobs=1``), which
   simulates every trial under H1 and again under H0 and adds the canonical normal model;
   counted as 2 x reps trials;
3. rpact ``getSimulationMeans`` through ``Rscript`` (single-threaded), timed inside R so that
   R's start-up is not counted, under H1.

Each time is the best of three runs after a warm-up call (compilation is not counted). The
machine may be shared: best-of timings are the least noisy, not noise-free.
"""

from __future__ import annotations

import argparse
import subprocess
import time

import numpy as np

from simtrial.design import group_sequential_design
from simtrial.design.sequential import sequential_outcome
from simtrial.scenario import load_scenario
from simtrial.simulate import look_sizes, nested_looks, sequential_power

N = 400
DESIGN = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf",
                                 futility="ld-obf", beta=0.2, binding=False)

RPACT = """
suppressMessages(library(rpact))
design <- getDesignGroupSequential(kMax = 3, informationRates = c(0.5, 0.75, 1),
  alpha = 0.025, sided = 1, typeOfDesign = "asOF", typeBetaSpending = "bsOF", beta = 0.2,
  bindingFutility = FALSE)
run <- function(iterations) getSimulationMeans(design, groups = 2, alternative = 27,
  stDev = 69.36, plannedSubjects = c(200, 300, 400), allocationRatioPlanned = 65/35,
  maxNumberOfIterations = iterations, seed = 1)
invisible(run(10))
best <- Inf
for (i in 1:3) {{
  elapsed <- system.time(result <- run({reps}))[["elapsed"]]
  best <- min(best, elapsed)
}}
cat(best, result$overallReject, result$expectedNumberOfSubjects, "\\n")
"""


def scenario():
    """The example scenario's endpoint at sd 69.36 without dropout (rpact's model)."""
    return load_scenario("scenarios/examples/group-sequential.toml").with_values({
        "endpoints.walk_m.dropout": 0.0, "endpoints.walk_m.control.sd": 69.36,
        "endpoints.walk_m.treatment.sd": 69.36})


def best_seconds(function, repeat: int = 3) -> float:
    """Best of ``repeat`` timed calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def simtrial_rates(reps: int) -> tuple[float, float, float, float]:
    """Trials per second (search path, end to end), power and expected n under H1."""
    sc = scenario()
    ep = sc.endpoint("walk_m")
    ns = look_sizes(sc.trial, DESIGN, N)
    sizes = np.array([sc.trial.split(m) for m in ns])

    def looks():
        at = nested_looks(ep, sizes, sc.trial.alternative, reps, 1, jobs=1, signed=True)
        return sequential_outcome(DESIGN, at.z)

    path = reps / best_seconds(looks)
    whole = 2 * reps / best_seconds(lambda: sequential_power(sc, N, DESIGN, reps=reps, seed=1,
                                                             jobs=1))
    result = sequential_power(sc, N, DESIGN, reps=reps, seed=1, jobs=1)
    return path, whole, result.h1["power"], result.h1["expected_n"]["value"]


def rpact_rate(reps: int) -> tuple[float, float, float] | None:
    """Trials per second, power and expected n of rpact getSimulationMeans (None without R)."""
    try:
        done = subprocess.run(["Rscript", "-e", RPACT.format(reps=reps)], capture_output=True,
                              text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    seconds, power, expected_n = (float(x) for x in done.stdout.split())
    return reps / seconds, power, expected_n


def main() -> None:
    """Print trials per second of each engine and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=200_000)
    parser.add_argument("--rpact-reps", type=int, default=20_000)
    args = parser.parse_args()
    path, whole, power, expected_n = simtrial_rates(args.reps)
    rpact = rpact_rate(args.rpact_reps)
    print(f"{'engine':<46}{'3-look trials/s':>16}{'power':>8}{'E[N] H1':>9}{'vs rpact':>10}")
    rows = [("simtrial nested_looks + boundaries (1 thread)", path, power, expected_n),
            ("simtrial sequential_power, H1 + H0 (1 thread)", whole, power, expected_n)]
    for name, rate, p, en in rows:
        ratio = "" if rpact is None else f"{rate / rpact[0]:.1f}x"
        print(f"{name:<46}{rate:>16,.0f}{p:>8.4f}{en:>9.1f}{ratio:>10}")
    if rpact is None:
        print(f"{'rpact getSimulationMeans':<46}{'not available':>16}")
    else:
        print(f"{'rpact getSimulationMeans':<46}{rpact[0]:>16,.0f}{rpact[1]:>8.4f}"
              f"{rpact[2]:>9.1f}")


if __name__ == "__main__":
    main()
