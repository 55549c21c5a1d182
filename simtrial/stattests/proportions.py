"""Tests of two proportions: Pearson's chi-square and Fisher's exact test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from simtrial.stattests._base import COUNTS, Test, pvalue_of

if TYPE_CHECKING:
    from simtrial.scenario import Endpoint

__all__ = ["CHISQ", "FISHER", "chisq", "farrington_manning", "fisher",
           "power_farrington_manning"]


def chisq(counts: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    r"""Pearson's chi-square test of two proportions, no continuity correction.

    Parameters
    ----------
    counts : ndarray of shape (reps, 4)
        Columns: assessed and events in treatment, assessed and events in control.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit.

    Returns
    -------
    ndarray of p-values.

    Notes
    -----
    With pooled proportion :math:`\bar p`, the statistic
    :math:`z = (\hat p_t - \hat p_c) / \sqrt{\bar p (1 - \bar p)(1/m_t + 1/m_c)}`
    satisfies :math:`z^2 = X^2`, Pearson's statistic of the 2x2 table, so the two-sided
    p-value equals R's ``prop.test(correct = FALSE)`` and
    ``scipy.stats.chi2_contingency(correction=False)``; the one-sided p-value is the
    normal tail of :math:`z` in the direction of benefit.

    Examples
    --------
    >>> p = chisq(np.array([[49, 23, 29, 10]]), "two-sided", 1)
    >>> round(float(p[0]), 5)  # R prop.test(c(23, 10), c(49, 29), correct = FALSE): 0.281874
    0.28187
    """
    m_t, x_t, m_c, x_c = (counts[:, j].astype(np.float64) for j in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x_t + x_c) / (m_t + m_c)
        z = (x_t / m_t - x_c / m_c) / np.sqrt(pooled * (1 - pooled) * (1 / m_t + 1 / m_c))
    return pvalue_of(z, special.ndtr, alternative, sign)


def fisher(counts: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """Fisher's exact test of two proportions, conditional on the total number of events.

    Parameters
    ----------
    counts : ndarray of shape (reps, 4)
        As for :func:`chisq`.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit.

    Returns
    -------
    ndarray of p-values.

    Notes
    -----
    Given the numbers assessed and the total events ``s``, the treatment events are
    hypergeometric. The two-sided p-value sums the probabilities of the tables no more likely
    than the observed one, with R ``fisher.test``'s relative tolerance 1e-7; the one-sided
    p-value is the hypergeometric tail in the direction of benefit (R ``alternative =
    "greater"`` when higher is better). Each table's p-value sums the pmf only where it is not
    negligible; without dropout, replicates with the same total events may share one table of
    p-values (:mod:`simtrial.kernels.fisher`).

    Examples
    --------
    >>> p = fisher(np.array([[15, 3, 15, 10], [65, 0, 35, 4]]), "two-sided", 1)
    >>> [round(float(v), 6) for v in p]  # R fisher.test: 0.0253277, 0.0133530
    [0.025328, 0.013353]
    """
    from simtrial.kernels.fisher import fisher_pvalues

    counts = np.ascontiguousarray(counts, dtype=np.int64)
    tail = 0 if alternative == "two-sided" else sign
    out = np.empty(len(counts))
    fisher_pvalues(counts, tail, out)
    return out


def farrington_manning(counts: np.ndarray, sign: int, margin: float) -> np.ndarray:
    r"""One-sided Farrington-Manning score test of H0: ``sign (p_t - p_c - margin) <= 0``.

    The chi-square test's statistic with the variance at the maximum-likelihood estimates
    restricted to the margin (:mod:`simtrial.kernels.margin`, which states the formula); the
    p-value is the normal tail in the direction of benefit. It is the ``chisq`` test of an
    endpoint with a ``margin``.

    Parameters
    ----------
    counts : ndarray of shape (reps, 4)
        As for :func:`chisq`.
    sign : {1, -1}
        Direction of benefit.
    margin : float
        The risk difference treatment minus control under H0.

    Examples
    --------
    >>> counts = np.array([[100, 20, 100, 25]])
    >>> # restricted MLE 0.286126, 0.186126 (direct maximisation), z = -2.514919
    >>> round(float(farrington_manning(counts, -1, 0.10)[0]), 6)
    0.005953
    >>> bool(abs(farrington_manning(counts, -1, 0.0) - chisq(counts, "one-sided", -1))[0] < 1e-14)
    True
    """
    from simtrial.kernels.margin import fm_pvalues

    out = np.empty(len(counts))
    fm_pvalues(np.ascontiguousarray(counts, dtype=np.int64), margin, sign, out)
    return out


def _chisq_closed_form(ep: Endpoint, m_t: float, m_c: float, alpha: float,
                       alternative: str) -> tuple[float | None, str | None]:
    """The normal approximation with pooled H0 and unpooled H1 variance (rpact, PASS).

    With a margin, the Farrington-Manning approximation: the H0 variance at the restricted
    estimates for the true proportions (:func:`power_farrington_manning`).
    """
    from simtrial.analytic import power_two_proportions

    model = ep.model
    p_t, p_c = model.proportion(ep, "treatment"), model.proportion(ep, "control")
    if p_t is None or p_c is None:
        return None, f"no closed form for the chisq test of a {ep.distribution} endpoint"
    if ep.margin is not None:
        return power_farrington_manning(p_t, p_c, m_t, m_c, alpha, ep.benefit_sign,
                                        model.test_margin(ep)), None
    return power_two_proportions(p_t, p_c, m_t, m_c, alpha, alternative, ep.benefit_sign), None


def power_farrington_manning(p_t: float, p_c: float, m_t: float, m_c: float, alpha: float,
                             sign: int, margin: float) -> float:
    r"""Approximate power of the one-sided Farrington-Manning test at ``margin``.

    :math:`\Phi((	ext{sign}(p_t - p_c - \delta) - z_{1-lpha} s_0) / s_1)`, with
    :math:`s_0` the standard error at the restricted estimates of the true proportions and
    :math:`s_1` the unrestricted one (Farrington and Manning 1990, eq. 6).

    Examples
    --------
    >>> round(power_farrington_manning(0.2, 0.2, 200, 200, 0.025, -1, 0.1), 4)
    0.6995
    """
    from simtrial.kernels.margin import fm_restricted

    r_t, r_c = fm_restricted(m_t, p_t, m_c, p_c, margin)
    s0 = (r_t * (1 - r_t) / m_t + r_c * (1 - r_c) / m_c) ** 0.5
    s1 = (p_t * (1 - p_t) / m_t + p_c * (1 - p_c) / m_c) ** 0.5
    if s1 == 0:
        return 0.0
    return float(special.ndtr((sign * (p_t - p_c - margin) - special.ndtri(1 - alpha) * s0)
                              / s1))


def _proportions_drift(ep: Endpoint, m_t: float, m_c: float, alpha: float) -> float:
    """Rpact's ``getPowerRates`` drift: d / s1 + z_alpha (1 - s0 / s1).

    With d the difference in the direction of benefit, s0 its standard error under H0 (the
    pooled proportion) and s1 under H1 (unpooled), at ``m_t, m_c`` assessed. With one look
    this gives :func:`simtrial.analytic.power_two_proportions` exactly; rpact applies the same
    drift to every look.

    Examples
    --------
    >>> from scipy import special
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19").with_values({"endpoints.walk_lln.treatment.p": 0.18})
    >>> drift = _proportions_drift(sc.endpoint("walk_lln"), 260, 140, 0.025)
    >>> round(float(special.ndtr(drift - special.ndtri(0.975))), 5)  # rpact 0.77673
    0.77673
    """
    from scipy import special

    model = ep.model
    p_t, p_c = model.proportion(ep, "treatment"), model.proportion(ep, "control")
    if p_t is None or p_c is None:
        raise TypeError(f"a {ep.distribution} endpoint has no proportions")
    d = ep.benefit_sign * (p_t - p_c)
    pooled = (m_t * p_t + m_c * p_c) / (m_t + m_c)
    s0 = (pooled * (1 - pooled) * (1 / m_t + 1 / m_c)) ** 0.5
    s1 = (p_t * (1 - p_t) / m_t + p_c * (1 - p_c) / m_c) ** 0.5
    return float(d / s1 + special.ndtri(1 - alpha) * (1 - s0 / s1))


CHISQ = Test("chisq", "Pearson's chi-squared test", COUNTS, chisq, _chisq_closed_form,
             drift=_proportions_drift, margin_pvalues=farrington_manning)
FISHER = Test("fisher", "Fisher's exact test", COUNTS, fisher, drift=_proportions_drift,
              proxy="chisq")
