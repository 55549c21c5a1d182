r"""Outcomes on a finite grid of levels: bounded discrete scores and ordinal scales.

A **score** (kind ``score``, for example an SF-36 domain) takes the values
``min, min + step, ..., max``. It is generated as a discretised, censored normal: a latent
:math:`Y^* \sim N(\mu, \sigma)` is rounded to the nearest level, and values beyond the ends
pile up on them (floor and ceiling mass)::

    P(min)   = Phi((min + step/2 - mu) / sigma)
    P(level) = Phi((level + step/2 - mu) / sigma) - Phi((level - step/2 - mu) / sigma)
    P(max)   = 1 - Phi((max - step/2 - mu) / sigma)

The latent :math:`(\mu, \sigma)` are fitted to what a publication reports, per arm:

- ``mean`` and ``sd`` of the score: solved numerically so that the discretised, censored
  distribution has exactly that mean and standard deviation;
- ``median``, ``q1`` and ``q3`` (levels of the grid): :math:`\mu` = median and
  :math:`\sigma = (q3 - q1) / (2 z_{0.75})`. The discrete distribution then has these
  quartiles (smallest level whose cumulative probability reaches 1/4, 1/2, 3/4); quartiles too
  asymmetric for a normal latent are rejected.

An **ordinal** outcome (kind ``ordinal``) gives the probabilities of its categories, lowest
first, in each arm (:mod:`simtrial.endpoints.ordinal`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from simtrial.errors import InputError

__all__ = ["fit_score", "level_probabilities", "score_levels",
           "score_probabilities", "score_quantile", "score_summary"]

#: Most levels a score grid may have.
MAX_LEVELS = 10_001
_Z75 = float(special.ndtri(0.75))


def score_levels(low: float, high: float, step: float) -> np.ndarray:
    """The levels ``low, low + step, ..., high`` of a score.

    Examples
    --------
    >>> score_levels(0, 100, 25).tolist()
    [0.0, 25.0, 50.0, 75.0, 100.0]
    """
    _score_scale_iv(low, high, step)
    count = round((high - low) / step) + 1
    return low + step * np.arange(count, dtype=np.float64)


def score_probabilities(low: float, high: float, step: float, mu: float,
                        sigma: float) -> np.ndarray:
    """Probabilities of the levels of a discretised, censored normal (module docstring).

    Examples
    --------
    >>> score_probabilities(0, 100, 50, 50, 1e-9).tolist()
    [0.0, 1.0, 0.0]
    >>> p = score_probabilities(0, 100, 5, 80, 30)
    >>> round(float(p[-1]), 4), round(float(p.sum()), 12)  # ceiling mass, total
    (0.2798, 1.0)
    """
    levels = score_levels(low, high, step)
    cuts = (levels[:-1] + step / 2 - mu) / sigma
    cdf = np.concatenate(([0.0], special.ndtr(cuts), [1.0]))
    return np.diff(cdf)


def score_summary(levels: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of a distribution on ``levels``.

    Examples
    --------
    >>> score_summary(np.array([0.0, 1.0]), np.array([0.5, 0.5]))
    (0.5, 0.5)
    """
    mean = float(probs @ levels)
    return mean, math.sqrt(max(0.0, float(probs @ (levels - mean) ** 2)))


def score_quantile(levels: np.ndarray, probs: np.ndarray, q: float) -> float:
    """The smallest level whose cumulative probability reaches ``q`` (up to 1e-12).

    Examples
    --------
    >>> score_quantile(np.array([0.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3]), 0.5)
    1.0
    """
    index = int(np.searchsorted(np.cumsum(probs), q - 1e-12))
    return float(levels[min(index, len(levels) - 1)])


def fit_score(low: float, high: float, step: float, params: dict) -> tuple[float, float]:
    """Latent ``(mu, sigma)`` of a score from ``{mean, sd}`` or ``{median, q1, q3}``.

    Raises
    ------
    ValueError
        When the scale is invalid or no discretised normal on it has the given summaries.

    Examples
    --------
    >>> mu, sigma = fit_score(0, 100, 5, {"mean": 60.0, "sd": 25.0})
    >>> p = score_probabilities(0, 100, 5, mu, sigma)
    >>> [round(v, 6) for v in score_summary(score_levels(0, 100, 5), p)]
    [60.0, 25.0]
    >>> [round(v, 4) for v in fit_score(0, 100, 5, {"median": 50.0, "q1": 35.0, "q3": 65.0})]
    [50.0, 22.239]
    """
    levels = score_levels(low, high, step)
    if set(params) == {"mean", "sd"}:
        return _fit_mean_sd(levels, step, params["mean"], params["sd"])
    if set(params) == {"median", "q1", "q3"}:
        return _fit_quartiles(levels, step, params["median"], params["q1"], params["q3"])
    raise InputError(f"`params` must be {{mean, sd}} or {{median, q1, q3}}, got {sorted(params)}")


def level_probabilities(endpoint, arm: str) -> np.ndarray:
    """Probabilities of the ordered levels of a score or ordinal endpoint in one arm.

    The endpoint's model knows them (:mod:`simtrial.endpoints.score`,
    :mod:`simtrial.endpoints.ordinal`).

    Parameters
    ----------
    endpoint : simtrial.scenario.Endpoint
        An endpoint of kind ``score`` or ``ordinal``.
    arm : {"treatment", "control"}

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> ep = load_scenario("msc-covid19").endpoint("sf36_gh")
    >>> p = level_probabilities(ep, "control")
    >>> len(p), round(float(p.sum()), 12)
    (21, 1.0)
    """
    return endpoint.model.level_probabilities(endpoint, arm)


def _score_scale_iv(low, high, step) -> None:
    if not all(math.isfinite(v) for v in (low, high, step)) or step <= 0 or high <= low:
        raise InputError(f"`scale` must have finite min < max and step > 0, got "
                         f"min = {low!r}, max = {high!r}, step = {step!r}")
    count = (high - low) / step
    if abs(count - round(count)) > 1e-9 * max(1.0, count) or round(count) + 1 > MAX_LEVELS:
        raise InputError(f"`scale` must have (max - min) / step a whole number of steps, at "
                         f"most {MAX_LEVELS - 1}; got ({high!r} - {low!r}) / {step!r}")


def _on_grid(levels: np.ndarray, step: float, value: float, name: str) -> None:
    if not np.any(np.abs(levels - value) <= 1e-9 * step):
        raise InputError(f"`{name}` = {value!r} must be a level of the score "
                         f"({levels[0]:g}, {levels[0] + step:g}, ..., {levels[-1]:g})")


def _fit_quartiles(levels, step, median, q1, q3) -> tuple[float, float]:
    for name, value in (("median", median), ("q1", q1), ("q3", q3)):
        _on_grid(levels, step, value, name)
    if not q1 < q3 or not q1 <= median <= q3:
        raise InputError(f"`q1`, `median`, `q3` must satisfy q1 <= median <= q3 and q1 < q3, "
                         f"got {q1!r}, {median!r}, {q3!r}")
    mu, sigma = float(median), (q3 - q1) / (2 * _Z75)
    probs = score_probabilities(levels[0], levels[-1], step, mu, sigma)
    got = [score_quantile(levels, probs, q) for q in (0.25, 0.5, 0.75)]
    if not np.allclose(got, [q1, median, q3]):
        raise InputError(f"`q1`, `median`, `q3` = {q1!r}, {median!r}, {q3!r} are too asymmetric "
                         f"for a discretised normal (it would have quartiles {got}); give "
                         "`mean` and `sd` instead")
    return mu, sigma


def _fit_mean_sd(levels, step, mean, sd) -> tuple[float, float]:
    from scipy import optimize

    low, high = levels[0], levels[-1]
    # The largest SD a distribution on [low, high] with this mean can have: all mass at the ends.
    limit = math.sqrt(max(0.0, (mean - low) * (high - mean)))
    if not (low < mean < high and 0 < sd < limit):
        raise InputError(f"`mean` = {mean!r} and `sd` = {sd!r} are impossible on the scale "
                         f"{low:g} to {high:g} (need min < mean < max and 0 < sd < "
                         f"{limit:.4g})")

    def gap(theta):
        probs = score_probabilities(low, high, step, theta[0], math.exp(theta[1]))
        got_mean, got_sd = score_summary(levels, probs)
        return [(got_mean - mean) / sd, (got_sd - sd) / sd]

    fit = optimize.least_squares(gap, [mean, math.log(sd)], xtol=1e-14, ftol=1e-14, gtol=1e-14)
    if max(abs(v) for v in fit.fun) > 1e-8:
        raise InputError(f"`mean` = {mean!r} and `sd` = {sd!r}: no discretised normal on the "
                         f"scale {low:g} to {high:g} by {step:g} has them (an SD below the grid "
                         "step, or near the largest possible, may be out of reach)")
    return float(fit.x[0]), float(math.exp(fit.x[1]))
