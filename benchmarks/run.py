"""simtrial's throughput side by side with scipy, the draw-only floor and R rpact, in one run.

Run: ``python benchmarks/run.py [--n 100 400 1600] [--quick] [--no-write]``. It prints and
writes to ``benchmarks/RESULTS.md`` (below the marker line; the notes above it are kept):

1. per test and n: trials per second of ``simtrial.power`` on 1 and 2 threads; the same work
   written the way a user would with numpy + scipy (replicates as rows of (reps, n) arrays,
   the test along axis 1, in blocks of 2000 replicates, one thread); the **floor**, a numba
   loop that makes exactly the kernel's random draws (same generator per chunk of 1000, same
   count of draws) and nothing else; and the ratios;
2. the kernels alone on one thread against their floor, including the patient-level twins and
   the correlated-group kernel (the built-in scenario's walk_lln, sf36_gh and walk_m, without
   dropout) against its floor and against the same trials in numpy + scipy;
3. the t test and chi-square against R rpact's simulation throughput recorded in
   ``tests/reference/r_reference.json`` (with the R call), on rpact's design;
4. command-line latency: ``simtrial --version``, ``simtrial power --n 400`` with a warm and a
   cold numba cache, against ``python -c "import numpy, scipy.stats, numba"``;
5. a sample-size search against one power run at the n it finds.

Each rate is the best of five timings of a run long enough to take at least 0.25 s, after a
warm-up call (compilation is not counted; scipy: best of two, or one where slow). A kernel and
its floor are timed in turns, 15 rounds, and their ratio is the median of the rounds' ratios
(``against_floor``). Binary endpoints have 10% dropout in every implementation; continuous and
score endpoints have none.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import scipy
from scipy import stats

import simtrial
from simtrial import rng as streams
from simtrial.correlated import correlated_groups, joint_model, simulate_group_chunk
from simtrial.distributions import level_probabilities, score_levels
from simtrial.kernels._jit import kernel
from simtrial.kernels.binary import bernoulli_counts
from simtrial.kernels.continuous import normal_moments
from simtrial.kernels.group import draw_latents
from simtrial.scenario import correlation_matrix, load_scenario, parse_scenario
from simtrial.simulate import power
from simtrial.stattests import TESTS

HERE = Path(__file__).parent
MARKER = "<!-- Everything below is written by benchmarks/run.py. -->"
R_REFERENCE = HERE.parent / "tests" / "reference" / "r_reference.json"
BLOCK = 2000  # replicates per scipy call

ENDPOINTS = {
    "binary": """kind = "binary"
better = "lower"
dropout = 0.1
control = { p = 0.30 }
treatment = { p = 0.18 }""",
    "normal": """kind = "continuous"
better = "higher"
control = { mean = 50.0, sd = 25.0 }
treatment = { mean = 60.0, sd = 25.0 }""",
    "score": """kind = "score"
better = "higher"
scale = { min = 0, max = 100, step = 5 }
control = { mean = 50.0, sd = 25.0 }
treatment = { mean = 60.0, sd = 25.0 }""",
}


def scenario(endpoint: str, test: str, trial: str = ""):
    """A one-endpoint scenario (id ``e``) at 65:35."""
    return parse_scenario(f"""schema_version = 1
name = "bench"
[trial]
allocation = [65, 35]
{trial}
[[endpoints]]
id = "e"
test = "{test}"
{ENDPOINTS[endpoint]}
""")


def timed(run, reps):
    """Seconds taken by ``run(reps)``."""
    start = time.perf_counter()
    run(reps)
    return time.perf_counter() - start


def long_enough(run, reps_start, min_seconds):
    """``(reps, seconds)``: reps doubled from ``reps_start`` until a run takes min_seconds."""
    run(reps_start)  # warm-up: compilation and caches
    reps = reps_start
    while (elapsed := timed(run, reps)) < min_seconds:
        reps *= 2
    return reps, elapsed


def rate(run, reps_start=2000, min_seconds=0.25, repeats=5):
    """Trials per second of ``run(reps)``: best of ``repeats`` at a reps taking min_seconds."""
    reps, elapsed = long_enough(run, reps_start, min_seconds)
    return reps / min([elapsed] + [timed(run, reps) for _ in range(repeats - 1)])


def against_floor(kernel_run, floor_run, rounds=15, min_seconds=0.1):
    """``(kernel rate, floor rate, kernel time / floor time)``, the two timed in turns.

    Each round times the kernel and then its floor on the same number of trials; the rates are
    the best rounds' and the ratio is the median of the rounds' ratios. This machine's speed
    drifts by up to 1.7x from one minute to the next (a shared virtual machine), so the ratio
    of two best-of timings made apart came out anywhere from 1.3x to 2.5x for one kernel.
    """
    reps, _ = long_enough(kernel_run, 1000, min_seconds)
    floor_run(reps)  # warm-up
    times = np.array([(timed(kernel_run, reps), timed(floor_run, reps)) for _ in range(rounds)])
    return reps / times[:, 0].min(), reps / times[:, 1].min(), float(
        np.median(times[:, 0] / times[:, 1]))


# ---- floors: only the random draws the kernels make, same generators, same counts ----------
# (each floor returns a count of its draws' signs, an integer sum: a floating-point sum would be
# a chain of dependent additions slower than the draws themselves)

@kernel
def floor_counts(rng, n_t, n_c, p_t, p_c, drop, reps):
    """binomial_counts' draws: assessed and events per arm."""
    total = 0
    for _ in range(reps):
        m_t = rng.binomial(n_t, 1.0 - drop)
        total += rng.binomial(m_t, p_t)
        m_c = rng.binomial(n_c, 1.0 - drop)
        total += rng.binomial(m_c, p_c)
    return total


@kernel
def floor_moments(rng, n_t, n_c, reps):
    """normal_chi2_moments' draws without dropout: a normal and a chi-square per arm."""
    total = 0.0
    for _ in range(reps):
        total += rng.normal(0.0, 1.0) + rng.chisquare(n_t - 1)
        total += rng.normal(0.0, 1.0) + rng.chisquare(n_c - 1)
    return total


@kernel
def floor_normals(rng, n_t, n_c, reps):
    """One normal per patient (normal_moments and normal_rank_stats without dropout)."""
    total = 0
    for _ in range(reps):
        for _ in range(n_t + n_c):
            total += rng.normal(0.0, 1.0) > 0.0
    return total


@kernel
def floor_bernoulli(rng, n_t, n_c, drop, reps):
    """bernoulli_counts' draws: a dropout uniform per patient, an outcome one if assessed."""
    total = 0
    for _ in range(reps):
        for _ in range(n_t + n_c):
            if rng.random() >= drop:
                total += rng.random() < 0.5
    return total


@kernel
def floor_uniforms(rng, n_t, n_c, reps):
    """grid_rank_stats' draws without dropout: one uniform per patient (its level)."""
    total = 0
    for _ in range(reps):
        for _ in range(n_t + n_c):
            total += rng.random() < 0.5
    return total


@kernel
def floor_group(rngs, k, n, reps):
    """draw_latents' draws: the first stream's latents for the chunk, then per replicate the
    other k - 1 endpoints' latents, the first stream's visit uniforms and the baselines' noise
    (the streams after the k-th)."""
    total = 0
    for _ in range(reps):
        for _ in range(n):
            total += rngs[0].standard_normal() > 0.0
    for _ in range(reps):
        for j in range(1, k):
            generator = rngs[j]
            for _ in range(n):
                total += generator.standard_normal() > 0.0
        for _ in range(n):
            total += rngs[0].random() < 0.5
        for j in range(k, len(rngs)):
            generator = rngs[j]
            for _ in range(n):
                total += generator.standard_normal() > 0.0
    return total


def same_draws(run, floor, reps=50):
    """Check that ``floor`` makes exactly ``run``'s draws: both leave a generator in one state."""
    states = []
    for function in (run, floor):
        generator = np.random.default_rng(7)
        function(generator, reps)
        states.append(generator.bit_generator.state)
    if states[0] != states[1]:
        raise RuntimeError(f"{floor} does not make the kernel's draws")


def chunked(draw, reps, stream="e"):
    """Run ``draw(generator, reps_in_chunk)`` over the chunks and generators simulate uses."""
    for i, part in enumerate(streams.chunk_slices(reps)):
        draw(streams.chunk_generator(1, stream, i), part.stop - part.start)


# ---- scipy baselines: the same trials as a user would vectorise them ---------------------

def blocks(function, reps):
    generator = np.random.default_rng(1)
    for start in range(0, reps, BLOCK):
        function(generator, min(BLOCK, reps - start))


def scipy_counts(generator, n_t, n_c, reps):
    assessed_t = generator.random((reps, n_t)) >= 0.1
    assessed_c = generator.random((reps, n_c)) >= 0.1
    x_t = (assessed_t & (generator.random((reps, n_t)) < 0.18)).sum(1)
    x_c = (assessed_c & (generator.random((reps, n_c)) < 0.30)).sum(1)
    return assessed_t.sum(1), x_t, assessed_c.sum(1), x_c


def scipy_chisq(generator, n_t, n_c, reps):
    m_t, x_t, m_c, x_c = scipy_counts(generator, n_t, n_c, reps)
    pooled = (x_t + x_c) / (m_t + m_c)
    z = (x_t / m_t - x_c / m_c) / np.sqrt(pooled * (1 - pooled) * (1 / m_t + 1 / m_c))
    return stats.chi2.sf(z**2, 1)


def scipy_fisher(generator, n_t, n_c, reps):
    # scipy has no vectorised Fisher test: one fisher_exact call per simulated table.
    m_t, x_t, m_c, x_c = scipy_counts(generator, n_t, n_c, reps)
    return [stats.fisher_exact([[x_t[r], m_t[r] - x_t[r]], [x_c[r], m_c[r] - x_c[r]]]).pvalue
            for r in range(reps)]


def scipy_ttest(generator, n_t, n_c, reps, equal_var=True):
    y_t = generator.normal(60.0, 25.0, (reps, n_t))
    y_c = generator.normal(50.0, 25.0, (reps, n_c))
    return stats.ttest_ind(y_t, y_c, axis=1, equal_var=equal_var).pvalue


def scipy_welch(generator, n_t, n_c, reps):
    return scipy_ttest(generator, n_t, n_c, reps, equal_var=False)


def scipy_mannwhitney(generator, n_t, n_c, reps):
    y_t = generator.normal(60.0, 25.0, (reps, n_t))
    y_c = generator.normal(50.0, 25.0, (reps, n_c))
    return stats.mannwhitneyu(y_t, y_c, axis=1, method="asymptotic").pvalue


def scipy_score(levels, probs_t, probs_c):
    def run(generator, n_t, n_c, reps):
        y_t = generator.choice(levels, size=(reps, n_t), p=probs_t)
        y_c = generator.choice(levels, size=(reps, n_c), p=probs_c)
        return stats.mannwhitneyu(y_t, y_c, axis=1, method="asymptotic").pvalue
    return run


# ---- the rows -----------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    endpoint: str
    test: str
    scipy: object  # function(generator, n_t, n_c, reps)
    floor: object  # function(generator, n_t, n_c, reps) making the kernel's draws


def cases():
    sc = scenario("score", "mannwhitney").endpoints[0]
    p_t, p_c = level_probabilities(sc, "treatment"), level_probabilities(sc, "control")
    levels = np.arange(0, 101, 5.0)

    def counts_floor(g, n_t, n_c, reps):
        return floor_counts(g, n_t, n_c, 0.18, 0.30, 0.1, reps)

    return [
        Case("chisq", "binary", "chisq", scipy_chisq, counts_floor),
        Case("fisher", "binary", "fisher", scipy_fisher, counts_floor),
        Case("ttest", "normal", "ttest", scipy_ttest, floor_moments),
        Case("welch", "normal", "welch", scipy_welch, floor_moments),
        Case("mw-cont", "normal", "mannwhitney", scipy_mannwhitney, floor_normals),
        Case("mw-score", "score", "mannwhitney", scipy_score(levels, p_t, p_c), floor_uniforms),
    ]


def split(n):
    return scenario("binary", "chisq").trial.split(n)


def measure_case(case: Case, n: int, quick: bool):
    sc = scenario(case.endpoint, case.test)
    n_t, n_c = split(n)
    ours = [rate(lambda reps, j=j: power(sc, n, reps=reps, jobs=j)) for j in (1, 2)]
    ep = sc.endpoints[0]
    statistic = TESTS[ep.test].statistic
    simulate_chunk = ep.model.simulators[statistic.name]
    out = np.empty((streams.CHUNK, statistic.columns), statistic.dtype)

    def run_kernel(generator, reps):
        simulate_chunk(generator, ep, n_t, n_c, out[:reps])

    def run_floor(generator, reps):
        case.floor(generator, n_t, n_c, reps)

    same_draws(run_kernel, run_floor)
    kernel_rate, floor, ratio = against_floor(lambda reps: chunked(run_kernel, reps),
                                              lambda reps: chunked(run_floor, reps))
    slow = case.name == "fisher" or n >= 1600
    base = rate(lambda reps: blocks(lambda g, k: case.scipy(g, n_t, n_c, k), reps),
                reps_start=500 if slow or quick else BLOCK, min_seconds=0.1 if quick else 0.25,
                repeats=1 if slow or quick else 2)
    return {"test": case.name, "n": n, "simtrial_1": ours[0], "simtrial_2": ours[1],
            "scipy": base, "kernel_1": kernel_rate, "floor_1": floor, "kernel_floor": ratio}


def measure_patient_level(n: int):
    """The patient-level twins (kept for correlated/covariate models) against their floors."""
    n_t, n_c = split(n)
    out_counts = np.empty((streams.CHUNK, 4), np.int64)
    out_moments = np.empty((streams.CHUNK, 6))
    rows = []
    for name, run, floor in (
        ("bernoulli_counts", lambda g, k: bernoulli_counts(g, n_t, n_c, 0.18, 0.30, 0.1, 0.1,
                                                           out_counts[:k]),
         lambda g, k: floor_bernoulli(g, n_t, n_c, 0.1, k)),
        ("normal_moments", lambda g, k: normal_moments(g, n_t, n_c, 60.0, 25.0, 50.0, 25.0,
                                                       0.0, 0.0, out_moments[:k]),
         lambda g, k: floor_normals(g, n_t, n_c, k)),
    ):
        same_draws(run, floor)
        kernel_rate, floor_rate, ratio = against_floor(lambda reps, run=run: chunked(run, reps),
                                                       lambda reps, fl=floor: chunked(fl, reps))
        rows.append({"kernel": name, "n": n, "kernel_1": kernel_rate, "floor_1": floor_rate,
                     "kernel_floor": ratio})
    return rows


def builtin_group():
    """The built-in scenario's correlated endpoints (walk_lln, sf36_gh, walk_m), no dropout."""
    sc = load_scenario("msc-covid19")
    group = correlated_groups(sc.endpoints, sc.correlations)[0]
    sc = sc.with_values({f"endpoints.{ep.id}.dropout": 0.0 for ep in group})
    return sc, correlated_groups(sc.endpoints, sc.correlations)[0]


def scipy_group(sc, group, n_t, n_c):
    """The group's trials in numpy + scipy: latents as (reps, n) arrays, the same copula, the
    tests vectorised over replicates (chisq by its z form, mannwhitneyu, ttest_ind)."""
    lower = np.linalg.cholesky(np.array(correlation_matrix([ep.id for ep in group],
                                                          sc.correlations)))
    binary, score, normal = group
    cut_t, cut_c = (stats.norm.isf(getattr(binary, arm)["p"]) for arm in ("treatment", "control"))
    levels = score_levels(*score.scale)
    score_cuts = [stats.norm.ppf(np.cumsum(level_probabilities(score, arm))[:-1])
                  for arm in ("treatment", "control")]
    scales = [(getattr(normal, arm)["mean"], getattr(normal, arm)["sd"])
              for arm in ("treatment", "control")]

    def run(generator, reps):
        z = np.einsum("jl,lrn->jrn", lower, generator.standard_normal((3, reps, n_t + n_c)))
        generator.random((reps, n_t + n_c))  # the visit uniforms (no dropout here)
        x_t, x_c = (z[0, :, :n_t] > cut_t).sum(1), (z[0, :, n_t:] > cut_c).sum(1)
        pooled = (x_t + x_c) / (n_t + n_c)
        diff = (x_t / n_t - x_c / n_c) / np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
        p = [2 * stats.norm.sf(np.abs(diff))]
        s_t = levels[np.searchsorted(score_cuts[0], z[1, :, :n_t], side="right")]
        s_c = levels[np.searchsorted(score_cuts[1], z[1, :, n_t:], side="right")]
        p.append(stats.mannwhitneyu(s_t, s_c, axis=1, method="asymptotic").pvalue)
        y_t = scales[0][0] + scales[0][1] * z[2, :, :n_t]
        y_c = scales[1][0] + scales[1][1] * z[2, :, n_t:]
        p.append(stats.ttest_ind(y_t, y_c, axis=1).pvalue)
        return p

    return run


def measure_group(n: int, quick: bool):
    """The correlated-group kernel: power() end to end, the kernel, its floor, numpy + scipy."""
    sc, group = builtin_group()
    n_t, n_c = sc.trial.split(n)
    model = joint_model(group, sc.correlations, n_t, n_c)

    def kernel_chunks(reps):
        for i, part in enumerate(streams.chunk_slices(reps)):
            simulate_group_chunk(model, 1, i, part.stop - part.start)

    keys = [*model.ids, *(f"{model.ids[j]}.baseline" for j in model.noisy)]

    def generators(i):
        return tuple(streams.chunk_generator(1, key, i) for key in keys)

    def floor_chunks(reps):
        for i, part in enumerate(streams.chunk_slices(reps)):
            floor_group(generators(i), len(model.ids), n_t + n_c, part.stop - part.start)

    # the floor must draw what the kernel draws, from every stream
    kernel_draws, floor_draws, reps = generators(0), generators(0), 50
    draw_latents(kernel_draws, kernel_draws[0], model.lower, 0, reps,
                 np.empty((reps, n_t + n_c)), np.empty((len(keys), reps, n_t + n_c)),
                 np.empty((reps, n_t + n_c)))
    floor_group(floor_draws, len(model.ids), n_t + n_c, reps)
    if [g.bit_generator.state for g in kernel_draws] != [g.bit_generator.state
                                                          for g in floor_draws]:
        raise RuntimeError("floor_group does not make draw_latents' draws")
    ids = [ep.id for ep in group]
    ours = [rate(lambda reps, j=j: power(sc, n, reps=reps, endpoints=ids, jobs=j))
            for j in (1, 2)]
    base = rate(lambda reps: blocks(scipy_group(sc, group, n_t, n_c), reps),
                reps_start=500, min_seconds=0.1 if quick else 0.25, repeats=1 if quick else 2)
    kernel_rate, floor_rate, ratio = against_floor(kernel_chunks, floor_chunks)
    return {"n": n, "simtrial_1": ours[0], "simtrial_2": ours[1], "scipy": base,
            "kernel_1": kernel_rate, "floor_1": floor_rate, "kernel_floor": ratio}


def rpact_live(call: str, iterations: int = 100_000):
    """rpact's trials per second now, median of 3 runs of the recorded ``system.time`` call."""
    if shutil.which("Rscript") is None:
        return None
    script = (f"t <- sapply(1:3, function(i) ({call})[['elapsed']]); "
              "cat(median(t))")
    run = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
    return iterations / float(run.stdout) if run.returncode == 0 else None


def measure_rpact():
    """simtrial (2 threads) on rpact's designs against rpact's throughput, recorded and now."""
    ref = {v["id"]: v for v in json.loads(R_REFERENCE.read_text())["values"]}
    one_sided = 'alpha = 0.025\nalternative = "one-sided"'
    rows = []
    for test, endpoint, key in (("ttest", "normal", "means"), ("chisq", "binary", "rates")):
        sc = scenario(endpoint, test, one_sided)
        if endpoint == "binary":  # rpact's rates design has no dropout
            sc = sc.with_values({"endpoints.e.dropout": 0.0})
        ours = rate(lambda reps, sc=sc: power(sc, 400, reps=reps, jobs=2))
        result = power(sc, 400, reps=100_000, jobs=2).endpoints[0]
        call = ref[f"rpact_sim_{key}_trials_per_sec"]["call"]
        rows.append({"test": test, "simtrial_2": ours, "rpact_live": rpact_live(call),
                     "rpact": ref[f"rpact_sim_{key}_trials_per_sec"]["value"],
                     "simtrial_power": result.power, "simtrial_mcse": result.mcse,
                     "rpact_power": ref[f"rpact_sim_{key}_power"]["value"],
                     "call": call})
    return rows


def wall(command, env=None, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def measure_cli():
    imports = wall([sys.executable, "-c", "import numpy, scipy.stats, numba"])
    rows = {"bare imports": imports, "simtrial --version": wall(["simtrial", "--version"])}
    rows["simtrial power --n 400 (warm cache)"] = wall(["simtrial", "power", "--n", "400"])
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        rows["simtrial power --n 400 (cold cache)"] = wall(["simtrial", "power", "--n", "400"],
                                                           env=env, repeats=1)
    return imports, rows


def measure_search():
    try:
        from simtrial.search import sample_size
    except ImportError:
        return None
    target = 0.8
    def run_search():
        return sample_size("msc-covid19", "walk_lln", target, reps=10_000)
    run_search()
    start = time.perf_counter()
    found = run_search()
    search = time.perf_counter() - start
    start = time.perf_counter()
    power("msc-covid19", found.n_total, reps=10_000, endpoints=["walk_lln"])
    one = time.perf_counter() - start
    return {"endpoint": "walk_lln", "target": target, "n": found.n_total, "search_s": search,
            "power_s": one}


# ---- output --------------------------------------------------------------------------------

def k(value):
    """Thousands of trials per second."""
    return f"{value / 1e3:,.1f}k"


def x(ratio, digits=1):
    return f"{ratio:.{digits}f}x"


def table(header, rows):
    widths = [max([len(str(h))] + [len(str(r[i])) for r in rows]) for i, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(f"{c!s:>{w}}" for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(r) for r in rows)])


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").open()
                if line.startswith("model name")), platform.processor())
    return (f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores "
            f"(nproc), {cpu}; Python {platform.python_version()}, numpy {np.__version__}, "
            f"scipy {scipy.__version__}, numba {numba.__version__}, simtrial "
            f"{simtrial.__version__}")


def load():
    return Path("/proc/loadavg").read_text().split()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 400, 1600])
    parser.add_argument("--tests", nargs="+", default=None, help="subset of the test rows")
    parser.add_argument("--quick", action="store_true", help="shorter scipy timings")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    load_before = load()
    sections = [f"Measured {machine()}. Load average (1 min) {load_before} at the start."]

    rows = [measure_case(case, n, args.quick) for case in cases()
            if args.tests is None or case.name in args.tests for n in args.n]
    sections.append("## Trials per second, simtrial against scipy and the floor\n\n"
                    "simtrial 1/2: `power(..., jobs=1|2)` end to end; scipy: vectorised, one "
                    "thread; kernel 1: simtrial's kernel alone, one thread; floor 1: its random "
                    "draws alone, one thread.\n\n" + table(
        ["test", "n", "simtrial 1", "simtrial 2", "scipy", "2 vs scipy", "kernel 1", "floor 1",
         "kernel time / floor"],
        [[r["test"], r["n"], k(r["simtrial_1"]), k(r["simtrial_2"]), k(r["scipy"]),
          x(r["simtrial_2"] / r["scipy"]), k(r["kernel_1"]), k(r["floor_1"]),
          x(r["kernel_floor"], 2)] for r in rows]))
    print(sections[-1], "\n", flush=True)

    twins = [row for n in args.n for row in measure_patient_level(n)]
    sections.append("## Patient-level twins against their floor (one thread)\n\n" + table(
        ["kernel", "n", "kernel 1", "floor 1", "kernel time / floor"],
        [[r["kernel"], r["n"], k(r["kernel_1"]), k(r["floor_1"]), x(r["kernel_floor"], 2)]
         for r in twins]))
    print(sections[-1], "\n", flush=True)

    group = [measure_group(n, args.quick) for n in args.n]
    sections.append("## Correlated endpoints, simulated jointly (kernels/group.py)\n\n"
                    "The built-in scenario's walk_lln (chisq), sf36_gh (Mann-Whitney on the "
                    "score) and walk_m (t test), latent correlations -0.8, 0.3, -0.25, no "
                    "dropout: trials of all three per second. scipy: numpy draws, the same "
                    "copula and the three tests vectorised over replicates, one thread.\n\n"
                    + table(["n", "simtrial 1", "simtrial 2", "scipy", "2 vs scipy", "kernel 1",
                             "floor 1", "kernel time / floor"],
                            [[r["n"], k(r["simtrial_1"]), k(r["simtrial_2"]), k(r["scipy"]),
                              x(r["simtrial_2"] / r["scipy"]), k(r["kernel_1"]),
                              k(r["floor_1"]), x(r["kernel_floor"], 2)] for r in group]))
    print(sections[-1], "\n", flush=True)

    rpact = measure_rpact()
    sections.append("## Against R rpact (n = 400, 65:35, one-sided alpha 0.025)\n\n"
                    "rpact recorded: the throughput in tests/reference/r_reference.json (one R "
                    "process, this machine); rpact now: the same call (below) run in this "
                    "benchmark, median of 3; simtrial on 2 threads; power with 100,000 trials "
                    "each.\n\n" + table(
        ["test", "simtrial 2", "rpact recorded", "ratio", "rpact now", "ratio now",
         "simtrial power (MCSE)", "rpact power"],
        [[r["test"], k(r["simtrial_2"]), k(r["rpact"]), x(r["simtrial_2"] / r["rpact"]),
          k(r["rpact_live"]) if r["rpact_live"] else "-",
          x(r["simtrial_2"] / r["rpact_live"]) if r["rpact_live"] else "-",
          f"{r['simtrial_power']:.4f} ({r['simtrial_mcse']:.4f})", f"{r['rpact_power']:.4f}"]
         for r in rpact]) + "\n\n" + "\n".join(f"- `{r['call']}`" for r in rpact))
    print(sections[-1], "\n", flush=True)

    imports, cli = measure_cli()
    sections.append("## Command-line latency (best of 3 wall-clock runs; cold: 1 run)\n\n"
                    + table(["command", "seconds", "vs bare imports"],
                            [[c, f"{s:.2f}", x(s / imports)] for c, s in cli.items()]))
    print(sections[-1], "\n", flush=True)

    search = measure_search()
    if search is not None:
        sections.append("## Sample-size search against one power run (10,000 reps)\n\n" + table(
            ["endpoint", "target", "n found", "search s", "power s", "ratio"],
            [[search["endpoint"], search["target"], search["n"], f"{search['search_s']:.2f}",
              f"{search['power_s']:.2f}", x(search["search_s"] / search["power_s"])]]))
        print(sections[-1], "\n", flush=True)

    sections.append(f"Load average (1 min) {load()} at the end.")
    if not args.no_write:
        results = HERE / "RESULTS.md"
        notes = results.read_text().split(MARKER)[0] if results.exists() else "# Benchmarks\n\n"
        results.write_text(notes.rstrip() + "\n\n" + MARKER + "\n\n" + "\n\n".join(sections)
                           + "\n")


if __name__ == "__main__":
    main()
