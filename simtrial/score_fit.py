r"""A score's latent normal, fitted in plain Python (validating a scenario imports no numpy).

A score takes the levels ``min, min + step, ..., max`` and is a discretised, censored normal
(:mod:`simtrial.distributions`, which builds the level probabilities the simulation draws
from). Its latent :math:`(\mu, \sigma)` are fitted when a scenario is read, so that impossible
summaries fail at load: from ``mean`` and ``sd`` by Newton's method, from ``median``, ``q1``
and ``q3`` in closed form with a check of the quartiles.
"""

from __future__ import annotations

import bisect
import itertools
import math

from simtrial.errors import InputError
from simtrial.quantiles import normal_quantile

__all__ = ["MAX_LEVELS", "fit_score", "score_level_count"]

#: Most levels a score grid may have.
MAX_LEVELS = 10_001
_Z75 = normal_quantile(0.75)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def score_level_count(low: float, high: float, step: float) -> int:
    """Number of levels of the scale ``low, low + step, ..., high``, after checking it.

    Parameters
    ----------
    low, high : float
        Lowest and highest levels, finite, ``low < high``.
    step : float
        Distance between levels, > 0, dividing ``high - low`` into a whole number of steps
        (to 1e-9 relative), at most ``MAX_LEVELS - 1``.

    Returns
    -------
    int
        ``round((high - low) / step) + 1``.

    Raises
    ------
    InputError
        If the scale is not as above (a `ValueError`).

    Examples
    --------
    >>> score_level_count(0, 100, 25)
    5
    """
    if not all(math.isfinite(v) for v in (low, high, step)) or step <= 0 or high <= low:
        raise InputError(f"`scale` must have finite min < max and step > 0, got "
                         f"min = {low!r}, max = {high!r}, step = {step!r}")
    count = (high - low) / step
    if abs(count - round(count)) > 1e-9 * max(1.0, count) or round(count) + 1 > MAX_LEVELS:
        raise InputError(f"`scale` must have (max - min) / step a whole number of steps, at "
                         f"most {MAX_LEVELS - 1}; got ({high!r} - {low!r}) / {step!r}")
    return round(count) + 1


def fit_score(low: float, high: float, step: float, params: dict) -> tuple[float, float]:
    r"""Latent ``(mu, sigma)`` of a score from ``{mean, sd}`` or ``{median, q1, q3}``.

    Parameters
    ----------
    low, high, step : float
        The scale (`score_level_count`).
    params : dict
        ``{"mean": m, "sd": s}`` of the score, or ``{"median", "q1", "q3"}``, levels of it.

    Returns
    -------
    tuple of float
        :math:`(\mu, \sigma)` of the latent normal.

    Raises
    ------
    InputError
        When the scale is invalid or no discretised normal on it has the given summaries (a
        `ValueError`).

    Notes
    -----
    From the mean m and sd s: the :math:`(\mu, \ln\sigma)` at which the discretised normal's
    mean and standard deviation, both over s, are m/s and 1: Levenberg-Marquardt steps
    (Gauss-Newton steps damped where they would not reduce the squared residual) with the
    exact Jacobian (the level probabilities' derivatives are differences of normal densities),
    starting from :math:`(m, \ln s)`; it is an error if the residual stays above 1e-8. From
    quartiles: :math:`\mu` = median, :math:`\sigma = (q_3 - q_1) / (2 z_{0.75})`, accepted
    if the discrete distribution has these quartiles.

    Examples
    --------
    >>> [round(v, 4) for v in fit_score(0, 100, 5, {"mean": 60.0, "sd": 25.0})]
    [60.7533, 26.933]
    >>> [round(v, 4) for v in fit_score(0, 100, 5, {"median": 50.0, "q1": 35.0, "q3": 65.0})]
    [50.0, 22.239]
    """
    count = score_level_count(low, high, step)
    levels = [float(low) + float(step) * k for k in range(count)]
    if set(params) == {"mean", "sd"}:
        return _fit_mean_sd(levels, step, params["mean"], params["sd"])
    if set(params) == {"median", "q1", "q3"}:
        return _fit_quartiles(levels, step, params["median"], params["q1"], params["q3"])
    raise InputError(f"`params` must be {{mean, sd}} or {{median, q1, q3}}, got {sorted(params)}")


def _cdf(u: float) -> float:
    return 0.5 * math.erfc(-u * _SQRT_HALF)


def _probabilities(levels: list[float], step: float, mu: float, sigma: float) -> list[float]:
    """P(level) = Phi(upper cut) - Phi(lower cut), the ends taking the tails."""
    cdf = [0.0, *(_cdf((x + step / 2 - mu) / sigma) for x in levels[:-1]), 1.0]
    return [b - a for a, b in itertools.pairwise(cdf)]


def _on_grid(levels: list[float], step: float, value: float, name: str) -> None:
    if not any(abs(x - value) <= 1e-9 * step for x in levels):
        raise InputError(f"`{name}` = {value!r} must be a level of the score "
                         f"({levels[0]:g}, {levels[0] + step:g}, ..., {levels[-1]:g})")


def _fit_quartiles(levels, step, median, q1, q3) -> tuple[float, float]:
    for name, value in (("median", median), ("q1", q1), ("q3", q3)):
        _on_grid(levels, step, value, name)
    if not q1 < q3 or not q1 <= median <= q3:
        raise InputError(f"`q1`, `median`, `q3` must satisfy q1 <= median <= q3 and q1 < q3, "
                         f"got {q1!r}, {median!r}, {q3!r}")
    mu, sigma = float(median), (q3 - q1) / (2 * _Z75)
    cumulative = list(itertools.accumulate(_probabilities(levels, step, mu, sigma)))
    # the smallest level whose cumulative probability reaches q (up to 1e-12)
    got = [levels[min(bisect.bisect_left(cumulative, q - 1e-12), len(levels) - 1)]
           for q in (0.25, 0.5, 0.75)]
    if not all(abs(a - b) <= 1e-8 + 1e-5 * abs(b)
               for a, b in zip(got, (q1, median, q3), strict=True)):
        raise InputError(f"`q1`, `median`, `q3` = {q1!r}, {median!r}, {q3!r} are too asymmetric "
                         f"for a discretised normal (it would have quartiles {got}); give "
                         "`mean` and `sd` instead")
    return mu, sigma


def _fit_mean_sd(levels, step, mean, sd) -> tuple[float, float]:
    low, high = levels[0], levels[-1]
    # The largest SD a distribution on [low, high] with this mean can have: all mass at the ends.
    limit = math.sqrt(max(0.0, (mean - low) * (high - mean)))
    if not (low < mean < high and 0 < sd < limit):
        raise InputError(f"`mean` = {mean!r} and `sd` = {sd!r} are impossible on the scale "
                         f"{low:g} to {high:g} (need min < mean < max and 0 < sd < "
                         f"{limit:.4g})")
    theta = (float(mean), math.log(sd))
    residual, jacobian = _gap(levels, step, mean, sd, theta)
    damping = 1e-3
    # a few steps for most summaries, hundreds along a curved valley (all the mass near an
    # end); at most about 2e6 level evaluations, so that a fine grid is rejected in seconds
    for _ in range(min(2000, max(200, 2_000_000 // len(levels)))):
        size = math.fsum(r * r for r in residual)
        if size <= 1e-30 or damping > 1e16:
            break
        (a, b), (c, d) = jacobian
        # Levenberg-Marquardt: (J'J + damping diag(J'J)) move = J'r, a 2 x 2 system
        g0, g1 = a * residual[0] + c * residual[1], b * residual[0] + d * residual[1]
        h00, h01, h11 = a * a + c * c, a * b + c * d, b * b + d * d
        h00, h11 = h00 * (1 + damping), h11 * (1 + damping)
        det = h00 * h11 - h01 * h01
        if not (math.isfinite(det) and det > 0):
            damping *= 10
            continue
        trial = (theta[0] - (h11 * g0 - h01 * g1) / det, theta[1] - (h00 * g1 - h01 * g0) / det)
        new_residual, new_jacobian = _gap(levels, step, mean, sd, trial)
        if math.fsum(r * r for r in new_residual) < size:
            theta, residual, jacobian = trial, new_residual, new_jacobian
            damping /= 10
        else:
            damping *= 10
    if not max(abs(r) for r in residual) <= 1e-8:
        raise InputError(f"`mean` = {mean!r} and `sd` = {sd!r}: no discretised normal on the "
                         f"scale {low:g} to {high:g} by {step:g} has them (an SD below the grid "
                         "step, or near the largest possible, may be out of reach)")
    return theta[0], math.exp(theta[1])


def _gap(levels, step, mean, sd, theta):
    """((mean - m) / s, (sd - s) / s) at theta = (mu, ln sigma), and its Jacobian."""
    mu, log_sigma = theta
    if not (math.isfinite(mu) and -700 < log_sigma < 700):  # a step far out of range
        return (math.inf, math.inf), ((1.0, 0.0), (0.0, 1.0))
    sigma = math.exp(log_sigma)
    probs = _probabilities(levels, step, mu, sigma)
    # d Phi(u) / d mu = -phi(u) / sigma and d Phi(u) / d ln sigma = -phi(u) u, u = (cut - mu)
    # / sigma; a level's probability is the difference of its cuts' (0 beyond the ends)
    us = [(x + step / 2 - mu) / sigma for x in levels[:-1]]
    dens = [0.0, *(math.exp(-u * u / 2) * _INV_SQRT_2PI for u in us), 0.0]
    dens_u = [0.0, *(f * u for f, u in zip(dens[1:-1], us, strict=True)), 0.0]
    d_mu = [(a - b) / sigma for a, b in itertools.pairwise(dens)]
    d_log_sigma = [a - b for a, b in itertools.pairwise(dens_u)]
    got_mean = math.fsum(p * x for p, x in zip(probs, levels, strict=True))
    centred = [(x - got_mean) ** 2 for x in levels]
    got_sd = math.sqrt(max(0.0, math.fsum(p * c for p, c in zip(probs, centred, strict=True))))

    def slopes(dp: list[float]) -> tuple[float, float]:
        """Derivatives of the mean and the sd, over s, from the probabilities' derivatives."""
        d_mean = math.fsum(d * x for d, x in zip(dp, levels, strict=True))
        # d var = sum dp (x - mean)^2, since sum dp = 0 and sum dp x = d mean
        d_var = math.fsum(d * c for d, c in zip(dp, centred, strict=True))
        return d_mean / sd, d_var / (2 * got_sd * sd) if got_sd else 0.0

    (m_mu, s_mu), (m_ls, s_ls) = slopes(d_mu), slopes(d_log_sigma)
    # rows: the residual's two parts; columns: mu and ln sigma
    return ((got_mean - mean) / sd, (got_sd - sd) / sd), ((m_mu, m_ls), (s_mu, s_ls))
