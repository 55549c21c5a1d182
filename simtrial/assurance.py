r"""Assurance: the probability that the trial succeeds, averaged over the design priors.

Power is the probability of success at one assumed effect; assurance (O'Hagan, Stevens and
Campbell 2005) averages it over a prior for the effect (:mod:`simtrial.priors`), so that the
uncertainty of the phase 2 evidence enters the plan. It is estimated by two-level simulation:
M values are drawn from the priors (:func:`simtrial.rng.prior_generator`), and at each the same
R trials are simulated as ``simtrial power --reps R`` simulates them with the same seed
(common random numbers: the trials' streams are keyed by endpoint and chunk, not by draw).
For a t test of a normal or log-normal endpoint whose priors are on its arms' parameters,
the trials are simulated once in standardized form and rescaled at each draw, with the same
decisions (:mod:`simtrial.rescaled`); otherwise each draw simulates them again.

Success is a rejection of H0 *in the direction of benefit* (for a two-sided test, a
significant harmful result is a rejection that ``simtrial power`` counts but that is no
success; :attr:`AssuranceResult.expected_power` counts it too, and equals ``simtrial power``
for a point prior). Under a multiplicity procedure the endpoint's success is its adjusted
rejection, and the family's criteria (``any``, ``all``) are reported; under a group-sequential
``[design]``, the probability of stopping for efficacy at each look.

Monte Carlo error with common random numbers
--------------------------------------------
Let :math:`h_{mr} = 1` if trial r succeeds at draw m. The estimate is the grand mean
:math:`\hat A = \bar h`. The draws :math:`\theta_m` and the trials' random numbers
:math:`\varepsilon_r` are independent samples, so (Hoeffding's decomposition)
:math:`h_{mr} = A + a_m + b_r + e_{mr}` with uncorrelated parts of variances
:math:`\sigma_a^2` (how power varies over the prior), :math:`\sigma_b^2` (how a trial's
success, averaged over the prior, varies between trials) and :math:`\sigma_e^2`, and

.. math:: \operatorname{Var} \hat A = \sigma_a^2 / M + \sigma_b^2 / R
          + \sigma_e^2 / (MR).

If every draw had trials of its own, the per-draw estimates :math:`\hat p_m` would be
independent and :math:`S^2_{\hat p} / M` (their sample variance over M) would estimate this
variance, binomial noise included. Sharing the trials makes the :math:`\hat p_m` correlated
(:math:`\bar b` is common to all), and :math:`S^2_{\hat p}/M` then misses the
:math:`\sigma_b^2 / R` term. With :math:`S^2_{\hat p}` and :math:`S^2_{\hat q}` the sample
variances of the draw means and of the trial means :math:`\hat q_r` and :math:`MS_e` the
two-way residual mean square (:math:`E\,S^2_{\hat p} = \sigma_a^2 + \sigma_e^2/R`,
:math:`E\,S^2_{\hat q} = \sigma_b^2 + \sigma_e^2/M`, :math:`E\,MS_e = \sigma_e^2`), the
unbiased estimate used is

.. math:: \widehat{\operatorname{Var}}\,\hat A = S^2_{\hat p}/M + S^2_{\hat q}/R
          - MS_e/(MR).

For a point prior it is the binomial :math:`\hat A(1-\hat A)/(R-1)`.

References
----------
O'Hagan A, Stevens JW, Campbell MJ. Assurance in clinical trial design. Pharm Stat
2005;4:187-201.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import special, stats

from simtrial import rng
from simtrial._version import __version__
from simtrial.design.fixed import FixedDesign
from simtrial.design.sequential import sequential_outcome
from simtrial.errors import InputError, TargetNotReached
from simtrial.multiplicity import PROCEDURES
from simtrial.priors import apply_values, benefit_probability, draw_values, drawn_arms
from simtrial.rescaled import rescalable, rescaled_outcomes
from simtrial.scenario import Endpoint, Scenario, load_scenario
from simtrial.simulate import (
    _needed,
    _power_iv,
    available_cores,
    look_sizes,
    nested_looks,
    simulate_looks,
)

__all__ = ["AssuranceResult", "AssuranceSampleSize", "assurance", "assurance_sample_size",
           "two_level_mcse"]

#: Quantiles of the per-draw power reported.
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
#: Bin edges of the histogram of per-draw power.
HISTOGRAM_EDGES = tuple(i / 10 for i in range(11))


@dataclass(frozen=True)
class AssuranceResult:
    """Assurance of one endpoint at a total sample size, with what a report needs.

    Attributes
    ----------
    assurance, mcse, ci
        Probability of success (rejection in the direction of benefit) averaged over the
        priors; its two-level Monte Carlo standard error (module docstring); a normal 95%
        interval.
    expected_power, expected_power_mcse
        The same average of the power as ``simtrial power`` counts it (a two-sided test's
        rejections in either direction): equal to ``simtrial power`` for a point prior.
    closed_form
        O'Hagan et al.'s closed form where it applies (:func:`closed_form`), else None.
    power_quantiles, histogram
        Of the per-draw simulated power, each estimated from R trials (binomial noise of sd
        up to 0.5 / sqrt(R) widens the spread a little).
    benefit_probability, benefit_method
        The priors' probability of a beneficial effect (``exact`` from one prior's
        distribution, or ``draws``: the share of beneficial draws).
    bound
        What assurance tends to as n grows for the endpoint's test: the probability of a
        beneficial effect plus the probability of no effect times the one-sided level.
    """

    scenario: str
    endpoint: str
    n_total: int
    n_per_arm: dict[str, int]
    draws: int
    reps: int
    seed: int
    assurance: float
    mcse: float
    ci: tuple[float, float]
    expected_power: float
    expected_power_mcse: float
    closed_form: float | None
    power_quantiles: dict[str, float]
    histogram: dict[str, list]
    benefit_probability: float
    benefit_method: str
    bound: float
    priors: tuple[dict, ...]
    family: dict | None = None
    design: dict | None = None
    version: str = __version__
    #: Per-draw simulated power (success share of the R trials), in draw order.
    draw_power: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON fields (``assurance``, ``mcse``, ``closed_form``, ``power_quantiles``...)."""
        out = {k: getattr(self, k) for k in (
            "scenario", "endpoint", "n_total", "n_per_arm", "draws", "reps", "seed",
            "assurance", "mcse")}
        out["ci"] = list(self.ci)
        out.update({k: getattr(self, k) for k in (
            "expected_power", "expected_power_mcse", "closed_form", "power_quantiles",
            "histogram", "benefit_probability", "benefit_method", "bound")})
        out["priors"] = list(self.priors)
        if self.family is not None:
            out["family"] = self.family
        if self.design is not None:
            out["design"] = self.design
        out["version"] = self.version
        return out


def assurance(scenario: Scenario | str, n: int, *, draws: int = 2000, reps: int = 1000,
              seed: int = rng.DEFAULT_SEED, endpoint: str | None = None,
              jobs: int | None = None) -> AssuranceResult:
    """Assurance of an endpoint's test at ``n`` patients, by two-level simulation.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario with ``[[priors]]``, or a built-in name or file path.
    n : int
        Patients randomised in total.
    draws : int
        Values drawn from the priors (M).
    reps : int
        Simulated trials per draw (R), the same trials at every draw.
    seed : int
        Seed of the draws and of the trials; the trials are ``simtrial power``'s.
    endpoint : str, optional
        The endpoint whose success counts (default: the primary, else the first).
    jobs : int, optional
        Threads (default: all cores); the result does not depend on it.

    Returns
    -------
    AssuranceResult

    Examples
    --------
    >>> res = assurance("assurance-walk", 400, draws=200, reps=200)
    >>> res.assurance < res.expected_power + 1e-12 <= res.bound + 4 * res.mcse
    True
    >>> abs(res.assurance - res.closed_form) < 4 * res.mcse
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    ep = _assurance_iv(scenario, n, draws, reps, seed, endpoint, jobs)
    values = draw_values(scenario.priors, scenario, rng.prior_generator(seed), draws)
    keys = list(values)
    rows = list(zip(*(np.asarray(values[k], dtype=np.float64).tolist() for k in keys),
                    strict=True))  # Python floats, a tuple per draw
    unique = list(dict.fromkeys(rows))
    index = {row: i for i, row in enumerate(unique)}
    which = np.array([index[row] for row in rows])
    workers = min(jobs or available_cores(), available_cores(), len(unique))
    exact = _benefit(scenario, ep)
    if rescalable(scenario, ep):
        arms = [drawn_arms(ep, dict(zip(keys, row, strict=True))) for row in unique]
        outcomes = rescaled_outcomes(scenario, ep, arms, n, reps, seed, workers)
        drawn = [replace(ep, treatment=t, control=c) for t, c in arms] if exact is None else []
    else:
        scenarios = [apply_values(scenario, dict(zip(keys, row, strict=True)))
                     for row in unique]
        outcomes = _simulated_outcomes(scenarios, ep.id, n, reps, seed, workers)
        drawn = [sc.endpoint(ep.id) for sc in scenarios]
    if len(unique) < draws:  # else ``which`` is 0, 1, ..., draws - 1
        outcomes = {name: matrix[which] for name, matrix in outcomes.items()}
    success = outcomes["success"]
    estimate, mcse = two_level_mcse(success)
    expected, expected_mcse = two_level_mcse(outcomes["reject"])
    per_draw = success.mean(axis=1)
    n_t, n_c = scenario.trial.split(n)
    if exact is not None:
        benefit, method = exact, "exact"
    else:
        beneficial = np.array([e.benefit_sign * e.difference > 0 for e in drawn])
        benefit, method = float(beneficial[which].mean()), "draws"
    null_mass = sum(p.null_mass for p in scenario.priors
                    if p.endpoint_id == ep.id and p.null_mass)
    z = special.ndtri
    half_width = float(z(0.975)) * mcse
    return AssuranceResult(
        scenario=scenario.name, endpoint=ep.id, n_total=n,
        n_per_arm={"treatment": n_t, "control": n_c}, draws=draws, reps=reps, seed=seed,
        assurance=estimate, mcse=mcse,
        ci=(max(0.0, estimate - half_width), min(1.0, estimate + half_width)),
        expected_power=expected, expected_power_mcse=expected_mcse,
        closed_form=closed_form(scenario, ep, n),
        power_quantiles={f"{q:g}": float(np.quantile(per_draw, q)) for q in QUANTILES},
        histogram={"edges": list(HISTOGRAM_EDGES),
                   "counts": np.histogram(per_draw, HISTOGRAM_EDGES)[0].tolist()},
        benefit_probability=benefit, benefit_method=method,
        bound=min(1.0, benefit + null_mass * _one_sided_alpha(scenario)),
        priors=tuple(_prior_dict(p, scenario) for p in scenario.priors),
        family=_family(scenario, outcomes), design=_design(scenario, n, outcomes),
        draw_power=per_draw)


def two_level_mcse(h: np.ndarray) -> tuple[float, float]:
    """Grand mean of a draws x trials 0/1 array and its standard error (common trials).

    The unbiased estimate of the module docstring:
    ``S2_draws / M + S2_trials / R - MS_residual / (M R)``, at least 0.

    Examples
    --------
    A point prior (every draw the same trials): the binomial standard error, with R - 1.

    >>> h = np.tile(np.arange(10) < 7, (5, 1))
    >>> mean, se = two_level_mcse(h)
    >>> round(mean, 2), round(se, 4), round(math.sqrt(0.7 * 0.3 / 9), 4)
    (0.7, 0.1528, 0.1528)
    """
    h = np.asarray(h)
    m, r = h.shape
    # Counts of the 1s: exact, so the means are those of the 0/1 values, without a float copy.
    draw_counts = np.count_nonzero(h, axis=1)
    grand = float(draw_counts.sum()) / (m * r)
    draw_means, trial_means = draw_counts / r, np.count_nonzero(h, axis=0) / m
    s_draws = float(draw_means.var(ddof=1)) if m > 1 else 0.0
    s_trials = float(trial_means.var(ddof=1)) if r > 1 else 0.0
    residual = 0.0
    if m > 1 and r > 1:
        total = float(draw_counts.sum()) - r * float(draw_means @ draw_means) \
            - m * float(trial_means @ trial_means) + m * r * grand * grand
        residual = max(total, 0.0) / ((m - 1) * (r - 1))
    variance = s_draws / m + s_trials / r - residual / (m * r)
    return grand, math.sqrt(max(variance, 0.0))


def closed_form(scenario: Scenario, ep: Endpoint, n: int) -> float | None:
    r"""O'Hagan et al.'s assurance for a normal endpoint with one normal prior, or None.

    With the effect :math:`\theta \sim N(\mu, \tau^2)` (signed so that benefit is positive)
    and its estimate :math:`D \mid \theta \sim N(\theta, se^2)`, D is marginally
    :math:`N(\mu, se^2 + \tau^2)` and the probability of a significant beneficial result is

    .. math:: A = \Phi\left(\frac{\mu - c\, se}{\sqrt{se^2 + \tau^2}}\right),

    with :math:`se^2 = sd_t^2/m_t + sd_c^2/m_c` at the expected numbers assessed and c the
    one-sided critical value: :math:`t_{1-\alpha/2}` for a two-sided test (only its
    beneficial tail is success), :math:`t_{1-\alpha}` one-sided, on :math:`m_t + m_c - 2`
    degrees of freedom (the z test's formula with the t quantile: the usual approximation,
    exact as the df grow). A null mass w adds :math:`w \cdot \alpha_1` (:math:`\alpha_1` the
    one-sided level) to :math:`(1 - w) A`.

    Applies to one normal (or point) prior on an arm's mean of a normal endpoint tested by
    the t or Welch test, without a group-sequential design or a multiplicity adjustment.
    """
    priors = scenario.priors
    if len(priors) != 1 or scenario.design is not None or ep.distribution != "normal" \
            or ep.test not in ("ttest", "welch"):
        return None
    prior = priors[0]
    parts = prior.key.split(".")
    adjusted = ep.id in scenario.analysis.family and scenario.analysis.multiplicity != "none"
    if prior.endpoint_id != ep.id or len(parts) != 4 or parts[3] != "mean" or adjusted \
            or prior.distribution not in ("normal", "point"):
        return None
    centre = next(prior.params[k] for k in ("mean", "value") if k in prior.params)
    tau = prior.params.get("sd", 0.0)
    if prior.of == "effect":
        effect = centre
    elif parts[2] == "treatment":
        effect = centre - ep.control["mean"]
    else:
        effect = ep.treatment["mean"] - centre
    n_t, n_c = scenario.trial.split(n)
    m_t, m_c = n_t * (1 - ep.dropout[0]), n_c * (1 - ep.dropout[1])
    se = math.sqrt(ep.treatment["sd"] ** 2 / m_t + ep.control["sd"] ** 2 / m_c)
    level = _one_sided_alpha(scenario)
    critical = float(stats.t.isf(level, m_t + m_c - 2))
    value = float(special.ndtr((ep.benefit_sign * effect - critical * se)
                               / math.sqrt(se * se + tau * tau)))
    return (1 - prior.null_mass) * value + prior.null_mass * level


# ------------------------------------------------------------------------ one draw's trials
def _outcomes(sc: Scenario, ep_id: str, n: int, reps: int, seed: int) -> dict[str, np.ndarray]:
    """The R trials at one draw: success, rejection (either way), family criteria, look."""
    trial = sc.trial
    if sc.design is not None:
        ep = sc.endpoint(ep_id)
        sizes = np.array([trial.split(m) for m in look_sizes(trial, sc.design, n)])
        at = nested_looks(ep, sizes, trial.alternative, reps, seed, jobs=1, signed=True)
        assert at.z is not None  # signed=True fills it
        outcome = sequential_outcome(sc.design, at.z)
        favours = at.z[outcome.look, np.arange(reps)] > 0
        success = outcome.reject & favours
        return {"success": success, "reject": outcome.reject,
                "look": np.where(success, outcome.look, -1)}
    n_t, n_c = trial.split(n)
    simulated = _needed(sc, [sc.endpoint(ep_id)])
    looks = dict(zip((e.id for e in simulated),
                     simulate_looks(simulated, n_t, n_c, trial.alternative, reps, seed, 1,
                                    sc.correlations, signed=True), strict=True))
    rejected = {i: FixedDesign().reject(s, trial.alpha) for i, s in looks.items()}
    favours = {i: s.z[-1] > 0 for i, s in looks.items() if s.z is not None}
    family = sc.analysis.family
    out: dict[str, np.ndarray] = {}
    if ep_id in family:
        matrix = np.stack([looks[i].pvalues[-1] for i in family], axis=1)
        adjusted = PROCEDURES[sc.analysis.multiplicity](matrix, trial.alpha)
        rejected.update(zip(family, adjusted.T, strict=True))
        wins = adjusted & np.stack([favours[i] for i in family], axis=1)
        out.update(any=wins.any(axis=1), all=wins.all(axis=1))
    out.update(success=rejected[ep_id] & favours[ep_id], reject=rejected[ep_id])
    return out


def _simulated_outcomes(scenarios: list[Scenario], ep_id: str, n: int, reps: int, seed: int,
                        workers: int) -> dict[str, np.ndarray]:
    """:func:`_outcomes` of each scenario (a thread each), as arrays of scenarios x trials."""
    def run(sc: Scenario) -> dict[str, np.ndarray]:
        return _outcomes(sc, ep_id, n, reps, seed)

    if workers <= 1:
        outcomes = [run(sc) for sc in scenarios]
    else:
        with ThreadPoolExecutor(workers) as pool:
            outcomes = list(pool.map(run, scenarios))
    return {name: np.stack([o[name] for o in outcomes]) for name in outcomes[0]}


def _family(sc: Scenario, outcomes: dict[str, np.ndarray]) -> dict | None:
    """The family criteria's assurance (``any``, ``all``), where the endpoint is in a family."""
    if "any" not in outcomes:
        return None
    out: dict[str, Any] = {"procedure": sc.analysis.multiplicity,
                           "endpoints": list(sc.analysis.family)}
    for criterion in ("any", "all"):
        value, se = two_level_mcse(outcomes[criterion])
        out[f"assurance_{criterion}"], out[f"mcse_{criterion}"] = value, se
    return out


def _design(sc: Scenario, n: int, outcomes: dict[str, np.ndarray]) -> dict | None:
    """Probability of stopping for efficacy (in the direction of benefit) at each look."""
    if sc.design is None:
        return None
    look = outcomes["look"]
    stages = []
    for k, (t, m) in enumerate(zip(sc.design.information, look_sizes(sc.trial, sc.design, n),
                                   strict=True)):
        value, se = two_level_mcse(look == k)
        stages.append({"information": t, "n": m, "efficacy": value, "mcse": se})
    return {"stages": stages}


# ------------------------------------------------------------------------------ helpers
def _benefit(sc: Scenario, ep: Endpoint) -> float | None:
    """The priors' exact probability of a beneficial effect (one prior), else None."""
    return benefit_probability(sc.priors[0], ep) if len(sc.priors) == 1 else None


def _one_sided_alpha(sc: Scenario) -> float:
    """The level of a rejection in the direction of benefit: alpha/2 two-sided, else alpha."""
    return sc.trial.alpha / 2 if sc.trial.alternative == "two-sided" else sc.trial.alpha


def _prior_dict(prior, sc: Scenario) -> dict:
    """A prior's fields with the provenance of its numbers."""
    out = prior.to_dict()
    path = f"priors[{prior.index}]"
    sources = {key[len(path) + 1:]: record.to_dict() for key, record in sc.provenance.items()
               if key.startswith(path + ".")}
    if sources:
        out["provenance"] = sources
    return out


def _assurance_iv(sc: Scenario, n, draws, reps, seed, endpoint, jobs) -> Endpoint:
    if not sc.priors:
        raise InputError(f"scenario {sc.name!r} has no [[priors]] (assurance needs a design "
                         "prior on at least one number; see scenarios/README.md)")
    for name, value in (("draws", draws), ("reps", reps)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
            raise InputError(f"`{name}` must be an integer >= 2, got {value!r}")
    ep_id = endpoint or sc.analysis.primary or sc.endpoints[0].id
    ep, = _power_iv(sc, n, reps, seed, [ep_id], jobs)
    if sc.design is not None:
        primary = sc.analysis.primary or sc.endpoints[0].id
        if ep.id != primary or sc.analysis.multiplicity != "none":
            raise InputError(f"scenario {sc.name!r} has a group-sequential [design]: assurance "
                             f"is computed for its primary endpoint {primary!r} without a "
                             "multiplicity procedure (the looks of other endpoints are not "
                             "simulated yet)")
    return ep


# ------------------------------------------------------------------------------ sample size
@dataclass(frozen=True)
class AssuranceSampleSize:
    """Smallest n whose assurance reaches a target, and the assurance there."""

    target_assurance: float
    result: AssuranceResult
    trace: tuple[dict, ...]

    def to_dict(self) -> dict[str, Any]:
        """The result at n with ``target_assurance`` and the ``trace`` of n tried."""
        return {"target_assurance": self.target_assurance, **self.result.to_dict(),
                "trace": list(self.trace)}


def assurance_sample_size(scenario: Scenario | str, target: float, *, draws: int = 2000,
                          reps: int = 1000, seed: int = rng.DEFAULT_SEED,
                          endpoint: str | None = None, max_n: int = 100_000,
                          jobs: int | None = None) -> AssuranceSampleSize:
    """Smallest total n whose simulated assurance reaches ``target``.

    Every n uses the same prior draws and trials' streams (same seed), so the curve is
    smooth; the search doubles n until the target is reached, then bisects, and answers the
    n where the assurance reaches the target and n - 1 does not.

    Raises
    ------
    TargetNotReached
        When the target is at or above :attr:`AssuranceResult.bound` (no n reaches it), or
        is not reached by ``max_n``.

    Examples
    --------
    >>> res = assurance_sample_size("assurance-walk", 0.6, draws=200, reps=200)
    >>> res.result.assurance >= 0.6 > res.trace[-1]["assurance"] or res.result.n_total == 5
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target < 1:
        raise InputError(f"`target` must be a number in (0, 1), got {target!r}")
    trace: list[dict] = []
    results: dict[int, AssuranceResult] = {}

    def at(m: int) -> float:
        if m not in results:
            results[m] = assurance(scenario, m, draws=draws, reps=reps, seed=seed,
                                   endpoint=endpoint, jobs=jobs)
            trace.append({"n_total": m, "assurance": results[m].assurance,
                          "mcse": results[m].mcse})
        return results[m].assurance

    low = scenario.trial.smallest_n()
    first = at(low)
    bound = results[low].bound
    if target >= bound:
        raise TargetNotReached(
            f"assurance {target:g} cannot be reached at any n: it is at most {bound:.4f}, the "
            "prior's probability of a beneficial effect (plus its null mass times the "
            "one-sided alpha), which a larger trial cannot raise")
    if first >= target:
        return AssuranceSampleSize(target, results[low], tuple(trace))
    high = max(2 * low, 64)
    while at(min(high, max_n)) < target:
        if high >= max_n:
            raise TargetNotReached(
                f"assurance {target:g} is not reached by n = {max_n} (simulated assurance "
                f"{results[max_n].assurance:.4f}, bound {bound:.4f}); raise --max-n")
        low, high = high, 2 * high
    high = min(high, max_n)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if at(middle) >= target else (middle, high)
    return AssuranceSampleSize(target, results[high], tuple(trace))
