"""Fisher's exact test of a 2x2 table, from the hypergeometric pmf around its mode.

Conditional on the numbers assessed ``m_t``, ``m_c`` and the total events ``s``, the treatment
events follow a hypergeometric distribution on ``lo..hi`` with ``lo = max(0, s - m_c)`` and
``hi = min(s, m_t)``. Its pmf is computed relative to the mode's, outward by the ratio of
successive terms (no overflow).

:func:`fisher_pvalue` computes one table's p-value and walks out from the mode only as far as
its sums need. The ratio ``f(x + 1) / f(x)`` decreases in x (the pmf is log-concave), so once a
walk has passed the mode, the rest of its side is at most a geometric series: after a term
``f`` whose successor is ``f r``, the terms left add at most ``f r / (1 - r)``. A walk stops
when that bound is below :data:`TAIL_BOUND` of the part of the sum it would change. Near the
centre that is eight to nine standard deviations each side of the mode, where the support has
``hi - lo + 1`` points. :func:`hypergeom_pvalues` fills the p-value of every point of the
support at once, as the exact power needs.

Two-sided p-values follow R's ``fisher.test``: the probability of the tables no more likely than
the observed one, ``sum(d[d <= d_obs * (1 + 1e-7)])``, the relative tolerance guarding against
rounding in the probabilities of tables that are equally likely in exact arithmetic.
"""

import numpy as np

from simtrial.kernels._jit import kernel

__all__ = ["RELATIVE_TOLERANCE", "TABLE_COST", "TAIL_BOUND", "fisher_pvalue", "fisher_pvalues",
           "hypergeom_pvalues"]

#: Relative tolerance of R's fisher.test (``relErr <- 1 + 10^(-7)``).
RELATIVE_TOLERANCE = 1e-7
#: The pmf terms a walk leaves out add less than this fraction to any sum taken over the terms
#: it kept: below the rounding error of the sum (about 1e-16).
TAIL_BOUND = 1e-17
#: Cost of a table point over a walk point: about 9.5 ns against 3.6 ns on the machine where
#: benchmarks/bench_fisher.py was written (supports of 21 to 1001 points).
TABLE_COST = 2.6


@kernel
def fisher_pvalues(counts, tail, out):
    """Fill ``out[r]``, the Fisher p-value of replicate r's table.

    ``counts`` is int64 of shape (reps, 4): assessed and events in treatment, then in control;
    ``tail`` as in :func:`fisher_pvalue`. A replicate with an arm nobody was assessed in gets
    p = 1. When every replicate has the same numbers assessed (no dropout), only the total
    events vary and many replicates share margins: see :func:`_pvalues_by_total`. Otherwise
    margins rarely repeat, and each replicate gets its own :func:`fisher_pvalue`.
    """
    if counts.shape[0] == 0:
        return
    largest = counts[0, 0]  # a loop, not counts[:, 0].max(): numba's max compiles slowly
    for r in range(1, counts.shape[0]):
        largest = max(largest, counts[r, 0])
    work = np.empty(largest + 1)
    if _same_assessed(counts):
        _pvalues_by_total(counts, tail, work, out)
        return
    for r in range(counts.shape[0]):
        m_t, x_t, m_c, x_c = counts[r, 0], counts[r, 1], counts[r, 2], counts[r, 3]
        out[r] = _pvalue_or_one(m_t, m_c, x_t + x_c, x_t, tail, work)


@kernel(inline=True)
def fisher_pvalue(m_t, m_c, s, x, tail, work):
    """P-value of ``x`` events in treatment, given the margins ``m_t``, ``m_c`` and ``s``.

    Parameters
    ----------
    m_t, m_c, s, x : int
        Assessed per arm, total events, and treatment events (``lo <= x <= hi``).
    tail : int
        0: two-sided; 1: upper tail ``P(X >= x)``; -1: lower tail ``P(X <= x)``.
    work : float64 array
        Scratch space of length at least ``hi - lo + 1``.

    Examples
    --------
    >>> round(fisher_pvalue(15, 15, 13, 3, 0, np.empty(16)), 6)  # R fisher.test: 0.0253277
    0.025328
    """
    lo, hi, mode = _support(m_t, m_c, s)
    work[mode - lo] = 1.0
    # The side holding x first: the two-sided limit on the other side is the pmf at x.
    step = 1 if x >= mode else -1
    near = _walk(m_t, m_c, s, lo, mode, hi if step > 0 else lo, step, x, np.inf, work)
    pmf_x = work[x - lo] if (near - x) * step >= 0 else 0.0  # 0 where it underflowed
    limit = pmf_x * (1.0 + RELATIVE_TOLERANCE) if tail == 0 else np.inf
    far = _walk(m_t, m_c, s, lo, mode, lo if step > 0 else hi, -step, x, limit, work)
    total = 0.0
    counted = 0.0
    for k in range(min(near, far), max(near, far) + 1):
        term = work[k - lo]
        total += term
        if (term <= limit) if tail == 0 else ((k - x) * tail >= 0):
            counted += term
    return min(1.0, counted / total)


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
    lo, hi, mode = _support(m_t, m_c, s)
    size = hi - lo + 1
    work[mode - lo] = 1.0
    # A limit of 0 counts no term, so the walks stop only where the pmf underflows to 0.
    work[:_walk(m_t, m_c, s, lo, mode, lo, -1, lo, 0.0, work) - lo] = 0.0
    work[_walk(m_t, m_c, s, lo, mode, hi, 1, hi, 0.0, work) - lo + 1:size] = 0.0
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


@kernel(inline=True)
def _support(m_t, m_c, s):
    """``lo``, ``hi`` and the mode of the number of treatment events."""
    lo = max(0, s - m_c)
    hi = min(s, m_t)
    return lo, hi, min(max((s + 1) * (m_t + 1) // (m_t + m_c + 2), lo), hi)


@kernel
def _pvalue_or_one(m_t, m_c, s, x, tail, work):
    """:func:`fisher_pvalue`, or 1 when an arm has nobody assessed (no test)."""
    if m_t == 0 or m_c == 0:
        return 1.0
    return fisher_pvalue(m_t, m_c, s, x, tail, work)


@kernel(inline=True)
def _same_assessed(counts):
    """Whether every replicate has the first one's numbers assessed in both arms."""
    for r in range(1, counts.shape[0]):
        if counts[r, 0] != counts[0, 0] or counts[r, 2] != counts[0, 2]:
            return False
    return True


@kernel(inline=True)
def _pvalues_by_total(counts, tail, work, out):
    """:func:`fisher_pvalues` when every replicate has the same numbers assessed.

    Replicates are grouped by total events ``s``; a group large enough to pay for it
    (:data:`TABLE_COST`) shares one table of every p-value (:func:`hypergeom_pvalues`), the
    others get one :func:`fisher_pvalue` each.
    """
    m_t, m_c = counts[0, 0], counts[0, 2]
    totals = np.empty(counts.shape[0], np.int64)
    for r in range(counts.shape[0]):
        totals[r] = counts[r, 1] + counts[r, 3]
    order = _counting_sort(totals)
    pvalues = np.empty(work.shape[0])
    index = np.empty(work.shape[0], np.int64)
    start = 0
    while start < order.shape[0]:
        s = totals[order[start]]
        stop = start + 1
        while stop < order.shape[0] and totals[order[stop]] == s:
            stop += 1
        if m_t > 0 and m_c > 0 and _table_pays(m_t, m_c, s, stop - start):
            lo = hypergeom_pvalues(m_t, m_c, s, tail, pvalues, work, index)
            for i in range(start, stop):
                out[order[i]] = pvalues[counts[order[i], 1] - lo]
        else:
            for i in range(start, stop):
                out[order[i]] = _pvalue_or_one(m_t, m_c, s, counts[order[i], 1], tail, work)
        start = stop


@kernel(inline=True)
def _counting_sort(values):
    """Indices that sort small non-negative integers, ties in their order (stable)."""
    largest = 0
    for value in values:
        largest = max(largest, value)
    starts = np.zeros(largest + 2, np.int64)
    for value in values:
        starts[value + 1] += 1
    for v in range(1, starts.shape[0]):
        starts[v] += starts[v - 1]
    order = np.empty(values.shape[0], np.int64)
    for i in range(values.shape[0]):
        order[starts[values[i]]] = i
        starts[values[i]] += 1
    return order


@kernel(inline=True)
def _table_pays(m_t, m_c, s, replicates):
    """Whether one table of every p-value costs less than ``replicates`` walks.

    A walk covers about nine standard deviations each side of the mode (where a normal tail
    falls below :data:`TAIL_BOUND`), or the whole support if that is smaller.
    """
    lo, hi, _ = _support(m_t, m_c, s)
    points = hi - lo + 1
    total = m_t + m_c
    variance = s * (m_t / total) * (m_c / total) * ((total - s) / max(total - 1, 1))
    window = min(points, 18.0 * np.sqrt(variance) + 2.0)
    return replicates * window >= TABLE_COST * points


@kernel
def _walk(m_t, m_c, s, lo, mode, end, step, x, limit, work):
    """Fill ``work[k - lo] = f(k) / f(mode)`` from ``mode + step`` toward ``end``.

    The walk counts the terms at or beyond ``x`` (in the direction ``step``) that are at most
    ``limit``, and stops at ``end``, where the pmf underflows to 0, or once the terms left add
    less than :data:`TAIL_BOUND` of the counted sum (see the module docstring).

    Returns
    -------
    k : int
        The last point filled (``mode`` if none).
    """
    term = 1.0
    counted = 0.0
    k = mode
    while k != end:
        ratio = _ratio(m_t, m_c, s, k, step)
        following = term * ratio
        if following <= TAIL_BOUND * counted * (1.0 - ratio):
            break
        k += step
        term = following
        work[k - lo] = term
        if (k - x) * step >= 0 and term <= limit:
            counted += term
    return k


@kernel(inline=True)
def _ratio(m_t, m_c, s, x, step):
    """``f(x + step) / f(x)``, with ``step`` 1 or -1."""
    if step > 0:
        y = float(x)
        return ((m_t - y) * (s - y)) / ((y + 1) * (m_c - s + y + 1))
    y = float(x - 1)
    return ((y + 1) * (m_c - s + y + 1)) / ((m_t - y) * (s - y))
