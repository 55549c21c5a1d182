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

from simtrial.score_fit import fit_score, score_level_count

__all__ = ["fit_score", "level_probabilities", "score_levels",
           "score_probabilities", "score_quantile", "score_summary"]


def score_levels(low: float, high: float, step: float) -> np.ndarray:
    """The levels ``low, low + step, ..., high`` of a score.

    Examples
    --------
    >>> score_levels(0, 100, 25).tolist()
    [0.0, 25.0, 50.0, 75.0, 100.0]
    """
    return low + step * np.arange(score_level_count(low, high, step), dtype=np.float64)


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
