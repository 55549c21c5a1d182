"""Two-sample tests, vectorised over replicates, from the kernels' sufficient statistics.

Each test takes the array a kernel filled (one row per replicate), the alternative and the
direction of benefit (+1: higher is better, -1: lower is better), and returns one p-value per
replicate. Statistics are oriented treatment minus control. A two-sided p-value counts both
directions; a one-sided p-value tests only the direction of benefit. A replicate in which the
statistic is undefined (an arm with nobody assessed, or no variation at all) gets p = 1: the
trial could not reject.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from simtrial.kernels.ttest import t_test_pvalues

__all__ = ["STATISTICS", "STATISTIC_COLUMNS", "TESTS", "chisq", "fisher", "mannwhitney", "ttest",
           "welch"]


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
    return _pvalue(z, special.ndtr, alternative, sign)


def ttest(moments: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """Student's two-sample t test with pooled variance.

    Parameters
    ----------
    moments : ndarray of shape (reps, 6)
        Columns: assessed, mean and sum of squared deviations in treatment, then in control.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit.

    Returns
    -------
    ndarray of p-values.

    Examples
    --------
    >>> x = np.array([50, 55, 60, 60, 65, 70, 70, 70, 85, 100.0])
    >>> y = np.array([40, 45, 50, 50, 50, 55, 60, 65, 65, 90.0])
    >>> row = [[10, x.mean(), ((x - x.mean())**2).sum(), 10, y.mean(), ((y - y.mean())**2).sum()]]
    >>> p = ttest(np.array(row), "two-sided", 1)
    >>> round(float(p[0]), 5)  # R t.test(x, y, var.equal = TRUE): 0.0921983
    0.0922
    """
    return _t_test(moments, False, alternative, sign)


def welch(moments: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """Welch's two-sample t test (unequal variances, Satterthwaite degrees of freedom).

    Parameters
    ----------
    moments : ndarray of shape (reps, 6)
        As for :func:`ttest`.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit.

    Returns
    -------
    ndarray of p-values.

    Examples
    --------
    >>> x = np.array([50, 55, 60, 60, 65, 70, 70, 70, 85, 100.0])
    >>> y = np.array([40, 45, 50, 50, 50, 55, 60, 65, 65, 90.0])
    >>> row = [[10, x.mean(), ((x - x.mean())**2).sum(), 10, y.mean(), ((y - y.mean())**2).sum()]]
    >>> p = welch(np.array(row), "two-sided", 1)
    >>> round(float(p[0]), 5)  # R t.test(x, y): 0.0922225
    0.09222
    """
    return _t_test(moments, True, alternative, sign)


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


def _t_test(moments: np.ndarray, welch: bool, alternative: str, sign: int) -> np.ndarray:
    """p-values of the pooled (``welch=False``) or Welch t test, row by row.

    With m, mean and ss the assessed, mean and sum of squared deviations per arm: the pooled
    test has t = (mean_t - mean_c) / sqrt((ss_t + ss_c) / df (1/m_t + 1/m_c)) on
    df = m_t + m_c - 2; Welch's has v = ss / (m - 1) / m per arm, t = (mean_t - mean_c) /
    sqrt(v_t + v_c) and df = (v_t + v_c)^2 / (v_t^2 / (m_t - 1) + v_c^2 / (m_c - 1)). The
    p-value is P(T <= -|t|) doubled (two-sided) or P(T <= -sign t), by
    :func:`simtrial.kernels.tdist.t_cdf_value` (within 1.4e-14 relative of mpmath for
    p >= 1e-50, tests/test_tdist.py, and three to four times faster than
    ``scipy.special.stdtr`` for df >= 30). Statistic and p-value are computed in one compiled
    pass (:func:`simtrial.kernels.ttest.t_test_pvalues`); an undefined statistic gives 1.
    """
    out = np.empty(len(moments))
    t_test_pvalues(np.ascontiguousarray(moments, dtype=np.float64), welch,
                   alternative == "two-sided", sign, out)
    return out


def _pvalue(statistic, lower_cdf, alternative: str, sign: int) -> np.ndarray:
    """p-values of a statistic that is symmetric about 0 under H0; undefined -> 1."""
    if alternative == "two-sided":
        p = np.minimum(2 * lower_cdf(-np.abs(statistic)), 1.0)
    else:
        p = lower_cdf(-sign * statistic)
    return np.where(np.isnan(p), 1.0, p)


#: Test name -> function(stats, alternative, sign) -> p-values.
TESTS = {"chisq": chisq, "fisher": fisher, "mannwhitney": mannwhitney, "ttest": ttest,
         "welch": welch}
#: Test name -> the sufficient statistics it needs: event counts, moments or rank statistics.
STATISTICS = {"chisq": "counts", "fisher": "counts", "mannwhitney": "ranks",
              "ttest": "moments", "welch": "moments"}
#: Statistics -> columns and type of the array a kernel fills per replicate.
STATISTIC_COLUMNS = {"counts": (4, np.int64), "moments": (6, np.float64),
                     "ranks": (4, np.float64)}
