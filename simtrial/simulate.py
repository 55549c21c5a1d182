"""Scenario + n + reps + seed -> simulated power of every endpoint.

Replicates run in chunks (:mod:`simtrial.rng`); each chunk is simulated by a numba kernel that
releases the GIL, so chunks run in threads on all cores and land in their own slice of the
output. The result does not depend on the number of threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import special

from simtrial import exact, rng
from simtrial._version import __version__
from simtrial.annotate import annotate
from simtrial.correlated import (
    BLOCK_BYTES,
    LATENT_BYTES,
    correlated_groups,
    joint_model,
    simulate_group_chunk,
    simulate_group_looks_chunk,
)
from simtrial.design.boundaries import GroupSequentialDesign
from simtrial.design.family import family_characteristics, family_plan
from simtrial.design.fixed import FixedDesign
from simtrial.design.sequential import operating_characteristics, sequential_outcome
from simtrial.errors import InputError, InsufficientMemory
from simtrial.multiplicity import PROCEDURES
from simtrial.results import (
    EndpointPower,
    FamilyPower,
    LookStatistics,
    PowerResult,
    SequentialResult,
    binomial_summary,
)
from simtrial.scenario import Endpoint, Scenario, load_scenario
from simtrial.stattests import TESTS, endpoint_pvalues

__all__ = ["available_cores", "free_memory", "group_nested_looks", "look_sizes", "memory_needed",
           "power", "simulate_looks", "nested_looks", "sequential_power", "simulated_power"]


def power(scenario: Scenario | str, n: int, *, reps: int = 10_000, seed: int = rng.DEFAULT_SEED,
          endpoints: list[str] | None = None, jobs: int | None = None) -> PowerResult:
    """Simulated power of every endpoint's test at a total sample size, with its annotations.

    :func:`simulated_power` followed by :func:`simtrial.annotate.annotate` (the closed-form
    power, the exact power of binary tests, the safety summary).

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
    return annotate(simulated_power(scenario, n, reps=reps, seed=seed, endpoints=endpoints,
                                    jobs=jobs), scenario)


def simulated_power(scenario: Scenario | str, n: int, *, reps: int = 10_000,
                    seed: int = rng.DEFAULT_SEED, endpoints: list[str] | None = None,
                    jobs: int | None = None) -> PowerResult:
    """Simulated power of every endpoint's test at a total sample size, nothing else.

    The same arguments and numbers as :func:`power`, without the annotations (closed form,
    exact power, safety summary: None here), which searches, sweeps and sensitivity runs do
    not need and should not pay for. The trials are simulated once (:func:`simulate_looks`),
    the design decides which reject (:class:`simtrial.design.fixed.FixedDesign`), then the
    multiplicity procedure over the family.

    Examples
    --------
    >>> res = simulated_power("msc-covid19", 400, reps=2000, endpoints=["walk_m"])
    >>> res.endpoint("walk_m").power == power("msc-covid19", 400, reps=2000,
    ...                                        endpoints=["walk_m"]).endpoint("walk_m").power
    True
    >>> res.endpoint("walk_m").analytic_power is None
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    chosen = _power_iv(scenario, n, reps, seed, endpoints, jobs)
    if scenario.design is not None:
        return _sequential_power_result(scenario, n, endpoints, reps, seed, jobs)
    trial, analysis = scenario.trial, scenario.analysis
    n_t, n_c = trial.split(n)
    simulated = _needed(scenario, chosen)
    looks = dict(zip((ep.id for ep in simulated),
                     simulate_looks(simulated, n_t, n_c, trial.alternative, reps, seed, jobs,
                                    scenario.correlations), strict=True))
    design = FixedDesign()
    rejected = {ep_id: design.reject(stats, trial.alpha) for ep_id, stats in looks.items()}
    family, adjusted_by_id = None, {}
    if set(analysis.family) & {ep.id for ep in chosen}:
        matrix = np.stack([looks[ep_id].pvalues[-1] for ep_id in analysis.family], axis=1)
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
            analytic_power=None, rejections=final,
            expected_assessed={"treatment": n_t * (1 - ep.dropout[0]),
                               "control": n_c * (1 - ep.dropout[1])},
            pvalues=looks[ep.id].pvalues[-1], power_unadjusted=raw / reps,
            **_simulated_fields(ep, looks[ep.id].statistics)))
    return PowerResult(
        scenario=scenario.name, n_total=n, n_per_arm={"treatment": n_t, "control": n_c},
        arms=trial.arms, allocation=trial.allocation, alpha=trial.alpha,
        alternative=trial.alternative, reps=reps, seed=seed, version=__version__,
        endpoints=tuple(results), family=family)


def _simulated_fields(ep: Endpoint, statistics: np.ndarray | None) -> dict[str, Any]:
    """What the endpoint's model reads off the kept statistics (time-to-event: events, ...)."""
    return {} if statistics is None else ep.model.simulated_fields(ep, statistics)


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


def simulate_looks(endpoints, n_t: int, n_c: int, alternative: str, reps: int, seed: int,
                   jobs: int | None = None, correlations=(), signed: bool = False
                   ) -> list[LookStatistics]:
    """Each endpoint's test at every analysis of ``reps`` simulated trials.

    One :class:`~simtrial.results.LookStatistics` per endpoint, with the p-value of every
    replicate at each look (today one look: the final analysis of ``n_t + n_c`` patients).

    Endpoints linked by ``correlations`` (pairs ``((id_a, id_b), rho)``) are simulated jointly,
    patient by patient (:mod:`simtrial.correlated`); the others each on their own. With
    ``signed`` each result also holds the signed z-statistic, as in :func:`nested_looks`.

    Examples
    --------
    >>> ep = load_scenario("msc-covid19").endpoint("walk_lln")
    >>> looks, = simulate_looks([ep], 260, 140, "two-sided", reps=1500, seed=7)
    >>> p = looks.pvalues
    >>> p.shape, bool(((0 <= p) & (p <= 1)).all()), looks.information
    ((1, 1500), True, (1.0,))

    Raises
    ------
    MemoryError
        Up front, before anything is allocated, when :func:`memory_needed` is more than the
        memory available.
    """
    workers = min(jobs or available_cores(), available_cores())
    need, free = memory_needed(endpoints, n_t + n_c, reps, workers, correlations), free_memory()
    if need > free:
        raise InsufficientMemory(f"n = {n_t + n_c} with {reps} replicates needs about "
                                 f"{need / 1e9:.2g} GB, more than the {free / 1e9:.2g} GB "
                                 "available: lower the replicates (--reps, --mcse), the sample "
                                 "size or --jobs")
    pvalues = {ep.id: np.empty(reps) for ep in endpoints}
    z = {ep.id: np.empty(reps) for ep in endpoints} if signed else {}
    kept = {ep.id: np.empty((reps, TESTS[ep.test].statistic.columns)) for ep in endpoints
            if ep.model.keeps_statistics}
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
            statistic = TESTS[ep.test].statistic
            stats = [np.empty((size, statistic.columns), statistic.dtype)]
            ep.model.simulators[statistic.name](rng.chunk_generator(seed, ep.id, i), ep, n_t,
                                                n_c, stats[0])
        else:
            stats = simulate_group_chunk(model, seed, i, size)
        for ep, chunk_stats in zip(group, stats, strict=True):
            if ep.id in kept:
                kept[ep.id][part] = chunk_stats
            pvalues[ep.id][part] = p = endpoint_pvalues(ep, chunk_stats, alternative)
            if signed:
                z[ep.id][part] = -special.ndtri(p if alternative == "one-sided" else TESTS[
                    ep.test].pvalues(chunk_stats, "one-sided", ep.benefit_sign))

    workers = min(workers, len(tasks))
    if workers <= 1:
        for task in tasks:
            run(task)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, tasks))
    return [LookStatistics(pvalues=pvalues[ep.id][np.newaxis], information=(1.0,),
                          statistics=kept.get(ep.id),
                          z=z[ep.id][np.newaxis] if signed else None) for ep in endpoints]


def nested_looks(ep: Endpoint, sizes: np.ndarray, alternative: str, reps: int, seed: int,
                 jobs: int | None = None, signed: bool = False) -> LookStatistics:
    """One endpoint's test at K nested analyses of the same ``reps`` simulated trials.

    Look k analyses the first ``sizes[k, 0]`` treatment and ``sizes[k, 1]`` control patients
    (non-decreasing in k) of each trial, simulated once by the endpoint model's nested-sample
    kernel (its ``prefix_simulators``, :mod:`simtrial.kernels.prefix`), or where it has none
    patient by patient with each look analysed afresh
    (:func:`simtrial.correlated.simulate_group_looks_chunk`: rank tests with their ties at
    every look): the interim analyses of a group-sequential trial, or the candidate n of a
    sample-size search (common random numbers). With ``signed`` the result also holds each
    look's signed z-statistic, the normal quantile of the one-sided p-value in the direction
    of benefit (z > 0 favours treatment), on which group-sequential boundaries act.

    Raises
    ------
    InputError
        When the endpoint's model can be simulated neither way (time-to-event).

    Examples
    --------
    >>> ep = load_scenario("msc-covid19").endpoint("walk_m")
    >>> looks = nested_looks(ep, np.array([[130, 70], [260, 140]]), "two-sided", 2000, 1,
    ...                      signed=True)
    >>> looks.pvalues.shape, looks.z.shape, looks.information
    ((2, 2000), (2, 2000), (0.5, 1.0))
    >>> bool((looks.z[1] > looks.z[0]).mean() > 0.5)  # the effect accrues
    True
    """
    statistic = TESTS[ep.test].statistic
    simulate = ep.model.prefix_simulators.get(statistic.name)
    if simulate is None:  # rank tests, scores, ordinal levels: a correlated group of one
        return group_nested_looks([ep], (), sizes, alternative, reps, seed, jobs, signed)[0]
    sizes = np.ascontiguousarray(sizes, dtype=np.int64)
    sizes_t, sizes_c = np.ascontiguousarray(sizes[:, 0]), np.ascontiguousarray(sizes[:, 1])
    looks = _LookArrays(ep, len(sizes), reps, alternative, signed)
    chunks = rng.chunk_slices(reps)

    def run(i: int) -> None:
        part = chunks[i]
        out = np.empty((len(sizes), part.stop - part.start, statistic.columns), statistic.dtype)
        simulate(rng.chunk_generator(seed, ep.id, i), ep, sizes_t, sizes_c, out)
        looks.fill(part, out)

    workers = min(jobs or available_cores(), len(chunks))
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(len(chunks))))
    return looks.result(sizes)


def group_nested_looks(group: list[Endpoint], correlations, sizes: np.ndarray, alternative: str,
                       reps: int, seed: int, jobs: int | None = None,
                       signed: bool = False) -> list[LookStatistics]:
    """:func:`nested_looks` of endpoints correlated within a patient, simulated jointly.

    The group's patients are simulated one by one through its Gaussian copula
    (:mod:`simtrial.correlated`, the same random numbers as a fixed trial of
    ``sizes[-1]`` patients), and every look analyses its patients afresh
    (:func:`simtrial.correlated.simulate_group_looks_chunk`), so rank tests get their ties
    right at every look. One :class:`~simtrial.results.LookStatistics` per endpoint, in the
    group's order: the looks of a family of endpoints tested in the same trials.

    Raises
    ------
    InputError
        For an endpoint that cannot be simulated patient by patient (time-to-event).

    Examples
    --------
    >>> sc = load_scenario("msc-covid19")
    >>> group = [sc.endpoint("walk_lln"), sc.endpoint("sf36_gh")]
    >>> a, b = group_nested_looks(group, sc.correlations, np.array([[130, 70], [260, 140]]),
    ...                           "two-sided", 200, 1, signed=True)
    >>> a.z.shape, b.z.shape, b.information
    ((2, 200), (2, 200), (0.5, 1.0))
    """
    for ep in group:
        if not ep.model.correlates:
            raise InputError(f"endpoint {ep.id!r}: interim looks need nested samples, which a "
                             f"{ep.distribution} endpoint does not have yet (available: "
                             "binary, normal, log-normal, score and ordinal endpoints)")
    sizes = np.ascontiguousarray(sizes, dtype=np.int64)
    sizes_t, sizes_c = np.ascontiguousarray(sizes[:, 0]), np.ascontiguousarray(sizes[:, 1])
    model = joint_model(group, correlations, int(sizes_t[-1]), int(sizes_c[-1]))
    looks = [_LookArrays(ep, len(sizes), reps, alternative, signed) for ep in group]
    chunks = rng.chunk_slices(reps)

    def run(i: int) -> None:
        part = chunks[i]
        outs = simulate_group_looks_chunk(model, seed, i, part.stop - part.start, sizes_t,
                                          sizes_c)
        for arrays, out in zip(looks, outs, strict=True):
            arrays.fill(part, out)

    workers = min(jobs or available_cores(), len(chunks))
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(len(chunks))))
    return [arrays.result(sizes) for arrays in looks]


class _LookArrays:
    """One endpoint's p-values (and signed z, patients assessed) per look, filled by chunks."""

    def __init__(self, ep: Endpoint, looks: int, reps: int, alternative: str, signed: bool):
        self.ep, self.test, self.alternative = ep, TESTS[ep.test], alternative
        self.pvalues = np.empty((looks, reps))
        self.z = np.empty((looks, reps)) if signed else None
        self.assessed = np.empty((looks, reps), np.int64)

    def fill(self, part: slice, out: np.ndarray) -> None:
        """Test the statistics ``out`` (looks x chunk x columns) of the replicates ``part``."""
        statistic, sign, looks = self.test.statistic, self.ep.benefit_sign, out.shape[0]
        self.assessed[:, part] = out[:, :, list(statistic.assessed)].sum(axis=2)
        flat = out.reshape(-1, statistic.columns)
        self.pvalues[:, part] = p = endpoint_pvalues(self.ep, flat,
                                                     self.alternative).reshape(looks, -1)
        if self.z is not None:  # a one-sided trial's p-values are the one-sided ones: not twice
            one_sided = p if self.alternative == "one-sided" else self.test.pvalues(
                flat, "one-sided", sign).reshape(looks, -1)
            self.z[:, part] = -special.ndtri(one_sided)

    def result(self, sizes: np.ndarray) -> LookStatistics:
        total = sizes.sum(axis=1)
        return LookStatistics(pvalues=self.pvalues,
                              information=tuple(float(v) for v in total / total[-1]),
                              z=self.z, assessed=self.assessed)


def sequential_power(scenario: Scenario | str, n: int, design: GroupSequentialDesign, *,
                     endpoint: str | None = None, reps: int = 10_000,
                     seed: int = rng.DEFAULT_SEED, jobs: int | None = None,
                     h1_looks: LookStatistics | None = None) -> SequentialResult:
    """Operating characteristics of a group-sequential design at a maximum sample size n.

    The endpoint (the scenario's primary, unless named) is analysed at each look of
    ``design`` on the first ``round(t_k n)`` patients randomised (nested samples, split by the
    allocation), and the design's boundaries decide at each look
    (:mod:`simtrial.design.sequential`). The same trials are simulated under H1 (the
    scenario) and under H0 (the treatment arm as the control arm: the design's type I error),
    with common random numbers; beside them, the closed form of the canonical normal model
    (the test's ``drift`` through the design's boundaries, as rpact's ``getPowerMeans`` and
    ``getPowerRates`` compute it). ``h1_looks`` are the endpoint's signed looks under H1
    already simulated (with the endpoints it is correlated with: :func:`group_nested_looks`),
    used instead of simulating them again.

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> d = group_sequential_design([0.5, 1.0], alpha=0.05, sided=2, efficacy="ld-obf")
    >>> res = sequential_power("msc-covid19", 400, d, endpoint="walk_m", reps=2000)
    >>> [stage["n"] for stage in res.h1["stages"]]
    [200, 400]
    >>> abs(res.h1["power"] - res.closed_form["power"]) < 4 * res.h1["mcse"]
    True
    >>> res.h0["power"] <= 0.05 + 3 * res.h0["mcse"]
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    trial = scenario.trial
    ep = scenario.endpoint(endpoint or scenario.analysis.primary or scenario.endpoints[0].id)
    _power_iv(scenario, n, reps, seed, [ep.id], jobs)
    if (design.sided == 2) != (trial.alternative == "two-sided"):
        raise InputError(f"the design is {design.sided}-sided but the trial's alternative is "
                         f"{trial.alternative!r}; they must agree")
    ns = look_sizes(trial, design, n)
    sizes = np.array([trial.split(m) for m in ns])
    characteristics, looks = {}, {}
    for hypothesis, model in (("h1", ep), ("h0", ep.model.null(ep))):
        looks[hypothesis] = at = h1_looks if hypothesis == "h1" and h1_looks is not None \
            else nested_looks(model, sizes, trial.alternative, reps, seed, jobs, signed=True)
        assert at.z is not None and at.assessed is not None  # signed=True fills both
        characteristics[hypothesis] = operating_characteristics(
            design, sequential_outcome(design, at.z), ns, at.assessed)
    return SequentialResult(
        scenario=scenario.name, endpoint=ep.id, test=ep.test, n_total=n,
        n_per_arm=dict(zip(("treatment", "control"), trial.split(n), strict=True)),
        design=design, h1=characteristics["h1"], h0=characteristics["h0"],
        closed_form=_sequential_closed_form(ep, design, sizes, ns), reps=reps, seed=seed,
        version=__version__, looks=looks["h1"])


def look_sizes(trial, design: GroupSequentialDesign, n: int) -> list[int]:
    """Patients randomised at each look of ``design`` when the maximum is ``n``.

    ``round(t_k n)``, at least the trial's smallest n.

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> d = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf")
    >>> look_sizes(load_scenario("msc-covid19").trial, d, 401)
    [200, 301, 401]
    """
    return [max(trial.smallest_n(), round(t * n)) for t in design.information]


def _sequential_power_result(scenario: Scenario, n: int, endpoints: list[str] | None,
                             reps: int, seed: int, jobs: int | None) -> PowerResult:
    """:func:`simulated_power` of a scenario with a ``[design]``: its primary and family.

    The primary endpoint drives stopping; its power is the design's overall rejection
    probability, and the ``design`` block holds the looks. The other endpoints of the
    multiplicity family are tested at the look where the trial stops, on the ``[design]
    secondary`` boundaries, gated in the family's order (:mod:`simtrial.design.family`); the
    family's endpoints are simulated in the same trials (jointly where correlated), and the
    result holds the family (``family``, ``design.family``). Endpoints outside the family are
    refused rather than shown with the power of a trial that never stops early.
    """
    trial = scenario.trial
    plan = family_plan(scenario)
    primary = scenario.endpoint(plan.primary)
    others = [ep_id for ep_id in endpoints or () if ep_id not in plan.endpoints]
    if others:
        listed = (f" and its family's {', '.join(map(repr, plan.endpoints[1:]))}"
                  if len(plan.endpoints) > 1 else "")
        raise InputError(
            f"scenario {scenario.name!r} has a group-sequential [design]: power is reported "
            f"for its primary endpoint {primary.id!r}{listed}, not for {others[0]!r} (an "
            "endpoint of the [analysis] family is tested at the look where the primary stops "
            "the trial)")
    assert scenario.design is not None and scenario.secondary_design is not None  # the caller
    ns = look_sizes(trial, scenario.design, n)
    sizes = np.array([trial.split(m) for m in ns])
    looks: dict[str, LookStatistics] = {}
    if len(plan.endpoints) > 1:
        family_eps = [scenario.endpoint(ep_id) for ep_id in plan.endpoints]
        for group in correlated_groups(family_eps, scenario.correlations):
            simulated = ([nested_looks(group[0], sizes, trial.alternative, reps, seed, jobs,
                                       signed=True)] if len(group) == 1 else
                         group_nested_looks(group, scenario.correlations, sizes,
                                            trial.alternative, reps, seed, jobs, signed=True))
            looks.update(zip((ep.id for ep in group), simulated, strict=True))
    seq = sequential_power(scenario, n, scenario.design, endpoint=primary.id, reps=reps,
                           seed=seed, jobs=jobs, h1_looks=looks.get(primary.id))
    assert seq.looks is not None and seq.looks.z is not None  # sequential_power keeps them
    looks[primary.id] = seq.looks
    design = seq.to_dict()["design"]
    n_t, n_c = trial.split(n)
    rates = {primary.id: (seq.h1["power"], seq.h1["power"])}
    family = None
    if len(plan.endpoints) > 1:
        outcome = sequential_outcome(scenario.design, seq.looks.z)
        z = {ep_id: at.z for ep_id, at in looks.items() if at.z is not None}
        rejected, design["family"] = family_characteristics(plan, scenario.secondary_design,
                                                            outcome, z)
        family = FamilyPower.from_rejections(plan.procedure, plan.endpoints, rejected)
        rates.update((row["id"], (row["power"], row["power_unadjusted"]))
                     for row in design["family"]["endpoints"])
    results = []
    for ep_id in endpoints or plan.endpoints:
        ep = scenario.endpoint(ep_id)
        estimate, mcse, ci = binomial_summary(round(rates[ep.id][0] * reps), reps)
        results.append(EndpointPower(
            id=ep.id, label=ep.label, kind=ep.kind, distribution=ep.distribution, test=ep.test,
            better=ep.better, effect=ep.describe(), power=estimate, mcse=mcse, ci=ci,
            analytic_power=None, rejections=round(estimate * reps),
            expected_assessed={"treatment": n_t * (1 - ep.dropout[0]),
                               "control": n_c * (1 - ep.dropout[1])},
            pvalues=looks[ep.id].pvalues[-1], power_unadjusted=rates[ep.id][1]))
    return PowerResult(
        scenario=scenario.name, n_total=n, n_per_arm={"treatment": n_t, "control": n_c},
        arms=trial.arms, allocation=trial.allocation, alpha=trial.alpha,
        alternative=trial.alternative, reps=reps, seed=seed, version=__version__,
        endpoints=tuple(results), family=family, design=design)


def _sequential_closed_form(ep: Endpoint, design: GroupSequentialDesign, sizes: np.ndarray,
                            ns: list[int]) -> dict | None:
    """Power and expected n of the canonical normal model at the test's drift, or None."""
    drift_of = TESTS[ep.test].drift
    if drift_of is None:
        return None
    m_t, m_c = sizes[-1, 0] * (1 - ep.dropout[0]), sizes[-1, 1] * (1 - ep.dropout[1])
    drift = drift_of(ep, m_t, m_c, design.alpha / design.sided)
    if drift is None:
        return None
    out: dict[str, Any] = {"drift": drift}
    for key, theta in (("h1", drift), ("h0", 0.0)):
        stopping = design.stopping_probabilities(theta)
        out[key] = {"power": float(stopping.efficacy.sum() + stopping.efficacy_lower.sum()),
                    "reject": (stopping.efficacy + stopping.efficacy_lower).tolist(),
                    "stop_futility": stopping.futility.tolist(),
                    "expected_n": float(stopping.stop @ np.asarray(ns, dtype=np.float64))}
    out["power"] = out["h1"]["power"]
    return out


def available_cores() -> int:
    """Cores this process may run on: the most threads worth starting.

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def memory_needed(endpoints, n: int, reps: int, workers: int, correlations=()) -> int:
    """Bytes that simulating ``reps`` trials of ``n`` patients takes at most (an estimate).

    Per endpoint and replicate, its p-value, rejection and adjusted rejection (24 bytes); per
    thread, one patient-level trial of the largest correlated group (its latents, visit
    uniforms, ranking scratch and bucket table: ``(16 k + 64) n`` bytes for k endpoints), the
    first endpoint's latents (:func:`simtrial.correlated.latent_block`), a block of
    replicates' latents, baseline noise and visits (:func:`simtrial.correlated.draw_block`: at
    most ``8 (2 k + 1) n`` bytes a replicate) and a chunk of statistics; and the exact power's
    tables (:data:`simtrial.exact.MAX_TABLE_BYTES`).

    Examples
    --------
    >>> sc = load_scenario("msc-covid19")
    >>> round(memory_needed(sc.endpoints, 400, 10_000, 2, sc.correlations) / 2**20)  # MiB
    88
    >>> round(memory_needed(sc.endpoints, 10**7, 10**8, 2, sc.correlations) / 1e9)  # GB
    23
    """
    k = max(len(group) for group in correlated_groups(endpoints, correlations))
    latents = min(LATENT_BYTES, 8 * rng.CHUNK * n)
    replicate = 8 * (2 * k + 1) * n
    block = min(max(BLOCK_BYTES, replicate), replicate * rng.CHUNK)
    per_thread = (16 * k + 64) * n + latents + block + 48 * k * rng.CHUNK
    return 24 * len(endpoints) * reps + workers * per_thread + exact.MAX_TABLE_BYTES


def free_memory() -> int:
    """Bytes of memory available to this process now (Linux: MemAvailable)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _power_iv(scenario: Scenario, n, reps, seed, endpoints, jobs) -> list[Endpoint]:
    n_min = scenario.trial.smallest_n()
    for name, value, low in (("n", n, n_min), ("reps", reps, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(f"`{name}` must be an integer >= {low}, got {value!r}")
    if jobs is not None and (not isinstance(jobs, int | np.integer) or jobs < 1):
        raise InputError(f"`jobs` must be a positive integer or None, got {jobs!r}")
    if endpoints is None:
        return list(scenario.endpoints)
    return [scenario.endpoint(endpoint_id) for endpoint_id in endpoints]
