r"""Win ratio, win odds and net benefit of a hierarchical composite, and Yu & Ganju's formula.

The rows come from :mod:`simtrial.kernels.wins` (columns of :data:`WINS`): the numbers
assessed, the proportions :math:`p_w, p_l` of the :math:`m_t m_c` treatment-control pairs the
treatment patient wins and loses, their U-statistic variances and covariance. Each test is a
z test, :math:`z` positive when treatment wins more pairs than it loses.

Variances (Hoeffding decomposition of the two-sample U statistics, DeLong et al. 1988; the
win-loss form of Bebu & Lachin 2016 and Dong et al. 2016/2018): with :math:`w_i` the share of
control patients treatment patient i beats, :math:`v_k` the share of treatment patients that
beat control patient k (and likewise for losses),

.. math::

   \widehat{\mathrm{var}}(p_w) = \frac{\sum_i (w_i - p_w)^2}{m_t (m_t - 1)}
   + \frac{\sum_k (v_k - p_w)^2}{m_c (m_c - 1)},

and the covariance with the cross products. By the delta method:

- win ratio :math:`WR = p_w / p_l`: :math:`\mathrm{var}(\log WR) = \mathrm{var}(p_w)/p_w^2 +
  \mathrm{var}(p_l)/p_l^2 - 2\,\mathrm{cov}/(p_w p_l)`;
- net benefit :math:`NB = p_w - p_l` (Buyse 2010; the statistic of Finkelstein & Schoenfeld
  1999 over all pairs): :math:`\mathrm{var}(p_w) + \mathrm{var}(p_l) - 2\,\mathrm{cov}`;
- win odds :math:`WO = (p_w + p_t/2) / (p_l + p_t/2) = (1 + NB)/(1 - NB)` (Dong et al. 2020):
  :math:`\mathrm{var}(\log WO) = 4\,\mathrm{var}(NB) / (1 - NB^2)^2`.

Small samples: under H0 at 65:35 with many ties (tests/test_wins.py) the log win ratio and
log win odds tests keep alpha = 0.05 at n = 60 (0.045) and n = 400 (0.050); the net benefit's
z test on its own scale is liberal at n = 60 (0.060) and close at n = 400 (0.052): prefer
the win odds (the same comparison on the log scale) for small trials.

A replicate where the estimate or its variance is undefined (no win or no loss for the win
ratio, an arm with fewer than two patients) gets p = 1.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from simtrial.stattests._base import Statistic, Test, pvalue_of

__all__ = ["NETBENEFIT", "WINODDS", "WINRATIO", "WINS", "net_benefit", "win_odds",
           "win_ratio", "yu_ganju_power", "yu_ganju_sample_size", "yu_ganju_sigma2"]

WINS = Statistic("wins", 7, np.float64, "assessed in treatment and in control, the "
                 "proportions of pairs treatment wins and loses, their variances and "
                 "covariance (simtrial.kernels.wins)", (0, 1))


def _z(estimate: np.ndarray, variance: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(variance > 0, estimate / np.sqrt(variance), np.nan)


def win_ratio(rows: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    r"""p-values of the z test of :math:`\log WR` (module docstring), one per row.

    Examples
    --------
    >>> row = np.array([[50, 50, 0.45, 0.30, 0.0030, 0.0025, -0.0015]])
    >>> z = np.log(0.45 / 0.30) / np.sqrt(0.003 / 0.45**2 + 0.0025 / 0.3**2
    ...                                   + 2 * 0.0015 / (0.45 * 0.3))
    >>> bool(np.isclose(win_ratio(row, "two-sided", 1)[0], 2 * special.ndtr(-z), rtol=1e-14))
    True
    """
    _, _, p_w, p_l, v_w, v_l, cov = rows.T
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.log(p_w) - np.log(p_l)
        variance = v_w / p_w**2 + v_l / p_l**2 - 2 * cov / (p_w * p_l)
    estimate = np.where((p_w > 0) & (p_l > 0), estimate, np.nan)
    return pvalue_of(_z(estimate, variance), special.ndtr, alternative, sign)


def net_benefit(rows: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    r"""p-values of the z test of the net benefit :math:`p_w - p_l`, one per row.

    Examples
    --------
    >>> row = np.array([[50, 50, 0.45, 0.30, 0.0030, 0.0025, -0.0015]])
    >>> round(float(net_benefit(row, "one-sided", 1)[0]), 6)  # R: pnorm(-0.15 / sqrt(0.0085))
    0.051871
    """
    _, _, p_w, p_l, v_w, v_l, cov = rows.T
    return pvalue_of(_z(p_w - p_l, v_w + v_l - 2 * cov), special.ndtr, alternative, sign)


def win_odds(rows: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    r"""p-values of the z test of :math:`\log WO`, ties counted half, one per row.

    Examples
    --------
    >>> row = np.array([[50, 50, 0.45, 0.30, 0.0030, 0.0025, -0.0015]])
    >>> nb, v = 0.15, 0.0085
    >>> z = np.log((1 + nb) / (1 - nb)) / (2 * np.sqrt(v) / (1 - nb**2))
    >>> bool(np.isclose(win_odds(row, "two-sided", 1)[0], 2 * special.ndtr(-z)))
    True
    """
    _, _, p_w, p_l, v_w, v_l, cov = rows.T
    nb = p_w - p_l
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.log1p(nb) - np.log1p(-nb)
        variance = 4 * (v_w + v_l - 2 * cov) / (1 - nb**2) ** 2
    return pvalue_of(_z(estimate, variance), special.ndtr, alternative, sign)


def yu_ganju_sigma2(k: float, p_tie: float) -> float:
    r""":math:`\sigma^2 = 4 (1 + p_{tie}) / (3 k (1 - k) (1 - p_{tie}))`: N times var(log WR).

    Yu & Ganju (2022), Stat Med 41:950-963, doi:10.1002/sim.9297; ``k`` is the treatment
    arm's share of the patients, ``p_tie`` the probability that a pair ties.

    Examples
    --------
    >>> round(yu_ganju_sigma2(0.5, 0.1), 6)  # WRestimates::wr.sigma.sqr(0.5, 0.1): 6.518519
    6.518519
    """
    return 4 * (1 + p_tie) / (3 * k * (1 - k) * (1 - p_tie))


def yu_ganju_power(n: float, win_ratio: float, p_tie: float, k: float, alpha: float,
                   alternative: str = "two-sided", sign: int = 1) -> float:
    r"""Yu & Ganju's power of the win ratio test at ``n`` patients (assessed).

    :math:`\Phi(s \log WR \sqrt{N / \sigma^2} - z_{1-a})` with :math:`a = \alpha/2` two-sided
    (the other tail neglected, as WRestimates' ``wr.power`` with ``alpha = 0.025``), else
    :math:`a = \alpha`; :math:`s` is the direction of benefit one-sided and the sign of
    :math:`\log WR` two-sided.

    Examples
    --------
    >>> round(yu_ganju_power(1000, 1.25, 0.1, 0.5, 0.05), 7)  # wr.power(...): 0.7892602
    0.7892602
    """
    one_sided = alpha / 2 if alternative == "two-sided" else alpha
    s = math.copysign(1, math.log(win_ratio)) if alternative == "two-sided" else sign
    drift = s * math.log(win_ratio) * math.sqrt(n / yu_ganju_sigma2(k, p_tie))
    return float(special.ndtr(drift - special.ndtri(1 - one_sided)))


def yu_ganju_sample_size(win_ratio: float, p_tie: float, k: float, alpha: float,
                         power: float, alternative: str = "two-sided") -> int:
    r"""Yu & Ganju's total N for the win ratio test (WRestimates ``wr.ss``).

    :math:`N = \sigma^2 (z_{1-a} + z_{power})^2 / \log^2 WR`, rounded up, with :math:`a` as in
    :func:`yu_ganju_power`.

    Examples
    --------
    >>> yu_ganju_sample_size(1.25, 0.1, 0.5, 0.05, 0.9)  # wr.ss(WR.true = 1.25, ...): 1376
    1376
    >>> yu_ganju_sample_size(1.5, 0.1, 0.5, 0.05, 0.9)  # wr.ss(WR.true = 1.5, ...): 417
    417
    """
    one_sided = alpha / 2 if alternative == "two-sided" else alpha
    z = special.ndtri(1 - one_sided) + special.ndtri(power)
    return math.ceil(yu_ganju_sigma2(k, p_tie) * z**2 / math.log(win_ratio) ** 2)


def _closed_form(ep, m_t: float, m_c: float, alpha: float, alternative: str
                 ) -> tuple[float | None, str | None]:
    """Yu & Ganju's power at the expected numbers assessed and the endpoint's true WR."""
    p_w, p_l = ep.model.win_probabilities(ep)
    if p_w <= 0 or p_l <= 0 or p_w == p_l:
        return None, "no Yu & Ganju power: the true win ratio is 1, 0 or infinite"
    return yu_ganju_power(m_t + m_c, p_w / p_l, 1 - p_w - p_l, m_t / (m_t + m_c), alpha,
                          alternative, ep.benefit_sign), None


WINRATIO = Test("winratio", "the win ratio test", WINS, win_ratio, closed_form=_closed_form)
WINODDS = Test("winodds", "the win odds test", WINS, win_odds, proxy="winratio")
NETBENEFIT = Test("netbenefit", "the net benefit test", WINS, net_benefit, proxy="winratio")
