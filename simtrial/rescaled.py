"""Assurance's fast path: the trials simulated once, in standardized form, and decided per draw.

An assurance run (:mod:`simtrial.assurance`) decides the same R trials at each of M prior
draws. Where the endpoint's model has a standardized simulator
(:attr:`~simtrial.endpoints._model.EndpointModel.standardized_simulators`, today the moments
of normal and log-normal endpoints) and the test is the pooled or Welch t test, the trials'
random numbers are drawn once, with the generators ``simtrial power`` uses (stream and
chunk), and one compiled kernel rescales them and decides every trial at every draw
(:func:`simtrial.kernels.rescale.moments_outcomes`): a few floating-point operations per
draw and trial, instead of simulating M x R trials. The decisions equal those of the trials
simulated at each draw, bit for bit, so a point prior gives ``simtrial power``'s number.

It applies when every prior is on an arm's parameter of the endpoint (a mean, sd, geometric
mean or geometric sd, of either arm), so that the draws leave its dropout, the other
endpoints and the trial unchanged, and the endpoint is on its own: in no correlated group,
no multiplicity family and no group-sequential design. Otherwise (:func:`rescalable` is
False) each draw simulates its trials.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from simtrial import rng
from simtrial.scenario import Endpoint, Scenario
from simtrial.simulate import _needed
from simtrial.stattests import TESTS

__all__ = ["rescalable", "rescaled_outcomes"]

#: The tests the fused kernel decides, and whether each is Welch's.
WELCH = {"ttest": False, "welch": True}


def rescalable(scenario: Scenario, ep: Endpoint) -> bool:
    """Whether every prior draw's trials are the scenario's trials rescaled (module docstring).

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("assurance-walk")
    >>> rescalable(sc, sc.endpoint("walk_m"))
    True
    """
    statistic = TESTS[ep.test].statistic.name
    if scenario.design is not None or ep.id in scenario.analysis.family \
            or ep.test not in WELCH or statistic not in ep.model.standardized_simulators \
            or _needed(scenario, [ep]) != [ep]:
        return False
    for prior in scenario.priors:
        parts = prior.key.split(".")
        if len(parts) != 4 or parts[:2] != ["endpoints", ep.id] \
                or parts[2] not in ("treatment", "control"):
            return False
    return True


def rescaled_outcomes(scenario: Scenario, ep: Endpoint, arms: list[tuple[Mapping, Mapping]],
                      n: int, reps: int, seed: int, workers: int) -> dict[str, np.ndarray]:
    """``success`` and ``reject`` of the R trials at each draw: boolean arrays, draws x trials.

    ``arms`` are the endpoint's (treatment, control) parameters at each draw
    (:func:`simtrial.priors.drawn_arms`; :func:`rescalable` is True).
    The trials are simulated once, in chunks with ``simtrial power``'s generators; the draws
    are split between ``workers`` threads (the result does not depend on it).
    """
    from simtrial.kernels.rescale import (
        critical_values,
        moments_outcomes,
        rescale_moments,
        trial_df,
    )

    n_t, n_c = scenario.trial.split(n)
    statistic = TESTS[ep.test].statistic
    standard = np.empty((reps, statistic.columns))
    simulate = ep.model.standardized_simulators[statistic.name]
    for i, part in enumerate(rng.chunk_slices(reps)):
        simulate(rng.chunk_generator(seed, ep.id, i), ep, n_t, n_c, standard[part])
    params = np.array([ep.model.rescale_parameters(t, c) for t, c in arms], dtype=np.float64)
    welch, two_sided = WELCH[ep.test], scenario.trial.alternative == "two-sided"
    alpha = scenario.trial.alpha
    if welch and (np.ptp(params[:, 1]) > 0 or np.ptp(params[:, 3]) > 0):
        critical = np.full(reps, np.nan)  # Welch's df vary with the sds: p-values throughout
    else:
        moments, df = np.empty_like(standard), np.empty(reps)
        rescale_moments(standard, *params[0], moments)
        trial_df(moments, welch, df)
        critical = critical_values(df, two_sided, alpha)
    success = np.empty((len(arms), reps), dtype=np.bool_)
    reject = np.empty_like(success)

    def run(rows: np.ndarray) -> None:
        part = slice(rows[0], rows[-1] + 1)
        moments_outcomes(standard, params[part], critical, welch, two_sided, ep.benefit_sign,
                         alpha, success[part], reject[part])

    blocks = [rows for rows in np.array_split(np.arange(len(arms)), workers) if len(rows)]
    if len(blocks) <= 1:
        for rows in blocks:
            run(rows)
    else:
        with ThreadPoolExecutor(len(blocks)) as pool:
            list(pool.map(run, blocks))
    return {"success": success, "reject": reject}
