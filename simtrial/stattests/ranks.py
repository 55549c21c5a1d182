"""The Wilcoxon-Mann-Whitney rank-sum test, with ties."""

from __future__ import annotations

import numpy as np
from scipy import special

from simtrial.stattests._base import RANKS, Test

__all__ = ["MANNWHITNEY", "mannwhitney"]


def mannwhitney(ranks: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    r"""Wilcoxon-Mann-Whitney rank-sum test: normal approximation, tie and continuity corrected.

    Parameters
    ----------
    ranks : ndarray of shape (reps, 4)
        Columns: assessed in treatment and in control, the treatment arm's U statistic and the
        tie term :math:`\sum (t^3 - t)` over groups of tied values (:mod:`simtrial.kernels.ranks`).
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit.

    Returns
    -------
    ndarray of p-values.

    Notes
    -----
    With :math:`\mu = m_t m_c / 2` and
    :math:`\sigma^2 = \frac{m_t m_c}{12}\left(m + 1 - \frac{\sum (t^3 - t)}{m (m - 1)}\right)`,
    the p-value is :math:`P(Z \ge (U - \mu - 1/2) / \sigma)`, doubled and capped at 1 for a
    two-sided test, where :math:`U = \max(U_t, U_c)` two-sided, :math:`U_t` when higher is
    better and :math:`U_c = m_t m_c - U_t` when lower is better. The formula and the order of
    operations are those of ``scipy.stats.mannwhitneyu(method="asymptotic")``, which it matches
    bit for bit; R ``wilcox.test(exact = FALSE, correct = TRUE)`` gives the same p-values.

    Examples
    --------
    >>> x = [50, 55, 60, 60, 65, 70, 70, 70, 85, 100]
    >>> y = [40, 45, 50, 50, 50, 55, 60, 65, 65, 90]
    >>> from scipy.stats import rankdata
    >>> r = rankdata(x + y)
    >>> t = np.unique(x + y, return_counts=True)[1]
    >>> row = [[10, 10, r[:10].sum() - 55, (t**3 - t).sum()]]
    >>> p = mannwhitney(np.array(row, float), "two-sided", 1)
    >>> round(float(p[0]), 6)  # R wilcox.test(x, y, correct = TRUE, exact = FALSE): 0.0518345
    0.051835
    """
    m_t, m_c, u_t, tie_term = ranks.T
    u_c = m_t * m_c - u_t
    if alternative == "two-sided":
        u, factor = np.maximum(u_t, u_c), 2
    else:
        u, factor = (u_t if sign > 0 else u_c), 1
    mu = m_t * m_c / 2
    n = m_t + m_c
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(m_t * m_c / 12 * ((n + 1) - tie_term / (n * (n - 1))))
        z = (u - mu - 0.5) / s
    p = np.clip(special.ndtr(-z) * factor, 0.0, 1.0)
    return np.where((m_t >= 1) & (m_c >= 1) & ~np.isnan(p), p, 1.0)


MANNWHITNEY = Test("mannwhitney", "the Wilcoxon-Mann-Whitney test", RANKS, mannwhitney,
                   proxy="ttest")
