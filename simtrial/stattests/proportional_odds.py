"""The proportional-odds (cumulative-logit) likelihood-ratio test, and Whitehead's formulas.

The model is ``logit P(Y <= j | x) = theta_j - beta x`` for an outcome on ordered levels and
x = 1 in the treatment arm (R ``MASS::polr``'s parameterisation). Hmisc's convention for the
odds ratio follows: ``OR = exp(beta)`` multiplies the odds of being in level j *or above*, so
OR > 1 moves the treatment arm to higher levels (``Hmisc::pomodm``).

Why the likelihood-ratio test and not the efficient score test: the score test of beta in
this model with two groups is the Wilcoxon-Mann-Whitney test with ties (McCullagh 1980), up
to its variance estimate and continuity correction, which simtrial already has
(``mannwhitney``). The likelihood-ratio test is the one ``polr`` and ``rms::lrm`` print, its
power under alternatives far from H0 and under non-proportional odds differs from the rank
test's, and fitting it is cheap: the counts per level and arm are sufficient, so a Newton-type
fit costs O(levels) per iteration (:mod:`simtrial.kernels.ordinal`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from simtrial.stattests._base import Statistic, Test, pvalue_of

if TYPE_CHECKING:
    from simtrial.scenario import Endpoint

__all__ = ["PO", "PROPORTIONAL_ODDS", "cumulative_odds_shift", "odds_ratio_margin",
           "proportional_odds", "whitehead_odds_ratio", "whitehead_power", "whitehead_sample_size"]

PO = Statistic("po", 5, np.float64, "assessed in treatment and in control, the signed root "
               "of the proportional-odds likelihood-ratio statistic sign(beta) sqrt(LR), "
               "the estimated log odds ratio beta and its variance (simtrial.kernels.ordinal; "
               "beta > 0: the treatment arm in higher levels)", (0, 1))


def proportional_odds(po: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """p-values of the proportional-odds likelihood-ratio test.

    Parameters
    ----------
    po : ndarray of shape (reps, 5)
        Columns of :data:`PO`: assessed per arm, ``z = sign(beta) sqrt(LR)``, beta, its
        variance.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit (+1: higher levels are better).

    Returns
    -------
    ndarray of p-values: ``P(chi2_1 >= LR) = 2 Phi(-|z|)`` two-sided, ``Phi(-sign z)``
    one-sided (the signed root of the LR statistic is asymptotically standard normal); 1
    where the model could not be fitted.

    Examples
    --------
    R: ``pchisq(2.094428856121, 1, lower.tail = FALSE)`` is 0.1478369 (polr's LR statistic
    of a data set in tests/reference/po_reference.json):

    >>> row = np.array([[25, 25, math.sqrt(2.094428856121), 0.546, 0.144]])
    >>> round(float(proportional_odds(row, "two-sided", 1)[0]), 6)
    0.147837
    """
    return pvalue_of(po[:, 2], special.ndtr, alternative, sign)


def odds_ratio_margin(po: np.ndarray, sign: int, shift: float) -> np.ndarray:
    r"""One-sided p-values of H0: the odds ratio is at the margin or beyond it, against benefit.

    The Wald test of the proportional-odds log odds ratio against the log of the margin M,
    :math:`z = (\hat\beta - \log M) / \mathrm{se}`, whose rejection at one-sided alpha is the
    lower (``sign = +1``: higher levels are better) or upper (``sign = -1``) bound of the
    two-sided 1 - 2 alpha Wald interval of the odds ratio beyond M.

    Parameters
    ----------
    po : ndarray of shape (reps, 5)
        Columns of :data:`PO`: column 3 the estimate :math:`\hat\beta`, column 4 its
        variance, the inverse of beta's observed information with the cut points profiled out
        (R ``vcov(polr(...))``).
    sign : {1, -1}
        Direction of benefit (+1: an odds ratio above the margin is the benefit).
    shift : float
        :math:`\log M` (:meth:`~simtrial.endpoints.EndpointModel.test_margin`).

    Returns
    -------
    ndarray of p-values :math:`\Phi(-\mathrm{sign}\,(\hat\beta - \log M) / \mathrm{se})`,
    1 where the model could not be fitted.

    Examples
    --------
    >>> row = np.array([[65, 35, 1.2, 0.2, 0.04]])  # OR exp(0.2), se 0.2; margin 0.8
    >>> p = odds_ratio_margin(row, 1, math.log(0.8))
    >>> round(float(p[0]), 8)  # R: pnorm(-(0.2 - log(0.8)) / 0.2): 0.01718441
    0.01718441
    """
    with np.errstate(invalid="ignore"):
        z = (po[:, 3] - shift) / np.sqrt(po[:, 4])
    return pvalue_of(z, special.ndtr, "one-sided", sign)


def cumulative_odds_shift(probs: np.ndarray, odds_ratio: float) -> np.ndarray:
    """Probabilities of the levels when the odds of each level or above are times ``odds_ratio``.

    What ``Hmisc::pomodm(p = probs, odds.ratio = odds_ratio)`` computes: with
    ``S_j = P(Y >= j)``, the shifted ``S'_j = expit(logit(S_j) + log(odds_ratio))``.

    Examples
    --------
    >>> cumulative_odds_shift(np.array([0.45, 0.28, 0.15, 0.12]), 1.5).round(6).tolist()
    [0.352941, 0.290231, 0.187017, 0.169811]
    """
    probs = np.asarray(probs, dtype=np.float64)
    probs = probs / probs.sum()
    above = np.clip(1.0 - np.cumsum(probs)[:-1], 0.0, 1.0)  # P(Y >= j + 1), j = 1..K-1
    shifted = special.expit(special.logit(above) + math.log(odds_ratio))
    exceed = np.concatenate(([1.0], shifted, [0.0]))
    return np.clip(-np.diff(exceed), 0.0, 1.0)


def whitehead_power(probs: np.ndarray, odds_ratio: float, n_t: float, n_c: float,
                    alpha: float, alternative: str = "two-sided", sign: int = 1) -> float:
    r"""Whitehead's (1993) power of the proportional-odds test, as ``Hmisc::popower``.

    Parameters
    ----------
    probs : array
        Marginal probabilities of the levels over both arms (Hmisc's ``p``).
    odds_ratio : float
        Common odds ratio of a higher level, treatment vs control.
    n_t, n_c : float
        Patients per arm (Hmisc's ``n1``, ``n2``).
    alpha : float
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit (one-sided: power in that direction only).

    Notes
    -----
    With :math:`V = \frac{n_t n_c n}{3 (n + 1)^2}\left(1 - \sum_j \bar p_j^3\right)`,
    two-sided power is :math:`\Phi(|\log OR| \sqrt V - z_{1-\alpha/2})` (Hmisc ignores the
    opposite tail, which is below :math:`\alpha / 2`); one-sided,
    :math:`\Phi(\mathrm{sign} \log OR \sqrt V - z_{1-\alpha})`.

    Examples
    --------
    >>> p = [0.401470588235294, 0.285115314848406, 0.168508436538941, 0.144905660377358]
    >>> round(whitehead_power(np.array(p), 1.5, 100, 100, 0.05), 8)  # popower: 0.34690118
    0.34690118
    """
    v = _information(probs, n_t, n_c)
    log_or = math.log(odds_ratio)
    if alternative == "two-sided":
        return float(special.ndtr(abs(log_or) * math.sqrt(v) - special.ndtri(1 - alpha / 2)))
    return float(special.ndtr(sign * log_or * math.sqrt(v) - special.ndtri(1 - alpha)))


def whitehead_sample_size(probs: np.ndarray, odds_ratio: float, fraction: float = 0.5,
                          alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Whitehead's (1993) total sample size, unrounded, as ``Hmisc::posamsize``.

    ``fraction`` is the treatment arm's share of patients; ``alpha`` two-sided.

    Notes
    -----
    :math:`n = \frac{3 (A + 1)^2 (z_{1-\alpha/2} + z_{1-\beta})^2}{A \log^2 OR
    (1 - \sum_j \bar p_j^3)}` with :math:`A = (1 - f) / f`.

    Examples
    --------
    >>> p = [0.401470588235294, 0.285115314848406, 0.168508436538941, 0.144905660377358]
    >>> round(whitehead_sample_size(np.array(p), 1.5), 6)  # posamsize: 633.542506
    633.542506
    """
    ratio = (1 - fraction) / fraction
    z = special.ndtri(1 - alpha / 2) + special.ndtri(power)
    return float(3 * (ratio + 1) ** 2 * z**2 / ratio / math.log(odds_ratio) ** 2
                 / _spread(probs))


def whitehead_odds_ratio(probs: np.ndarray, n_t: float, n_c: float, alpha: float = 0.05,
                         power: float = 0.8) -> float:
    """The odds ratio > 1 at which :func:`whitehead_power` (two-sided) equals ``power``.

    The marginal ``probs`` are held fixed (the inverse of ``popower`` in its odds ratio).

    Examples
    --------
    >>> p = np.array([0.4, 0.3, 0.2, 0.1])
    >>> orr = whitehead_odds_ratio(p, 130, 70)
    >>> round(whitehead_power(p, orr, 130, 70, 0.05), 10)
    0.8
    """
    z = special.ndtri(1 - alpha / 2) + special.ndtri(power)
    return math.exp(z / math.sqrt(_information(probs, n_t, n_c)))


def _spread(probs) -> float:
    p = np.asarray(probs, dtype=np.float64)
    return float(1.0 - np.sum((p / p.sum()) ** 3))


def _information(probs, n_t: float, n_c: float) -> float:
    n = n_t + n_c
    return n_t * n_c * n / 3 / (n + 1) ** 2 * _spread(probs)


def _closed_form(ep: Endpoint, m_t: float, m_c: float, alpha: float, alternative: str
                 ) -> tuple[float | None, str | None]:
    """Whitehead's power at the expected numbers assessed, for a proportional-odds effect.

    The marginal probabilities are the mixture of the arms weighted by the numbers assessed.
    With a margin M, one-sided Whitehead power at ``log(OR) - log(M)`` (the information
    taken at the marginal probabilities, as for the test of OR = 1).
    """
    odds_ratio = ep.model.odds_ratio(ep)
    if odds_ratio is None:
        return None, ("no closed form: the arms' probabilities are not in proportional odds "
                      "(give the treatment arm as { odds_ratio = ... } for Whitehead's power)")
    probs_t, probs_c = (ep.model.level_probabilities(ep, arm) for arm in ("treatment", "control"))
    pooled = (m_t * probs_t + m_c * probs_c) / (m_t + m_c)
    if ep.margin is not None:
        return whitehead_power(pooled, odds_ratio / ep.margin, m_t, m_c, alpha, "one-sided",
                               ep.benefit_sign), None
    return whitehead_power(pooled, odds_ratio, m_t, m_c, alpha, alternative,
                           ep.benefit_sign), None


#: With a margin, the odds ratio is tested against it by the Wald test
#: (:func:`odds_ratio_margin`).
PROPORTIONAL_ODDS = Test("po", "the proportional-odds likelihood-ratio test", PO,
                         proportional_odds, closed_form=_closed_form,
                         margin_pvalues=odds_ratio_margin)
