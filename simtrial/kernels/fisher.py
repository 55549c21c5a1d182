"""Fisher's exact test of a 2x2 table: p-values of every table with given margins.

Conditional on the numbers assessed ``m_t``, ``m_c`` and the total events ``s``, the treatment
events follow a hypergeometric distribution on ``lo..hi`` with ``lo = max(0, s - m_c)`` and
``hi = min(s, m_t)``. :func:`hypergeom_pvalues` fills the p-value of every point of that support
at once, so replicates (and exact power) that share margins share one computation.

Two-sided p-values follow R's ``fisher.test``: the probability of the tables no more likely than
the observed one, ``sum(d[d <= d_obs * (1 + 1e-7)])``, the relative tolerance guarding against
rounding in the probabilities of tables that are equally likely in exact arithmetic.
"""

import numpy as np

from simtrial.kernels._jit import kernel

__all__ = ["RELATIVE_TOLERANCE", "fisher_pvalues", "hypergeom_pvalues"]

#: Relative tolerance of R's fisher.test (``relErr <- 1 + 10^(-7)``).
RELATIVE_TOLERANCE = 1e-7


@kernel
def hypergeom_pvalues(m_t, m_c, s, tail, pvalues, work, order):
    """Fill ``pvalues[k]`` with the p-value of ``x_t = lo + k`` events in treatment.

    Parameters
    ----------
    m_t, m_c, s : int
        Assessed per arm and total events.
    tail : int
        0: two-sided; 1: upper tail ``P(X >= x)``; -1: lower tail ``P(X <= x)``.
    pvalues, work : float64 arrays, order : int64 array
        Output and scratch space of length at least ``hi - lo + 1``.

    Returns
    -------
    lo : int
        The smallest possible ``x_t``.
    """
    lo = max(0, s - m_c)
    size = min(s, m_t) - lo + 1
    # Probabilities relative to the mode's, by the ratio of successive terms (no overflow).
    mode = min(max((s + 1) * (m_t + 1) // (m_t + m_c + 2), lo), lo + size - 1) - lo
    work[mode] = 1.0
    for k in range(mode + 1, size):
        x = float(lo + k - 1)
        work[k] = work[k - 1] * ((m_t - x) * (s - x)) / ((x + 1) * (m_c - s + x + 1))
    for k in range(mode - 1, -1, -1):
        x = float(lo + k)
        work[k] = work[k + 1] * ((x + 1) * (m_c - s + x + 1)) / ((m_t - x) * (s - x))
    total = 0.0
    for k in range(size):
        total += work[k]
    if tail != 0:
        acc = 0.0
        for j in range(size):
            k = j if tail < 0 else size - 1 - j
            acc += work[k]
            pvalues[k] = min(1.0, acc / total)
        return lo
    # The pmf is unimodal: merging from both ends, smaller first, sorts it ascending.
    i, j = 0, size - 1
    for pos in range(size):
        if work[i] <= work[j]:
            order[pos] = i
            i += 1
        else:
            order[pos] = j
            j -= 1
    acc = 0.0
    last = -1
    for pos in range(size):
        limit = work[order[pos]] * (1.0 + RELATIVE_TOLERANCE)
        while last + 1 < size and work[order[last + 1]] <= limit:
            last += 1
            acc += work[order[last]]
        pvalues[order[pos]] = min(1.0, acc / total)
    return lo


@kernel
def fisher_pvalues(counts, order, tail, out):
    """Fill ``out[r]``, the Fisher p-value of replicate r's table.

    ``counts`` is int64 of shape (reps, 4): assessed and events in treatment, then in control.
    Replicates are visited in ``order``, which sorts them by margins (``m_t``, ``m_c``,
    ``s``), and the p-values of a margin are computed once for all its replicates. A replicate
    with an arm nobody was assessed in gets p = 1.
    """
    size = 1
    for r in range(counts.shape[0]):
        size = max(size, counts[r, 0] + 1)
    pvalues = np.empty(size)
    work = np.empty(size)
    index = np.empty(size, np.int64)
    previous = (-1, -1, -1)
    lo = 0
    for r in order:
        m_t, x_t, m_c, x_c = counts[r, 0], counts[r, 1], counts[r, 2], counts[r, 3]
        if m_t == 0 or m_c == 0:
            out[r] = 1.0
            continue
        margins = (m_t, m_c, x_t + x_c)
        if margins != previous:
            lo = hypergeom_pvalues(m_t, m_c, x_t + x_c, tail, pvalues, work, index)
            previous = margins
        out[r] = pvalues[x_t - lo]
