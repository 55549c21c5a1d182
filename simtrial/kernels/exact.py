"""Exact rejection probability of a binary test, by enumerating 2x2 tables."""

import math

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.fisher import hypergeom_pvalues
from simtrial.kernels.margin import fm_z

__all__ = ["CHISQ", "FARRINGTON_MANNING", "FISHER", "binary_rejection_probability"]

#: Test codes of :func:`binary_rejection_probability`.
CHISQ, FISHER, FARRINGTON_MANNING = 0, 1, 2


@kernel
def binary_rejection_probability(assessed_t, weight_t, events_t, assessed_c, weight_c,
                                 events_c, test, tail, alpha, z_crit, cutoff, margin=0.0):
    """``sum w_t w_c sum P(x_t) P(x_c) [table rejects]`` over the given assessed counts.

    Parameters
    ----------
    assessed_t, assessed_c : int64 arrays
        Numbers assessed ``m`` to sum over, per arm.
    weight_t, weight_c : float64 arrays
        Their probabilities.
    events_t, events_c : float64 arrays of shape (len(assessed), max(assessed) + 1)
        Row i: binomial probabilities of 0..m_i events given ``m_i`` assessed, zero where left
        out of the sum.
    test : int
        :data:`CHISQ` (Pearson, no continuity correction, as :func:`simtrial.stattests.chisq`),
        :data:`FISHER` (as :func:`simtrial.stattests.fisher`) or :data:`FARRINGTON_MANNING`
        (one-sided, against ``margin``, as :func:`simtrial.stattests.farrington_manning`;
        every table is evaluated).
    tail : int
        0: two-sided; +1 or -1: one-sided in that direction of benefit.
    alpha : float
    z_crit : float
        The chi-square test rejects when its z statistic, in the tested direction(s), reaches
        ``z_crit`` (``ndtri(1 - alpha / 2)`` two-sided, ``ndtri(1 - alpha)`` one-sided): the same
        as p <= alpha except for z within rounding error of ``z_crit``.
    cutoff : float
        Pairs of assessed numbers with probability ``w_t w_c`` below this are skipped.
    margin : float
        The Farrington-Manning test's risk difference under H0.
    """
    size = events_t.shape[1] + 1
    pvalues = np.empty(size)
    work = np.empty(size)
    cdf_c = np.empty(events_c.shape[1] + 1)
    order = np.empty(size, np.int64)
    total = 0.0
    for i in range(assessed_t.shape[0]):
        m_t = assessed_t[i]
        x_t_lo, x_t_hi = _support(events_t[i], m_t)
        for j in range(assessed_c.shape[0]):
            m_c = assessed_c[j]
            if m_t == 0 or m_c == 0 or weight_t[i] * weight_c[j] < cutoff:
                continue  # an empty arm cannot reject
            x_c_lo, x_c_hi = _support(events_c[j], m_c)
            inner = 0.0
            if test == FARRINGTON_MANNING:
                for x_t in range(x_t_lo, x_t_hi + 1):
                    row = 0.0
                    for x_c in range(x_c_lo, x_c_hi + 1):
                        if tail * fm_z(m_t, x_t, m_c, x_c, margin) >= z_crit:
                            row += events_c[j, x_c]
                    inner += events_t[i, x_t] * row
            elif test == CHISQ:
                inner = _chisq_rejection_mass(m_t, events_t[i], x_t_lo, x_t_hi, m_c, events_c[j],
                                              x_c_lo, x_c_hi, tail, z_crit, cdf_c)
            else:
                for s in range(x_t_lo + x_c_lo, x_t_hi + x_c_hi + 1):
                    lo = hypergeom_pvalues(m_t, m_c, s, tail, pvalues, work, order)
                    for x_t in range(max(x_t_lo, s - x_c_hi), min(x_t_hi, s - x_c_lo) + 1):
                        if pvalues[x_t - lo] <= alpha:
                            inner += events_t[i, x_t] * events_c[j, s - x_t]
            total += weight_t[i] * weight_c[j] * inner
    return total


@kernel
def _chisq_rejection_mass(m_t, pmf_t, x_t_lo, x_t_hi, m_c, pmf_c, x_c_lo, x_c_hi, tail, z_crit,
                          cdf_c):
    """``sum P(x_t) P(x_c) [table rejects]`` over the supports, for one pair of numbers assessed.

    For fixed ``x_t`` the tables the chi-square test accepts have ``x_c`` in one interval when
    ``z_crit >= 0`` (alpha <= 1/2 one-sided): it accepts when ``f(x_c) < 0`` with
    ``f = d^2 - z^2 v`` two-sided (``d`` the difference of proportions, linear in ``x_c``, and
    ``v`` its pooled variance, concave in ``x_c``), so ``f`` is convex; one-sided,
    ``tail d - z sqrt(v)`` is convex; the undefined tables (``v = 0``, accepted) lie next to
    that interval. It holds the ``x_c`` nearest ``d = 0`` unless the support is cut short of
    it or ``z`` is 0. Its ends are found by bisection with :func:`_chisq_rejects` itself, and
    the rejected mass is read off the cumulative ``cdf_c`` (scratch of length ``x_c_hi + 2`` or
    more): O(log) a row of tables instead of O(``x_c`` range). A row whose centre rejects, and
    every row when ``z_crit < 0`` (the accepted set can then split in two), is summed table by
    table.
    """
    cdf_c[x_c_lo] = 0.0
    for x_c in range(x_c_lo, x_c_hi + 1):  # cdf_c[x + 1] = P(x_c <= x) within the support
        cdf_c[x_c + 1] = cdf_c[x_c] + pmf_c[x_c]
    total_c = cdf_c[x_c_hi + 1]
    mass = 0.0
    for x_t in range(x_t_lo, x_t_hi + 1):
        centre = min(max(round(x_t * m_c / m_t), x_c_lo), x_c_hi)
        if z_crit < 0.0 or _chisq_rejects(m_t, x_t, m_c, centre, tail, z_crit):
            rejected = 0.0
            for x_c in range(x_c_lo, x_c_hi + 1):
                rejected += pmf_c[x_c] * _chisq_rejects(m_t, x_t, m_c, x_c, tail, z_crit)
        else:
            lo, hi = x_c_lo, centre  # first accepted x_c in [lo, centre]
            while lo < hi:
                mid = (lo + hi) // 2
                if _chisq_rejects(m_t, x_t, m_c, mid, tail, z_crit):
                    lo = mid + 1
                else:
                    hi = mid
            first = lo
            lo, hi = centre, x_c_hi  # last accepted x_c in [centre, hi]
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if _chisq_rejects(m_t, x_t, m_c, mid, tail, z_crit):
                    hi = mid - 1
                else:
                    lo = mid
            rejected = (cdf_c[first] - cdf_c[x_c_lo]) + (total_c - cdf_c[lo + 1])
        mass += pmf_t[x_t] * rejected
    return mass


@kernel
def _support(pmf, m):
    """First and last event count with non-zero probability in ``pmf[:m + 1]``."""
    lo = 0
    while lo < m and pmf[lo] == 0.0:
        lo += 1
    hi = m
    while hi > lo and pmf[hi] == 0.0:
        hi -= 1
    return lo, hi


@kernel
def _chisq_rejects(m_t, x_t, m_c, x_c, tail, z_crit):
    """Whether :func:`simtrial.stattests.chisq` rejects one table (never when undefined)."""
    pooled = (x_t + x_c) / (m_t + m_c)
    variance = pooled * (1 - pooled) * (1 / m_t + 1 / m_c)
    if not variance > 0.0:
        return False
    difference = x_t / m_t - x_c / m_c
    if tail == 0:
        return difference * difference >= z_crit * z_crit * variance
    return tail * difference >= z_crit * math.sqrt(variance)
