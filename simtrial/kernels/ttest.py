"""p-values of Student's and Welch's t tests from the moments of each replicate, in one pass.

The statistic, its degrees of freedom and the p-value are computed row by row in compiled code,
with the same floating-point operations, in the same order, as the vectorised formulas of
:func:`simtrial.stattests.ttest` and :func:`simtrial.stattests.welch` document. A chunk of
replicates thus holds the GIL only to be called: the numpy version's ten or so array
operations on 1000 values cost about 28 us a chunk, mostly call overhead under the GIL, which
kept a second thread from speeding the t test up.
"""

import math

from simtrial.kernels._jit import kernel
from simtrial.kernels.tdist import t_cdf_value

__all__ = ["t_pvalue", "t_scale", "t_statistic", "t_test_pvalues"]


@kernel
def t_test_pvalues(moments, welch, two_sided, sign, out):
    """Fill ``out[r]`` with the p-value of replicate r's two-sample t test.

    Parameters
    ----------
    moments : float64 array of shape (reps, 6)
        Assessed, mean and sum of squared deviations in treatment, then in control.
    welch : bool
        Welch's test (unequal variances, Satterthwaite df) instead of the pooled-variance one.
    two_sided : bool
        Reject in either direction; otherwise only in the direction ``sign`` (1: treatment
        higher is better, -1: lower).
    sign : int
    out : float64 array of length reps

    Notes
    -----
    An undefined statistic (too few assessed, zero variance) gives p = 1, as in the module
    :mod:`simtrial.stattests`.
    """
    for r in range(moments.shape[0]):
        t, df = t_statistic(moments[r, 0], moments[r, 1], moments[r, 2], moments[r, 3],
                            moments[r, 4], moments[r, 5], welch)
        out[r] = t_pvalue(t, df, two_sided, sign)


@kernel(inline=True)
def t_statistic(m_t, mean_t, ss_t, m_c, mean_c, ss_c, welch):
    """``(t, df)`` of the pooled or Welch test from one replicate's moments (t nan if undefined)."""
    scale, df = t_scale(m_t, ss_t, m_c, ss_c, welch)
    return (mean_t - mean_c) / scale, df


@kernel(inline=True)
def t_scale(m_t, ss_t, m_c, ss_c, welch):
    """``(se, df)``: the t statistic's denominator (nan if undefined) and degrees of freedom.

    They do not depend on the means: ``t = (mean_t - mean_c) / se``.
    """
    if welch:
        v_t = ss_t / (m_t - 1) / m_t
        v_c = ss_c / (m_c - 1) / m_c
        df = (v_t + v_c) ** 2 / (v_t**2 / (m_t - 1) + v_c**2 / (m_c - 1))
        se = math.sqrt(v_t + v_c) if m_t >= 2 and m_c >= 2 else math.nan
        if not math.isfinite(df):
            df = 1.0
    else:
        df = m_t + m_c - 2
        se = math.sqrt((ss_t + ss_c) / df * (1 / m_t + 1 / m_c)) if df >= 1 else math.nan
        df = max(df, 1.0)
    return se, df


@kernel(inline=True)
def t_pvalue(t, df, two_sided, sign):
    """The p-value of ``t`` on ``df`` degrees of freedom; 1 when t is nan."""
    if two_sided:
        p = min(2 * t_cdf_value(-abs(t), df), 1.0)
    else:
        p = t_cdf_value(-sign * t, df)
    return 1.0 if math.isnan(p) else p
