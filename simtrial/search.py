"""Sample size and detectable effect on simulated power.

:func:`sample_size` finds the smallest total n whose simulated power reaches a target;
:func:`detectable_effect` finds the smallest treatment effect that reaches it at a given n.

Both read the answer off a simulated power curve with common random numbers, so that the curve
is smooth and a few points of it locate the crossing:

* **n**: where the endpoint's model has a nested-sample kernel for its test's statistics
  (``prefix_simulators``, :mod:`simtrial.kernels.prefix`), the trials at the candidate n of
  one pass are nested samples of the same simulated patients. Other endpoints (rank tests)
  fall back to one :func:`simtrial.simulate.power` run per candidate n with the same seed.
* **effect**: a patient's draws do not depend on the treatment arm's location (a normal mean is
  ``mean + sd z``, a binomial count inverts the same uniforms), so the same seed gives common
  random numbers across effect sizes.

Each candidate costs one test per replicate, as much as a whole ``power()`` run (the kernels
draw sufficient statistics, not patients), so the searches evaluate few candidates: the power
on the probit scale is a straight line in sqrt(n) (or in the effect) for a z test, so they fit
that line and solve it for the target. Where a closed form gives the line's slope, one
simulated point at the closed-form n fixes its level; otherwise two points around a starting
value (a closed form of a similar test, or a pilot) give both. They move and repeat only if
the answer is outside the points' window (:data:`SPREAD`).
The fitted n is then checked with :func:`simtrial.simulate.power`, which has its own Monte
Carlo error: from the fitted n the search steps to where that power crosses the target
(:func:`_crossing`), so that the reported n reaches the target and n - 1 does not, both exactly
as ``simtrial power`` prints them with the same reps and seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np
from scipy import special

from simtrial import analytic, rng
from simtrial._version import __version__
from simtrial.design.family import family_plan
from simtrial.design.plan import design_power, inflation_factor, required_drift
from simtrial.errors import InputError, TargetNotReached
from simtrial.results import (
    DetectableEffectResult,
    EndpointPower,
    FamilySampleSizeResult,
    SampleSizeResult,
)
from simtrial.scenario import Endpoint, Scenario, Trial, load_scenario
from simtrial.simulate import look_sizes, nested_looks, simulated_power
from simtrial.stattests import TESTS

__all__ = ["TargetNotReached", "analytic_sample_size", "detectable_effect", "family_sample_size",
           "sample_size"]

#: Largest total n searched unless the caller says otherwise.
DEFAULT_MAX_N = 100_000
#: The candidates of a pass: the centre times these factors.
SPREAD = (0.96, 1.04)
#: Passes before the search gives up. Each pass moves at most 4 times farther or, once the
#: target is bracketed, cuts the bracket by at least a quarter, so a reachable target settles
#: well within this many.
MAX_PASSES = 40
#: Replicates of the pilot that locates n when there is no closed form to start from.
PILOT_REPS = 1000
#: Smallest relative step up of a detectable effect whose own simulation missed the target.
EFFECT_RTOL = 1e-3


def sample_size(scenario: Scenario | str, endpoint: str, target_power: float, *,
                reps: int = 10_000, seed: int = rng.DEFAULT_SEED, max_n: int = DEFAULT_MAX_N,
                jobs: int | None = None) -> SampleSizeResult:
    """Smallest total n whose simulated power reaches ``target_power``.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a built-in name or file path for :func:`~simtrial.load_scenario`.
    endpoint : str
        Id of the endpoint whose test must reach the target.
    target_power : float
        Target power, in (0, 1).
    reps : int
        Simulated trials per point of the power curve and for the answer.
    seed : int
        Non-negative seed; the same arguments always give the same result.
    max_n : int
        Largest total n searched.
    jobs : int, optional
        Threads to use (default: all cores). Does not change the result.

    Returns
    -------
    SampleSizeResult

    Raises
    ------
    ValueError
        For bad arguments, or an endpoint without any treatment effect.
    TargetNotReached
        When the power at ``max_n`` stays below the target.

    Notes
    -----
    The search starts from :func:`analytic_sample_size` where the test has a closed form: it
    simulates the power there and returns the smallest n at which the line through that point,
    with the closed form's slope of probit(power) against sqrt(n), reaches the target. Without
    a closed form it starts from that of a similar test (Fisher: chi-square; rank-sum: t) or
    from a pilot of :data:`PILOT_REPS` replicates, and fits the line through the powers at the
    :data:`SPREAD` multiples of the start, simulated with common random numbers. It re-centres
    while the answer is outside the :data:`SPREAD` window. For an endpoint in the scenario's
    multiplicity family the power is the procedure's, as :func:`simtrial.simulate.power`
    reports it. The answer is where :func:`simtrial.simulate.power` (the same reps and seed)
    crosses the target next to the fitted n: it reaches the target at n and not at n - 1.

    A time-to-event endpoint analysed at a number of events: the events are searched and n is
    the patients of the accrual as written
    (:func:`simtrial.search_events.events_sample_size`, which also solves n for a follow-up).

    A scenario with a group-sequential ``[design]``: n is the maximum sample size, the power
    the design's overall power for the primary endpoint (the only one allowed), and the
    result's ``design`` block holds the operating characteristics at n and the inflation
    factors against the fixed design (:func:`_design_sample_size`).

    Examples
    --------
    >>> res = sample_size("msc-covid19", "walk_lln", 0.8, reps=2000)
    >>> res.n_per_arm["treatment"] + res.n_per_arm["control"] == res.n_total
    True
    >>> from simtrial import power
    >>> again = power("msc-covid19", res.n_total, reps=2000, endpoints=["walk_lln"])
    >>> again.endpoints[0].power == res.power
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    ep = _sample_size_iv(scenario, endpoint, target_power, reps, seed, max_n, jobs)
    from simtrial.search_events import event_driven, events_sample_size

    if event_driven(ep):  # power depends on the events, not on n: search the events
        return events_sample_size(scenario, ep.id, target_power, reps=reps, seed=seed,
                                  jobs=jobs)
    if scenario.design is not None:
        return _design_sample_size(scenario, ep, target_power, reps, seed, max_n, jobs)
    trial = scenario.trial
    curve = _Curve(scenario, ep, seed, jobs)
    n_min = trial.smallest_n()
    trace: list[dict] = []

    def search(centre: int, reps: int, stage: str, slope: float | None = None) -> int:
        def evaluate(ns: np.ndarray) -> np.ndarray:
            estimate = curve.rejections(ns, reps) / reps
            trace.extend({"n_total": int(n), "power": float(p), "mcse": _mcse(p, reps),
                          "reps": reps, "stage": stage} for n, p in zip(ns, estimate, strict=True))
            return estimate

        n = _solve(evaluate, centre, target_power, n_min, max_n, reps, sqrt=True, slope=slope)
        if n is None:
            raise TargetNotReached(
                f"endpoint {ep.id!r}: power {target_power:g} is not reached by n = {max_n} "
                f"(simulated power {trace[-1]['power']:.4f}); raise --max-n or check the effect")
        return int(n)

    analytic_n = analytic_sample_size(ep, trial, target_power, max_n)
    closed = ep if analytic_n else _proxy(ep)
    start = analytic_n or analytic_sample_size(closed, trial, target_power, max_n)
    if start is None:
        n = search(search(min(max_n, 32), min(PILOT_REPS, reps), "pilot"), reps, "search")
    else:
        n = search(start, reps, "search", _closed_form_slope(closed, trial, start))
    reported, results = _reported(lambda m: simulated_power(
        scenario, m, reps=reps, seed=seed, endpoints=[ep.id], jobs=jobs).endpoints[0], reps, trace)
    crossing = _crossing(n, reported, target_power, n_min, max_n)
    if crossing is None:
        raise TargetNotReached(
            f"endpoint {ep.id!r}: power {target_power:g} is not reached by n = {max_n} "
            f"(simulated power {results[max_n].power:.4f}); raise --max-n or check the effect")
    return _endpoint_answer(scenario, ep, target_power, crossing, results, analytic_n,
                            curve.method, reps, seed, max_n, trace)


def _answer(trial: Trial, n: int, results: dict) -> tuple[Any, dict | None]:
    """The simulated result at the answer n, and the one at n - 1 (power, mcse), if simulated."""
    at_n, below = results[n], results.get(n - 1)
    return at_n, None if below is None else {
        "n_total": n - 1, "n_per_arm": dict(zip(("treatment", "control"), trial.split(n - 1),
                                                strict=True)),
        "power": below.power, "mcse": below.mcse}


def _endpoint_answer(scenario: Scenario, ep: Endpoint, target_power: float, n: int,
                     results: dict, analytic_n: int | None, method: str, reps: int, seed: int,
                     max_n: int, trace: list, design: dict | None = None) -> SampleSizeResult:
    """An endpoint's :class:`SampleSizeResult` at the answer n (fixed or sequential design)."""
    trial = scenario.trial
    at_n, below = _answer(trial, n, results)
    n_t, n_c = trial.split(n)
    return SampleSizeResult(
        scenario=scenario.name, endpoint=ep.id, label=ep.label, test=ep.test, effect=ep.describe(),
        target_power=target_power, n_total=n, n_per_arm={"treatment": n_t, "control": n_c},
        arms=trial.arms, allocation=trial.allocation, alpha=trial.alpha,
        alternative=trial.alternative, power=at_n.power, mcse=at_n.mcse, ci=at_n.ci,
        n_minus_step=below, analytic_n=analytic_n, dropout=ep.dropout,
        expected_assessed=at_n.expected_assessed,
        naive_inflation_n=_naive_inflation_n(ep, trial, target_power, max_n),
        method=method, reps=reps, seed=seed, version=__version__, trace=tuple(trace),
        design=design)


def family_sample_size(scenario: Scenario | str, criterion: str, target_power: float, *,
                       reps: int = 10_000, seed: int = rng.DEFAULT_SEED,
                       max_n: int = DEFAULT_MAX_N, jobs: int | None = None
                       ) -> FamilySampleSizeResult:
    """Smallest total n at which the scenario's multiplicity family reaches ``target_power``.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario with a family (``[analysis]`` with a procedure, ``order`` or ``family``).
    criterion : {"any", "all"}
        ``any``: the procedure rejects at least one hypothesis of the family; ``all``: every
        one (co-primary endpoints).
    target_power : float
        Target power, in (0, 1).
    reps, seed, max_n, jobs
        As for :func:`sample_size`.

    Returns
    -------
    FamilySampleSizeResult

    Notes
    -----
    The family power is :func:`simtrial.simulate.power`'s at each n (one simulation per n,
    same seed). The search starts where the closed forms of the family's endpoints put it
    (the largest of their sample sizes for ``all``, the smallest for ``any``; a pilot where no
    endpoint has one) and fits the level of probit(power) against sqrt(n) with that binding
    endpoint's closed-form slope, as :func:`sample_size` does, and reports where the family's
    power crosses the target next to the fitted n (it reaches it at n and not at n - 1).

    Examples
    --------
    >>> res = family_sample_size("msc-covid19", "any", 0.8, reps=1000)
    >>> res.procedure, res.family[0], res.power >= 0.75
    ('fixed-sequence', 'walk_lln', True)
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    family = _family_sample_size_iv(scenario, criterion, target_power, reps, seed, max_n, jobs)
    trial = scenario.trial
    trace: list[dict] = []

    def family_power(n: int, reps: int):
        return simulated_power(scenario, int(n), reps=reps, seed=seed, endpoints=list(family),
                     jobs=jobs).family

    def search(centre: int, reps: int, stage: str, slope: float | None = None) -> int:
        def evaluate(ns: np.ndarray) -> np.ndarray:
            estimate = np.array([getattr(family_power(n, reps), f"power_{criterion}")
                                 for n in ns])
            trace.extend({"n_total": int(n), "power": float(p), "mcse": _mcse(p, reps),
                          "reps": reps, "stage": stage} for n, p in zip(ns, estimate, strict=True))
            return estimate

        n = _solve(evaluate, centre, target_power, trial.smallest_n(), max_n, reps, sqrt=True,
                   slope=slope)
        if n is None:
            raise TargetNotReached(
                f"family ({criterion} of {', '.join(family)}): power {target_power:g} is not "
                f"reached by n = {max_n} (simulated power {trace[-1]['power']:.4f}); raise "
                "--max-n or check the effects")
        return int(n)

    # The endpoint whose closed-form n binds (the largest for all, the smallest for any) gives
    # the start and the slope of probit(power) against sqrt(n): the family's points at
    # different n do not share random numbers, so a slope fitted to them would be noise.
    starts = [(n, _proxy(scenario.endpoint(i))) for i in family if (n := analytic_sample_size(
        _proxy(scenario.endpoint(i)), trial, target_power, max_n)) is not None]
    if starts:
        start, binding = (max if criterion == "all" else min)(starts, key=lambda s: s[0])
        n = search(start, reps, "search", _closed_form_slope(binding, trial, start))
    else:
        n = search(search(min(max_n, 32), min(PILOT_REPS, reps), "pilot"), reps, "search")
    def family_at(m: int) -> SimpleNamespace:
        res = family_power(m, reps)
        return SimpleNamespace(**{k: getattr(res, f"{k}_{criterion}")
                                  for k in ("power", "mcse", "ci")})

    reported, results = _reported(family_at, reps, trace)
    n = _crossing(n, reported, target_power, trial.smallest_n(), max_n)
    if n is None:
        raise TargetNotReached(
            f"family ({criterion} of {', '.join(family)}): power {target_power:g} is not "
            f"reached by n = {max_n} (simulated power {results[max_n].power:.4f}); raise "
            "--max-n or check the effects")
    at_n, below = _answer(trial, n, results)
    n_t, n_c = trial.split(n)
    return FamilySampleSizeResult(
        scenario=scenario.name, criterion=criterion, procedure=scenario.analysis.multiplicity,
        family=family, target_power=target_power, n_total=n,
        n_per_arm={"treatment": n_t, "control": n_c}, arms=trial.arms,
        allocation=trial.allocation, alpha=trial.alpha, alternative=trial.alternative,
        power=at_n.power, mcse=at_n.mcse, ci=at_n.ci, n_minus_step=below,
        method="one simulation of the family per n, same seed", reps=reps, seed=seed,
        version=__version__, trace=tuple(trace))


def _design_sample_size(scenario: Scenario, ep: Endpoint, target_power: float, reps: int,
                        seed: int, max_n: int, jobs: int | None) -> SampleSizeResult:
    """:func:`sample_size` of a scenario with a group-sequential ``[design]``.

    The smallest maximum n at which the design's simulated overall power for the primary
    endpoint (:func:`simtrial.simulate.simulated_power`, as ``simtrial power`` prints it)
    reaches the target. The search is :func:`sample_size`'s: each pass simulates one trial per
    replicate in nested samples holding every candidate's looks (:class:`_DesignCurve`), from
    the canonical normal model's n with its slope (:func:`design_closed_form_n`), and the
    answer is where the reported power crosses the target (:func:`_crossing`).

    The ``design`` block adds to the operating characteristics at n (``stages``,
    ``expected_n`` under H1, ``h0``, ``closed_form``) the comparison with the fixed design:

    * ``fixed_n``: the same search (same reps and seed) on the scenario without ``[design]``;
      ``inflation_factor_simulated`` = n / ``fixed_n``;
    * ``inflation_factor_design``: the boundaries' (drift / (z_alpha + z_beta))^2 at the
      design's own power 1 - beta (rpact's ``inflationFactor``), and
      ``inflation_factor_at_target`` the same ratio at the target power.
    """
    design, trial = scenario.design, scenario.trial
    assert design is not None  # the caller checked
    if ep.model.looks_only:
        raise InputError(f"endpoint {ep.id!r}: the sample size under a [design] is searched for "
                         "an analysis at a number of events (analysis.events); one at calendar "
                         "months is not simulated yet")
    primary = family_plan(scenario).primary  # refuses a procedure the design cannot apply
    if ep.id != primary:
        raise InputError(f"scenario {scenario.name!r} has a group-sequential [design]: the "
                         f"sample size is searched for its primary endpoint {primary!r} "
                         f"(--endpoint {primary}), which drives stopping")
    if (design.sided == 2) != (trial.alternative == "two-sided"):
        raise InputError(f"the design is {design.sided}-sided but the trial's alternative is "
                         f"{trial.alternative!r}; they must agree")
    curve = _DesignCurve(scenario, ep, seed, jobs)
    n_min = trial.smallest_n()
    trace: list[dict] = []

    def evaluate(ns: np.ndarray) -> np.ndarray:
        estimate = curve.rejections(ns, reps) / reps
        trace.extend({"n_total": int(n), "power": float(p), "mcse": _mcse(p, reps),
                      "reps": reps, "stage": stage} for n, p in zip(ns, estimate, strict=True))
        return estimate

    def search(centre: int, stage: str, slope: float | None = None) -> int:
        n = _solve(evaluate, centre, target_power, n_min, max_n, reps, sqrt=True, slope=slope)
        if n is None:
            raise TargetNotReached(
                f"endpoint {ep.id!r}: the design's power {target_power:g} is not reached by "
                f"n = {max_n} (simulated power {trace[-1]['power']:.4f}); raise --max-n or "
                "check the effect")
        return int(n)

    closed_n = design_closed_form_n(ep, trial, design, target_power, max_n)
    if closed_n is None:
        stage = "pilot"
        n = search(search(min(max_n, 32), stage), "search")
    else:
        stage = "search"
        n = search(closed_n, stage, _design_slope(ep, trial, design, closed_n))

    def simulate(m: int) -> SimpleNamespace:
        res = simulated_power(scenario, m, reps=reps, seed=seed, endpoints=[ep.id], jobs=jobs)
        return SimpleNamespace(**{k: getattr(res.endpoints[0], k) for k in (
            "power", "mcse", "ci", "expected_assessed")}, design=res.design)

    reported, results = _reported(simulate, reps, trace)
    crossing = _crossing(n, reported, target_power, n_min, max_n)
    if crossing is None:
        raise TargetNotReached(
            f"endpoint {ep.id!r}: the design's power {target_power:g} is not reached by "
            f"n = {max_n} (simulated power {results[max_n].power:.4f}); raise --max-n or "
            "check the effect")
    n = crossing
    fixed = sample_size(replace(scenario, design=None), ep.id, target_power, reps=reps,
                        seed=seed, max_n=max_n, jobs=jobs)
    block = {**results[n].design, "fixed_n": fixed.n_total, "fixed_power": fixed.power,
             "fixed_mcse": fixed.mcse, "inflation_factor_simulated": n / fixed.n_total,
             "inflation_factor_design": design.inflation_factor, "design_beta": design.beta,
             "inflation_factor_at_target": inflation_factor(design, target_power),
             "required_drift": required_drift(design, target_power)}
    return _endpoint_answer(scenario, ep, target_power, n, results, closed_n, curve.method, reps,
                            seed, max_n, trace, design=block)


def design_closed_form_n(endpoint: Endpoint, trial: Trial, design, target_power: float,
                         max_n: int = DEFAULT_MAX_N) -> int | None:
    """Smallest maximum n at which the design's canonical normal model reaches the target.

    In the canonical model the z-statistic at information fraction t has mean
    ``drift sqrt(t)``; the test's drift (:data:`simtrial.stattests._base.Drift`, at the
    numbers expected to be assessed at the last look) grows with n, and the design rejects
    with probability ``target_power`` at the drift
    :func:`~simtrial.design.plan.required_drift` (``design.drift`` when the target is the
    design's own 1 - beta). The answer is the smallest n whose drift
    reaches that (Newton steps on drift proportional to sqrt(n), then single steps): what
    rpact's ``getSampleSizeMeans`` (normal approximation) and ``getSampleSizeRates`` compute,
    rounded up to a whole n split by the allocation. None when the test has no drift formula
    or the drift stays short by ``max_n``.

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> d = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf", beta=0.2)
    >>> n = design_closed_form_n(sc.endpoint("walk_m"), sc.trial, d, 0.8)
    >>> fixed = analytic_sample_size(sc.endpoint("walk_m"), sc.trial, 0.8)
    >>> 1.0 < n / fixed < 1.05  # the inflation factor of this design is 1.0187
    True
    """
    drift_of = TESTS[endpoint.test].drift
    if drift_of is None or drift_of(endpoint, 1.0, 1.0, design.alpha) is None:
        return None  # no canonical normal model (the t tests of scores)
    theta = required_drift(design, target_power)
    drift = _drift_at(endpoint, trial, design)
    low, n = trial.smallest_n(), min(max_n, 64)
    for _ in range(60):
        d = drift(n)
        step = 4 * n if d <= 0 else math.ceil(n * (theta / d) ** 2)
        step = min(max_n, max(low, n // 4, min(step, 4 * n)))
        if abs(step - n) <= 1:
            break
        n = step
    while n > low and drift(n - 1) >= theta:
        n -= 1
    while drift(n) < theta:
        if n >= max_n:
            return None
        n += 1
    return n


def _drift_at(ep: Endpoint, trial: Trial, design) -> Callable[[int], float]:
    """The test's drift at maximum n: at the numbers expected to be assessed at n."""
    drift_of = TESTS[ep.test].drift
    assert drift_of is not None  # the callers checked

    def drift(n: int) -> float:
        n_t, n_c = trial.split(n)
        value = drift_of(ep, n_t * (1 - ep.dropout[0]), n_c * (1 - ep.dropout[1]),
                         design.alpha / design.sided)
        assert value is not None  # design_closed_form_n checked
        return value

    return drift


def _design_slope(ep: Endpoint, trial: Trial, design, n: int) -> float | None:
    """Slope of probit(canonical power) against sqrt(n) over the SPREAD window around n."""
    drift = _drift_at(ep, trial, design)
    ns = [max(trial.smallest_n(), round(n * factor)) for factor in (SPREAD[0], SPREAD[-1])]
    if ns[0] == ns[1]:
        return None
    y = [special.ndtri(design_power(design, drift(m))) for m in ns]
    slope = (y[1] - y[0]) / (math.sqrt(ns[1]) - math.sqrt(ns[0]))
    return float(slope) if math.isfinite(slope) and slope > 0 else None


def analytic_sample_size(endpoint: Endpoint, trial: Trial, target_power: float,
                         max_n: int = DEFAULT_MAX_N) -> int | None:
    """Smallest total n whose closed-form power reaches the target, or None.

    None when the endpoint's test has no closed form (:func:`simtrial.analytic.endpoint_power`)
    or the closed form stays below the target up to ``max_n``. The closed form is evaluated at
    the expected numbers assessed; n is split by the allocation (DESIGN 1.3).

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> ep = sc.endpoint("walk_lln")
    >>> n = analytic_sample_size(ep, sc.trial, 0.8)
    >>> p = [analytic.endpoint_power(ep, *sc.trial.split(m), 0.05, "two-sided") for m in (n - 1, n)]
    >>> p[0] < 0.8 <= p[1]
    True
    """
    def closed_form(n: int) -> float:
        p = analytic.endpoint_power(endpoint, *trial.split(n), trial.alpha, trial.alternative)
        return math.nan if p is None else p

    # Newton steps on probit(power) = c sqrt(n) - z_alpha (exact for a z test), then the exact
    # integer by single steps. scipy's noncentral t gives nan far above the target: halve n.
    z_alpha = special.ndtri(1 - trial.alpha / (2 if trial.alternative == "two-sided" else 1))
    low, n = trial.smallest_n(), min(max_n, 64)
    for _ in range(60):
        p = closed_form(n)
        if math.isnan(p) and n == low:
            return None  # no closed form for this test
        if math.isnan(p) or p >= 1.0:
            step = max(low, n // 2)
        else:
            c = (special.ndtri(p) + z_alpha) / math.sqrt(n)
            z_target = special.ndtri(target_power) + z_alpha
            step = 4 * n if c <= 0 else math.ceil((z_target / c) ** 2)
            step = min(max_n, max(low, n // 4, min(step, 4 * n)))
        if abs(step - n) <= 1:
            break
        n = step
    while n > low and closed_form(n - 1) >= target_power:
        n -= 1
    while not closed_form(n) >= target_power:
        if n >= max_n:
            return None
        n += 1
    return n


def detectable_effect(scenario: Scenario | str, endpoint: str, n: int, target_power: float, *,
                      reps: int = 10_000, seed: int = rng.DEFAULT_SEED,
                      jobs: int | None = None) -> DetectableEffectResult:
    """Smallest treatment effect whose simulated power at n reaches ``target_power``.

    The effect is a difference treatment minus control in the endpoint's location parameter
    (:attr:`~simtrial.scenario.Endpoint.location`: the mean, the proportion, ...), in the
    direction of benefit; the control arm and everything else stay as in the scenario.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a built-in name or file path.
    endpoint : str
        Id of the endpoint.
    n : int
        Patients randomised in total.
    target_power : float
        Target power, in (0, 1).
    reps : int
        Simulated trials per evaluated effect.
    seed : int
        Non-negative seed; the same seed is used for every effect (common random numbers).
    jobs : int, optional
        Threads to use. Does not change the result.

    Returns
    -------
    DetectableEffectResult

    Raises
    ------
    ValueError
        For bad arguments, or an endpoint whose location is not one parameter of the arm.
    TargetNotReached
        When no effect the parameter allows reaches the target at n.

    Notes
    -----
    As :func:`sample_size`, with the effect in place of sqrt(n): the power is simulated at
    :data:`SPREAD` multiples of the closed-form detectable effect (or of the scenario's own
    effect), and the line through probit(power) against the effect is solved for the target.
    The answer is simulated with the same seed, so on the same curve; while its power is below
    the target, the line through the two points nearest the target is solved again (at least
    a step of :data:`EFFECT_RTOL` up). The reported power is that of the answer.

    Examples
    --------
    >>> res = detectable_effect("msc-covid19", "walk_lln", 400, 0.8, reps=2000)
    >>> res.treatment_value < res.control_value, res.power >= 0.8  # lower is better
    (True, True)
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    ep = _detectable_iv(scenario, endpoint, n, target_power, reps, seed, jobs)
    trial = scenario.trial
    model = ep.model
    limit = model.effect_limit(ep)
    trace: list[dict] = []

    results: dict[float, EndpointPower] = {}

    def simulate(effect: float) -> EndpointPower:
        if effect not in results:
            value = model.shifted(ep, effect)
            sc = scenario.with_values({f"endpoints.{ep.id}.treatment.{ep.location}": value})
            results[effect] = res = simulated_power(sc, n, reps=reps, seed=seed,
                                                    endpoints=[ep.id], jobs=jobs).endpoints[0]
            trace.append({"effect": model.effect_of(ep, effect), "treatment_value": value,
                          "power": res.power, "mcse": res.mcse})
        return results[effect]

    analytic_effect = _analytic_effect(ep, trial, n, target_power, limit)
    start = analytic_effect or model.effect_size(ep) or ep.control.get("sd", 1.0)
    effect = _solve(lambda effects: np.array([simulate(float(e)).power for e in effects]),
                    min(start, limit), target_power, 1e-9 * start, limit, reps, sqrt=False)
    if effect is not None:
        effect = _step_up(simulate, {e: r.power for e, r in results.items()}, effect,
                          target_power, reps, limit)
    if effect is None:
        raise TargetNotReached(
            f"endpoint {ep.id!r}: no effect up to {ep.location} = "
            f"{trace[-1]['treatment_value']:.6g} reaches power {target_power:g} at n = {n} "
            f"(simulated power {trace[-1]['power']:.4f})")
    answer = simulate(effect)
    n_t, n_c = trial.split(n)
    return DetectableEffectResult(
        scenario=scenario.name, endpoint=ep.id, label=ep.label, test=ep.test, kind=ep.kind,
        location=ep.location, unit=ep.unit, better=ep.better, target_power=target_power,
        n_total=n, n_per_arm={"treatment": n_t, "control": n_c}, arms=trial.arms,
        alpha=trial.alpha, alternative=trial.alternative, effect=model.effect_of(ep, effect),
        effect_scale=model.effect_scale, treatment_value=model.shifted(ep, effect),
        control_value=ep.location_of("control"), standardized=model.standardized(ep, effect),
        power=answer.power, mcse=answer.mcse, ci=answer.ci,
        analytic_effect=None if analytic_effect is None else model.effect_of(ep, analytic_effect),
        reps=reps, seed=seed,
        version=__version__, trace=tuple(trace))


def _step_up(simulate: Callable, known: dict[float, float], effect: float, target: float,
             reps: int, limit: float) -> float | None:
    """``effect`` if its own simulated power reaches ``target``, else the next effect that does.

    ``simulate(e)`` gives the power at effect e with one seed (one curve); ``known`` holds the
    powers already simulated on it. A fitted effect can fall just short of the target on that
    curve: the search brackets the crossing
    between the nearest effect below the target and the nearest at or above it and narrows the
    bracket to :data:`EFFECT_RTOL` (relative), reading each step off the line through the two
    (at least a quarter of the bracket in from each end, so it cannot cycle), and answers the
    bracket's upper end. Before an effect above the target is known it steps up, each time
    twice as far. None when the effect reaches ``limit`` below the target. A binary curve
    moves in steps: two points below it can give a nearly flat line whose crossing overshoots
    (power 0.915 for a target of 0.67), which the bracket corrects.

    Examples
    --------
    >>> curve = lambda e: SimpleNamespace(power=float(special.ndtr(e - 1.5)))
    >>> round(_step_up(curve, {}, 2.0, 0.8, 10_000, math.inf), 3)  # 1.5 + ndtri(0.8) = 2.3416
    2.342
    >>> _step_up(curve, {}, 2.0, 0.99, 10_000, 2.2) is None
    True
    """
    powers = dict(known)
    powers[effect] = simulate(effect).power
    if powers[effect] >= target:
        return effect
    rise = EFFECT_RTOL
    while True:
        below, above = _bracket(powers, target)
        if above is None:
            if effect >= limit:
                return None
            near = sorted(powers, key=lambda e: abs(powers[e] - target))[:2]
            crossing = _fit_crossing(np.array(near), np.array([powers[e] for e in near]),
                                     target, reps)
            effect = min(limit, max(crossing or 0.0, effect * (1 + rise)))
            rise *= 2
        elif below is None or above - below <= EFFECT_RTOL * above:
            return above
        else:
            gap = above - below
            crossing = _read_off(powers, below, above, target, reps, sqrt=False)
            effect = min(max(crossing, below + gap / 4), above - gap / 4)
        powers[effect] = simulate(effect).power


class _Curve:
    """Rejections of an endpoint's test at several total n, all from one seed.

    The nested-sample pass simulates the endpoint on its own: its test's power does not depend
    on other endpoints (correlations change the joint distribution, not the marginal one). An
    endpoint in a multiplicity family is rejected by the procedure, which depends on the whole
    family, so its curve is :func:`~simtrial.simulate.power` at each n, as for endpoints
    without a nested-sample kernel.
    """

    def __init__(self, scenario: Scenario, ep: Endpoint, seed: int, jobs: int | None):
        self.scenario, self.ep, self.trial = scenario, ep, scenario.trial
        self.seed, self.jobs = seed, jobs
        in_family = ep.id in scenario.analysis.family
        self.prefix = None if in_family or ep.model.looks_only else ep.model.prefix_simulators.get(
            TESTS[ep.test].statistic.name)
        self.method = ("nested samples (common random numbers)" if self.prefix
                       else "one simulation per n, same seed" + (
                           " (power of the multiplicity procedure)" if in_family else ""))

    def rejections(self, ns: np.ndarray, reps: int) -> np.ndarray:
        if self.prefix is None:
            return np.array([simulated_power(self.scenario, int(n), reps=reps, seed=self.seed,
                                             endpoints=[self.ep.id], jobs=self.jobs).endpoint(
                                                 self.ep.id).rejections for n in ns])
        sizes = np.array([self.trial.split(int(n)) for n in ns])
        looks = nested_looks(self.ep, sizes, self.trial.alternative, reps, self.seed, self.jobs)
        return np.count_nonzero(looks.pvalues <= self.trial.alpha, axis=1)


class _DesignCurve:
    """Rejections of a group-sequential design at several maximum n, all from one seed.

    One nested-sample pass (:func:`~simtrial.simulate.nested_looks`) analyses each simulated
    trial at the union of every candidate's looks (:func:`~simtrial.simulate.look_sizes`);
    each candidate's boundaries then act on its own looks
    (:func:`~simtrial.design.sequential.sequential_outcome`). A pass of one candidate is the
    H1 simulation of :func:`~simtrial.simulate.sequential_power` at that n, bit for bit.
    """

    method = "nested samples holding every candidate's looks (common random numbers)"

    def __init__(self, scenario: Scenario, ep: Endpoint, seed: int, jobs: int | None):
        assert scenario.design is not None  # the caller checked
        self.ep, self.trial, self.design = ep, scenario.trial, scenario.design
        self.seed, self.jobs = seed, jobs

    def rejections(self, ns: np.ndarray, reps: int) -> np.ndarray:
        from simtrial.design.sequential import sequential_outcome

        looks = [look_sizes(self.trial, self.design, int(n)) for n in ns]
        union = sorted({m for sizes in looks for m in sizes})
        at = nested_looks(self.ep, np.array([self.trial.split(m) for m in union]),
                          self.trial.alternative, reps, self.seed, self.jobs, signed=True)
        assert at.z is not None  # signed=True fills it
        row = {m: k for k, m in enumerate(union)}
        return np.array([np.count_nonzero(sequential_outcome(
            self.design, at.z[[row[m] for m in sizes]]).reject) for sizes in looks])


def _solve(evaluate: Callable, centre: float, target: float, low: float, high: float, reps: int,
           sqrt: bool, slope: float | None = None) -> float | None:
    """Where a simulated power curve reaches ``target``, or None if not by ``high``.

    ``evaluate(xs)`` simulates the power at the points ``xs`` with common random numbers.
    With ``sqrt`` the points are integers n (fitted against sqrt(n)) and the answer is the
    smallest integer at which the fitted line reaches the target. With a known ``slope`` of
    the line (from a closed form) a pass simulates the centre only and fits the line's level.
    An answer within the :data:`SPREAD` window around the centre is accepted; otherwise the
    search moves there (at most 4 times farther) and repeats.

    The search brackets: every point simulated so far is on one side of the target, and the
    next centre always lies strictly between the nearest point below the target and the
    nearest one at or above it (at least a quarter of the gap from each), so it cannot cycle
    even where the simulated curve is not monotone (at unequal allocation the rounding of the
    split makes it a sawtooth in n). Once the gap is no wider than the window, the answer is
    read off the line through those two points.

    Examples
    --------
    A step in the curve makes the line through each point overshoot to the other side of the
    step (274 -> 260 -> 274 -> ... before bracketing); the search still settles between them:

    >>> curve = lambda xs: np.where(np.asarray(xs) >= 267, 0.6385, 0.5975)
    >>> _solve(curve, 274, 0.6171875, 4, 10_000, 2000, sqrt=True, slope=0.127)
    267
    """
    points: dict[float, float] = {}
    for _ in range(MAX_PASSES):
        window = np.clip(centre * np.array(SPREAD), low, high)
        xs = window if slope is None else np.clip([centre], low, high)
        if sqrt:
            xs = np.unique(np.round(xs)).astype(np.int64)
            window = np.round(window)
        powers = evaluate(xs)
        points.update(zip(xs.tolist(), powers.tolist(), strict=True))
        crossing = _fit_crossing(np.sqrt(xs) if sqrt else xs, powers, target, reps, slope)
        if crossing is None:  # flat: step away from the side the target is not on
            new = xs[0] / 2 if powers.min() >= target else 2 * xs[-1]
        else:
            new = max(crossing, 0.0) ** 2 if sqrt else crossing
        if sqrt:
            new = math.ceil(new)
        if window[0] <= new <= window[-1] or (new < window[0] and xs[0] <= low):
            return max(new, low)
        if new > window[-1] and xs[-1] >= high:
            return None
        below, above = _bracket(points, target)
        if below is not None and above is not None:
            gap = above - below
            if gap <= max(window[-1] - window[0], 1.0 if sqrt else 0.0):
                return _read_off(points, below, above, target, reps, sqrt)
            new = min(max(new, below + gap / 4), above - gap / 4)
        elif below is not None and new <= below:  # the fit points back below a point below
            new = 2 * below
        elif above is not None and new >= above:
            new = above / 2
        centre = min(max(new, centre / 4, low), 4 * centre, high)
    raise TargetNotReached(f"the search for power {target:g} did not settle in {MAX_PASSES} "
                           f"passes (last point {centre:.6g}, simulated power "
                           f"{powers.max():.4f}): the target may be out of reach (behind a "
                           "multiplicity procedure's gate, or too few patients assessed)")


def _bracket(points: dict[float, float], target: float) -> tuple[float | None, float | None]:
    """The smallest point at or above ``target`` and the largest point below it short of that.

    Either is None when no simulated point is on that side. Taking the largest point below
    the target only among those short of the smallest point above it keeps the bracket
    ordered on a curve that is not monotone.

    Examples
    --------
    >>> _bracket({256: 0.59, 260: 0.60, 273: 0.64, 274: 0.63, 280: 0.61}, 0.617)
    (260, 273)
    >>> _bracket({10: 0.2, 20: 0.3}, 0.5)
    (20, None)
    """
    above = min((x for x, p in points.items() if p >= target), default=None)
    below = max((x for x, p in points.items() if p < target and (above is None or x < above)),
                default=None)
    return below, above


def _read_off(points: dict[float, float], below: float, above: float, target: float, reps: int,
              sqrt: bool) -> float:
    """Where the line through the bracketing points reaches ``target``, inside the bracket.

    Examples
    --------
    >>> _read_off({4.0: 0.5, 9.0: 0.8413}, 4.0, 9.0, 0.6915, 10_000, sqrt=True)
    7
    """
    xs = np.array([below, above], dtype=float)
    crossing = _fit_crossing(np.sqrt(xs) if sqrt else xs,
                             np.array([points[below], points[above]]), target, reps)
    if crossing is None:  # the two points have the same power: the first reaching it
        return above
    if sqrt:
        return min(max(math.ceil(max(crossing, 0.0) ** 2), below + 1), above)
    return min(max(crossing, below), above)


def _fit_crossing(xs: np.ndarray, powers: np.ndarray, target: float, reps: int,
                  slope: float | None = None) -> float | None:
    """The point where the least-squares line of probit(power) on x reaches ``target``.

    With ``slope`` given only the line's level is fitted. None when the line is flat or
    decreasing (or there is one point and no slope). Powers of 0 or 1 are clipped to half a
    replicate from them.

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> round(_fit_crossing(x, special.ndtr(x - 1.5), 0.8, 10_000), 4)  # 1.5 + ndtri(0.8)
    2.3416
    >>> round(_fit_crossing(x[:1], special.ndtr(x[:1] - 1.5), 0.8, 10_000, slope=1.0), 4)
    2.3416
    """
    y = special.ndtri(np.clip(powers, 0.5 / reps, 1 - 0.5 / reps))
    if slope is None:
        if len(xs) < 2:
            return None
        slope, intercept = np.polyfit(xs, y, 1)
    else:
        intercept = float(np.mean(y - slope * np.asarray(xs)))
    if not slope > 0:
        return None
    return float((special.ndtri(target) - intercept) / slope)


def _closed_form_slope(ep: Endpoint, trial: Trial, n: int) -> float | None:
    """Slope of probit(closed-form power) against sqrt(n) over the SPREAD window around n."""
    ns = [max(trial.smallest_n(), round(n * factor)) for factor in (SPREAD[0], SPREAD[-1])]
    powers = [analytic.endpoint_power(ep, *trial.split(m), trial.alpha, trial.alternative)
              for m in ns]
    if None in powers or ns[0] == ns[1]:
        return None
    slope = (special.ndtri(powers[1]) - special.ndtri(powers[0])) / (
        math.sqrt(ns[1]) - math.sqrt(ns[0]))
    return float(slope) if math.isfinite(slope) and slope > 0 else None


def _mcse(p: float, reps: int) -> float:
    return math.sqrt(p * (1 - p) / reps)


def _reported(simulate: Callable, reps: int, trace: list) -> tuple[Callable, dict]:
    """A function giving the power at n as ``simulate(n)`` reports it, and its results.

    ``simulate(m)`` returns a result with ``power``, ``mcse`` and ``ci``; each n is simulated
    once, kept in the returned dict and added to ``trace`` as a "final" point.
    """
    results: dict = {}

    def reported(m: int) -> float:
        if m not in results:
            results[m] = simulate(m)
            trace.append({"n_total": m, "power": results[m].power, "mcse": results[m].mcse,
                          "reps": reps, "stage": "final"})
        return results[m].power

    return reported, results


def _crossing(n: int, reported: Callable[[int], float], target: float, n_min: int,
              max_n: int) -> int | None:
    """The n next to the fitted ``n`` where the reported power crosses ``target``, or None.

    ``reported(m)`` is the power ``simtrial power --n m`` prints (same reps and seed). The
    fitted n is within Monte Carlo error of the crossing, and so may fall on either side of it
    in the reported power, which has its own error. Steps doubling away from ``n`` bracket a
    crossing and bisection narrows it, so that the answer reaches the target and n - 1 does
    not (or n is ``n_min``). None when the power at ``max_n`` stays below the target.

    Examples
    --------
    >>> _crossing(10, lambda m: m / 100, 0.25, 4, 1000)
    25
    >>> _crossing(40, lambda m: m / 100, 0.25, 4, 1000)
    25
    >>> _crossing(10, lambda m: m / 100, 0.25, 4, 20) is None  # 0.20 at the largest n
    True
    """
    step = 1
    if reported(n) >= target:
        high = n
        while True:
            low = high - step
            if low < n_min:
                low = n_min - 1  # below the smallest n: counts as not reaching, never simulated
                break
            if reported(low) < target:
                break
            high, step = low, 2 * step
    else:
        low = n
        while True:
            high = min(low + step, max_n)
            if reported(high) >= target:
                break
            if high == max_n:
                return None
            low, step = high, 2 * step
    while high - low > 1:
        middle = (low + high) // 2
        if reported(middle) >= target:
            high = middle
        else:
            low = middle
    return high


def _proxy(ep: Endpoint) -> Endpoint:
    """An endpoint with a closed-form test close to ``ep``'s, to start the search from.

    The test's proxy (Fisher's test needs about the chi-square test's n; the rank-sum test
    about the t test's: asymptotic relative efficiency 3/pi = 0.955 for normal data) on the
    model's proxy (a score given by its mean and sd: a normal outcome with them).
    """
    near = ep.model.proxy(ep)
    return replace(near, test=TESTS[ep.test].proxy or ep.test)


def _naive_inflation_n(ep: Endpoint, trial: Trial, target: float, max_n: int) -> int | None:
    """Closed-form n without dropout divided by (1 - dropout): the usual inflation."""
    n0 = analytic_sample_size(replace(ep, dropout=(0.0, 0.0)), trial, target, max_n)
    if n0 is None:
        return None
    a_t, a_c = trial.allocation
    dropout = (a_t * ep.dropout[0] + a_c * ep.dropout[1]) / (a_t + a_c)
    return math.ceil(n0 / (1 - dropout))


def _with_effect(ep: Endpoint, effect: float) -> Endpoint:
    treatment = {**ep.treatment, ep.location: ep.model.shifted(ep, effect)}
    return replace(ep, treatment=MappingProxyType(treatment))


def _analytic_effect(ep: Endpoint, trial: Trial, n: int, target: float,
                     limit: float) -> float | None:
    """Closed-form detectable effect (bisection to 1e-9 relative), or None."""
    n_t, n_c = trial.split(n)

    def closed_form(effect):
        return analytic.endpoint_power(_with_effect(ep, effect), n_t, n_c, trial.alpha,
                                       trial.alternative)

    hi = limit if math.isfinite(limit) else ep.control.get("sd", 1.0)
    while (p := closed_form(hi)) is not None and p < target and math.isinf(limit) \
            and hi < 1e6 * ep.control.get("sd", 1.0):
        hi *= 2
    if p is None or p < target:
        return None
    lo = 0.0
    while hi - lo > 1e-9 * hi:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if closed_form(mid) >= target else (mid, hi)
    return hi


def _check_target(target_power) -> None:
    if isinstance(target_power, bool) or not isinstance(target_power, int | float) \
            or not 0 < target_power < 1:
        raise InputError(f"`target_power` must be a number in (0, 1), got {target_power!r}")


def _check_integer(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InputError(f"`{name}` must be an integer >= {low}, got {value!r}")


def _sample_size_iv(scenario, endpoint, target_power, reps, seed, max_n, jobs) -> Endpoint:
    _check_target(target_power)
    _check_integer("reps", reps, 1)
    _check_integer("seed", seed, 0)
    n_min = scenario.trial.smallest_n()
    _check_integer("max_n", max_n, n_min)
    if jobs is not None:
        _check_integer("jobs", jobs, 1)
    ep = scenario.endpoint(endpoint)
    if ep.equivalence is not None:  # TOST: any effect inside the margins can be shown
        return ep
    if not ep.model.has_effect(ep) and ep.margin is None:  # a margin: H0 is not equality
        raise InputError(f"endpoint {ep.id!r} has no treatment effect (treatment = control): "
                         f"its power stays at alpha whatever n, so power {target_power:g} "
                         "cannot be reached")
    if scenario.trial.alternative == "one-sided" and ep.benefit_sign * _beyond_h0(ep) <= 0:
        raise InputError(f"endpoint {ep.id!r}: the effect ({ep.describe()}) is not in the "
                         f"direction of benefit ({ep.better} is better), so a one-sided test "
                         f"cannot reach power {target_power:g} at any n")
    return ep


def _beyond_h0(ep: Endpoint) -> float:
    """The effect minus the margin on the test's scale (the difference, without a margin)."""
    if ep.margin is None:
        return ep.difference
    t, c = ep.location_of("treatment"), ep.location_of("control")
    effect = math.log(t / c) if ep.model.effect_scale == "ratio" else t - c
    return effect - ep.model.test_margin(ep)


def _family_sample_size_iv(scenario, criterion, target_power, reps, seed, max_n,
                           jobs) -> tuple[str, ...]:
    _check_target(target_power)
    for name, value, low in (("reps", reps, 1), ("seed", seed, 0),
                             ("max_n", max_n, scenario.trial.smallest_n())):
        _check_integer(name, value, low)
    if jobs is not None:
        _check_integer("jobs", jobs, 1)
    if criterion not in ("any", "all"):
        raise InputError(f"`criterion` must be 'any' or 'all', got {criterion!r}")
    if not scenario.analysis.family:
        raise InputError(f"scenario {scenario.name!r} names no multiplicity family: add an "
                         "[analysis] table with multiplicity, order or family "
                         "(scenarios/README.md)")
    return scenario.analysis.family


def _detectable_iv(scenario, endpoint, n, target_power, reps, seed, jobs) -> Endpoint:
    _check_target(target_power)
    _check_integer("reps", reps, 1)
    _check_integer("seed", seed, 0)
    _check_integer("n", n, scenario.trial.smallest_n())
    if jobs is not None:
        _check_integer("jobs", jobs, 1)
    ep = scenario.endpoint(endpoint)
    if not ep.model.settable(ep, ep.location):
        raise InputError(f"endpoint {ep.id!r}: its effect ({ep.location}) is not one parameter "
                         "of the arm, so a detectable effect cannot be searched (allowed: "
                         "endpoints whose location is p, mean or gmean)")
    return ep
