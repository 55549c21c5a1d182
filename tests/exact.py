"""Independent reference computations of exact power, for the Monte Carlo tests.

Nothing here imports simtrial: these are the "obvious" re-implementations the simulated power
is checked against.
"""

import numpy as np
from scipy import stats

# Binomial mass below this is left out when averaging over the number assessed (dropout).
MASS_CUTOFF = 1e-12


def _assessed(n, dropout):
    """(counts, probabilities) of the number assessed out of n under per-patient dropout."""
    m = np.arange(n + 1)
    pmf = stats.binom.pmf(m, n, 1 - dropout)
    keep = pmf > MASS_CUTOFF
    return m[keep], pmf[keep]


def chisq_power_exact(n_t, n_c, p_t, p_c, alpha, drop_t=0.0, drop_c=0.0,
                      alternative="two-sided", sign=1):
    """Exact rejection probability of Pearson's chi-square test (no continuity correction).

    Enumerates every 2x2 table: P = sum over (m_t, m_c) assessed and (x_t, x_c) events of the
    binomial probabilities of the tables in the rejection region. The statistic is computed in
    the contingency-table form X^2 = N (ad - bc)^2 / (r1 r2 c1 c2) (not the z form simtrial
    uses); a table with an empty row or column cannot reject (R's prop.test gives NaN there).
    """
    total = 0.0
    for m_t, w_t in zip(*_assessed(n_t, drop_t), strict=True):
        for m_c, w_c in zip(*_assessed(n_c, drop_c), strict=True):
            x_t = np.arange(m_t + 1)[:, None]
            x_c = np.arange(m_c + 1)[None, :]
            a, b, c, d = x_t, m_t - x_t, x_c, m_c - x_c
            n = m_t + m_c
            denom = (a + b) * (c + d) * (a + c) * (b + d)
            with np.errstate(divide="ignore", invalid="ignore"):
                x2 = n * (a * d - b * c) ** 2 / denom
                if alternative == "two-sided":
                    p = stats.chi2.sf(x2, 1)
                else:
                    z = np.sign(x_t / max(m_t, 1) - x_c / max(m_c, 1)) * np.sqrt(x2)
                    p = stats.norm.sf(sign * z)
            reject = (denom > 0) & (p <= alpha)
            prob = stats.binom.pmf(x_t, m_t, p_t) * stats.binom.pmf(x_c, m_c, p_c)
            total += w_t * w_c * prob[reject].sum()
    return float(total)


def ttest_power_exact(n_t, n_c, delta, sd, alpha, drop_t=0.0, drop_c=0.0,
                      alternative="two-sided"):
    """Exact power of the pooled t test: noncentral t, averaged over the numbers assessed.

    ``delta`` is the true difference in the direction of benefit. Fewer than 3 assessed in
    total (no degrees of freedom) cannot reject.
    """
    total = 0.0
    m_c, w_c = _assessed(n_c, drop_c)
    for m_t, w_t in zip(*_assessed(n_t, drop_t), strict=True):
        ok = (m_t >= 1) & (m_c >= 1) & (m_t + m_c >= 3)
        mt, mc, w = m_t, m_c[ok], w_c[ok]
        df = mt + mc - 2
        ncp = delta / (sd * np.sqrt(1 / mt + 1 / mc))
        if alternative == "two-sided":
            crit = stats.t.ppf(1 - alpha / 2, df)
            power = stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp)
        else:
            power = stats.nct.sf(stats.t.ppf(1 - alpha, df), df, ncp)
        total += w_t * float((w * power).sum())
    return total


def welch_power_exact(n_t, n_c, delta, sd_t, sd_c, alpha, nodes=400):
    """Exact power of Welch's two-sided test by integrating over both sample variances.

    The mean difference D ~ N(delta, tau^2), tau^2 = sd_t^2/n_t + sd_c^2/n_c, is independent
    of the sample variances s_i^2 ~ sd_i^2 chi2(n_i - 1)/(n_i - 1). Given the variances the
    test rejects when |D| > c se, with se and the Satterthwaite df (hence c) fixed, so
    P(reject | s) = Phi((delta - c se)/tau) + Phi((-delta - c se)/tau); the outer expectation
    is a Gauss-Legendre product rule on the chi-square quantile scale.
    """
    u, w = np.polynomial.legendre.leggauss(nodes)
    u, w = (u + 1) / 2, w / 2
    k_t, k_c = n_t - 1, n_c - 1
    s2_t = sd_t**2 * stats.chi2.ppf(u, k_t)[:, None] / k_t
    s2_c = sd_c**2 * stats.chi2.ppf(u, k_c)[None, :] / k_c
    v_t, v_c = s2_t / n_t, s2_c / n_c
    se = np.sqrt(v_t + v_c)
    df = (v_t + v_c) ** 2 / (v_t**2 / k_t + v_c**2 / k_c)
    c = stats.t.ppf(1 - alpha / 2, df)
    tau = np.sqrt(sd_t**2 / n_t + sd_c**2 / n_c)
    cond = stats.norm.cdf((delta - c * se) / tau) + stats.norm.cdf((-delta - c * se) / tau)
    return float(w @ cond @ w)


def compositions(n, k):
    """Every vector of k non-negative counts summing to n."""
    if k == 1:
        yield (n,)
        return
    for first in range(n + 1):
        for rest in compositions(n - first, k - 1):
            yield (first, *rest)


def enumerated_rank_power(p_t, p_c, n_t, n_c, alternative="two-sided", alpha=0.05):
    """Exact rejection probability of the asymptotic rank test on an ordinal outcome: every
    pair of multinomial count vectors, its probability (scipy.stats.multinomial) and whether
    scipy.stats.mannwhitneyu on the expanded data rejects."""
    levels = np.arange(len(p_t))
    arms = [[(c, stats.multinomial.pmf(c, n, p)) for c in compositions(n, len(p))]
            for n, p in ((n_t, p_t), (n_c, p_c))]
    total = 0.0
    for c_t, w_t in arms[0]:
        x = np.repeat(levels, c_t)
        for c_c, w_c in arms[1]:
            y = np.repeat(levels, c_c)
            if len(set(x) | set(y)) == 1:
                continue  # no variation: p = 1
            p = stats.mannwhitneyu(x, y, method="asymptotic", alternative=alternative).pvalue
            total += w_t * w_c * (p <= alpha)
    return total
