"""Scenario + n + reps + seed -> simulated power of every endpoint.

Replicates run in chunks (:mod:`simtrial.rng`); each chunk is simulated by a numba kernel that
releases the GIL, so chunks run in threads on all cores and land in their own slice of the
output. The result does not depend on the number of threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from simtrial import analytic, exact, rng, safety
from simtrial._version import __version__
from simtrial.correlated import correlated_groups, joint_model, simulate_group_chunk
from simtrial.distributions import level_probabilities, normal_scale, score_levels
from simtrial.kernels.binary import binomial_counts
from simtrial.kernels.continuous import normal_chi2_moments
from simtrial.kernels.grid import grid_moments
from simtrial.kernels.ranks import grid_rank_stats, normal_rank_stats
from simtrial.multiplicity import PROCEDURES
from simtrial.results import EndpointPower, FamilyPower, PowerResult, binomial_summary
from simtrial.scenario import Endpoint, Scenario, load_scenario
from simtrial.stattests import STATISTIC_COLUMNS, STATISTICS, TESTS

__all__ = ["power", "simulate_pvalues"]


def power(scenario: Scenario | str, n: int, *, reps: int = 10_000, seed: int = rng.DEFAULT_SEED,
          endpoints: list[str] | None = None, jobs: int | None = None) -> PowerResult:
    """Simulated power of every endpoint's test at a total sample size.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a built-in name or file path for :func:`~simtrial.load_scenario`.
    n : int
        Patients randomised in total; split by the allocation (DESIGN 1.3).
    reps : int
        Simulated trials.
    seed : int
        Non-negative seed; the same (scenario, n, reps, seed) always gives the same result.
    endpoints : list of str, optional
        Ids of the endpoints to simulate (default: all).
    jobs : int, optional
        Threads to use (default: all cores). Does not change the result.

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> res = power("msc-covid19", 400, reps=2000, endpoints=["walk_m"])
    >>> res.n_per_arm
    {'treatment': 260, 'control': 140}
    >>> ep = res.endpoint("walk_m")  # third in the fixed sequence: power after adjustment
    >>> abs(ep.power_unadjusted - ep.analytic_power) < 4 * ep.mcse, ep.power < ep.power_unadjusted
    (True, True)
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    chosen = _power_iv(scenario, n, reps, seed, endpoints, jobs)
    trial, analysis = scenario.trial, scenario.analysis
    n_t, n_c = trial.split(n)
    simulated = _needed(scenario, chosen)
    pvalues = dict(zip((ep.id for ep in simulated),
                       simulate_pvalues(simulated, n_t, n_c, trial.alternative, reps, seed, jobs,
                                        scenario.correlations), strict=True))
    rejected = {ep_id: p <= trial.alpha for ep_id, p in pvalues.items()}
    family, adjusted_by_id = None, {}
    if set(analysis.family) & {ep.id for ep in chosen}:
        matrix = np.stack([pvalues[ep_id] for ep_id in analysis.family], axis=1)
        adjusted = PROCEDURES[analysis.multiplicity](matrix, trial.alpha)
        family = FamilyPower.from_rejections(analysis.multiplicity, analysis.family, adjusted)
        adjusted_by_id = dict(zip(analysis.family, adjusted.T, strict=True))
    results = []
    for ep in chosen:
        raw = int(np.count_nonzero(rejected[ep.id]))
        final = int(np.count_nonzero(adjusted_by_id[ep.id])) if ep.id in adjusted_by_id else raw
        estimate, mcse, ci = binomial_summary(final, reps)
        results.append(EndpointPower(
            id=ep.id, label=ep.label, kind=ep.kind, distribution=ep.distribution, test=ep.test,
            better=ep.better, effect=ep.describe(), power=estimate, mcse=mcse, ci=ci,
            analytic_power=analytic.endpoint_power(ep, n_t, n_c, trial.alpha, trial.alternative),
            exact_power=exact.endpoint_exact_power(ep, n_t, n_c, trial.alpha, trial.alternative),
            safety=safety.endpoint_safety(ep, n_t, n_c), rejections=final,
            expected_assessed={"treatment": n_t * (1 - ep.dropout[0]),
                               "control": n_c * (1 - ep.dropout[1])},
            pvalues=pvalues[ep.id], power_unadjusted=raw / reps))
    return PowerResult(
        scenario=scenario.name, n_total=n, n_per_arm={"treatment": n_t, "control": n_c},
        arms=trial.arms, allocation=trial.allocation, alpha=trial.alpha,
        alternative=trial.alternative, reps=reps, seed=seed, version=__version__,
        endpoints=tuple(results), family=family)


def _needed(scenario: Scenario, chosen: list[Endpoint]) -> list[Endpoint]:
    """The endpoints to simulate so that the chosen ones get the numbers a full run gives.

    That is the chosen endpoints, the multiplicity family if one of them belongs to it, and
    every endpoint correlated with any of these; in scenario order.
    """
    ids = {ep.id for ep in chosen}
    if ids & set(scenario.analysis.family):
        ids |= set(scenario.analysis.family)
    for group in correlated_groups(scenario.endpoints, scenario.correlations):
        if ids & {ep.id for ep in group}:
            ids |= {ep.id for ep in group}
    return [ep for ep in scenario.endpoints if ep.id in ids]


def simulate_pvalues(endpoints, n_t: int, n_c: int, alternative: str, reps: int, seed: int,
                     jobs: int | None = None, correlations=()) -> list[np.ndarray]:
    """Per-replicate p-values of each endpoint's test, one array of length ``reps`` each.

    Endpoints linked by ``correlations`` (pairs ``((id_a, id_b), rho)``) are simulated jointly,
    patient by patient (:mod:`simtrial.correlated`); the others each on their own.

    Examples
    --------
    >>> ep = load_scenario("msc-covid19").endpoint("walk_lln")
    >>> p, = simulate_pvalues([ep], 260, 140, "two-sided", reps=1500, seed=7)
    >>> p.shape, bool(((0 <= p) & (p <= 1)).all())
    ((1500,), True)
    """
    pvalues = {ep.id: np.empty(reps) for ep in endpoints}
    groups = [(group, joint_model(group, correlations, n_t, n_c) if len(group) > 1 else None)
              for group in correlated_groups(endpoints, correlations)]
    tasks = [(group, model, i, part) for group, model in groups
             for i, part in enumerate(rng.chunk_slices(reps))]

    def run(task):
        # The tests act replicate by replicate, so each chunk's p-values are computed in its
        # thread (scipy's ufuncs release the GIL as the kernels do): both cores share that work.
        group, model, i, part = task
        size = part.stop - part.start
        if model is None:
            ep = group[0]
            columns, dtype = STATISTIC_COLUMNS[STATISTICS[ep.test]]
            stats = [np.empty((size, columns), dtype)]
            _SIMULATORS[ep.distribution, STATISTICS[ep.test]](
                rng.chunk_generator(seed, ep.id, i), ep, n_t, n_c, stats[0])
        else:
            stats = simulate_group_chunk(model, seed, i, size)
        for ep, chunk_stats in zip(group, stats, strict=True):
            pvalues[ep.id][part] = TESTS[ep.test](chunk_stats, alternative, ep.benefit_sign)

    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        for task in tasks:
            run(task)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, tasks))
    return [pvalues[ep.id] for ep in endpoints]


def _bernoulli(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    binomial_counts(generator, n_t, n_c, ep.treatment["p"], ep.control["p"], *ep.dropout, out)


def _normal_parameters(ep: Endpoint) -> tuple[float, float, float, float]:
    """(mean_t, sd_t, mean_c, sd_c) on the normal scale (:func:`normal_scale`)."""
    return (*normal_scale(ep, "treatment"), *normal_scale(ep, "control"))


def _normal(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    normal_chi2_moments(generator, n_t, n_c, *_normal_parameters(ep), *ep.dropout, out)


def _normal_ranks(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    normal_rank_stats(generator, n_t, n_c, *_normal_parameters(ep), *ep.dropout, out)


def _grid_ranks(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    grid_rank_stats(generator, n_t, n_c, level_probabilities(ep, "treatment"),
                    level_probabilities(ep, "control"), *ep.dropout, out)


def _grid_moments(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    grid_moments(generator, n_t, n_c, score_levels(*ep.scale), level_probabilities(ep, "treatment"),
                 level_probabilities(ep, "control"), *ep.dropout, out)


# (distribution, statistics the test needs) -> kernel call
_SIMULATORS = {
    ("bernoulli", "counts"): _bernoulli,
    ("normal", "moments"): _normal,
    ("normal", "ranks"): _normal_ranks,
    ("lognormal", "moments"): _normal,
    ("lognormal", "ranks"): _normal_ranks,
    ("discretised_normal", "ranks"): _grid_ranks,
    ("discretised_normal", "moments"): _grid_moments,
    ("categorical", "ranks"): _grid_ranks,
}


def _power_iv(scenario: Scenario, n, reps, seed, endpoints, jobs) -> list[Endpoint]:
    for name, value, low in (("n", n, 2), ("reps", reps, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"`{name}` must be an integer >= {low}, got {value!r}")
    if jobs is not None and (not isinstance(jobs, int | np.integer) or jobs < 1):
        raise ValueError(f"`jobs` must be a positive integer or None, got {jobs!r}")
    if endpoints is None:
        return list(scenario.endpoints)
    return [scenario.endpoint(endpoint_id) for endpoint_id in endpoints]
