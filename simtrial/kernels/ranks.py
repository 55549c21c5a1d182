"""Sufficient statistics of the Wilcoxon-Mann-Whitney test, simulated in two arms.

Both kernels fill ``out[r] = (m_t, m_c, u_t, tie_term)`` per replicate r: the numbers assessed,
the Mann-Whitney U of the treatment arm (``R_t - m_t (m_t + 1) / 2`` with average ranks for
ties, ``R_t`` the treatment rank sum) and ``sum(t**3 - t)`` over the groups of tied values.
These four numbers are all the asymptotic test needs (:func:`simtrial.stattests.mannwhitney`).

For outcomes on a finite grid of levels (bounded scores, ordinal scales) ranks are obtained by
counting, in time linear in the number of levels, instead of sorting patients.
"""

import numpy as np

from simtrial.kernels._jit import kernel

__all__ = ["grid_rank_stats", "normal_rank_stats", "rank_stats_from_counts"]


@kernel
def grid_rank_stats(rng, n_t, n_c, probs_t, probs_c, drop_t, drop_c, out):
    """Fill ``out`` (float64, shape (reps, 4)) for outcomes on a grid of ordered levels.

    ``probs_t`` and ``probs_c`` are the probabilities of the levels, lowest first. Per arm, the
    number assessed is Binomial(n, 1 - drop) and the counts per level are multinomial, drawn as
    successive conditional binomials: the same distribution as drawing every randomised patient's
    dropout and level one by one, at a cost linear in the number of levels.
    """
    levels = probs_t.shape[0]
    counts_t = np.empty(levels, np.int64)
    counts_c = np.empty(levels, np.int64)
    for r in range(out.shape[0]):
        m_t = _multinomial(rng, n_t, drop_t, probs_t, counts_t)
        m_c = _multinomial(rng, n_c, drop_c, probs_c, counts_c)
        u_t, tie_term = rank_stats_from_counts(counts_t, counts_c)
        out[r, 0], out[r, 1], out[r, 2], out[r, 3] = m_t, m_c, u_t, tie_term


@kernel
def normal_rank_stats(rng, n_t, n_c, mean_t, sd_t, mean_c, sd_c, drop_t, drop_c, out):
    """Fill ``out`` (float64, shape (reps, 4)) for normal outcomes, ranking by sorting.

    Each randomised patient is unassessed with probability ``drop`` (as in
    :func:`simtrial.kernels.continuous.normal_moments`); ties are handled although they have
    probability zero. Log-normal outcomes use this kernel on the log scale (ranks do not change
    under a monotone transformation).
    """
    values = np.empty(n_t + n_c)
    in_t = np.empty(n_t + n_c, np.bool_)
    for r in range(out.shape[0]):
        m_t = _draw_normal(rng, n_t, mean_t, sd_t, drop_t, values, in_t, 0, True)
        m = _draw_normal(rng, n_c, mean_c, sd_c, drop_c, values, in_t, m_t, False)
        order = np.argsort(values[:m], kind="mergesort")
        rank_sum = 0.0
        tie_term = 0.0
        start = 0
        while start < m:
            stop = start + 1
            while stop < m and values[order[stop]] == values[order[start]]:
                stop += 1
            ties = stop - start
            average = start + (ties + 1) / 2
            for j in range(start, stop):
                if in_t[order[j]]:
                    rank_sum += average
            tie_term += ties**3 - ties
            start = stop
        out[r, 0], out[r, 1] = m_t, m - m_t
        out[r, 2], out[r, 3] = rank_sum - m_t * (m_t + 1) / 2, tie_term


@kernel
def rank_stats_from_counts(counts_t, counts_c):
    """``(u_t, tie_term)`` from the counts per level of two arms, levels lowest first.

    A level holding ``t = a + b`` patients (``a`` treated) occupies ranks ``below + 1`` to
    ``below + t``, average ``below + (t + 1) / 2``; every rank is a multiple of 1/2, so the sums
    are exact in float64.
    """
    below = 0
    rank_sum = 0.0
    tie_term = 0.0
    m_t = 0
    for k in range(counts_t.shape[0]):
        ties = counts_t[k] + counts_c[k]
        if ties > 0:
            rank_sum += counts_t[k] * (below + (ties + 1) / 2)
            tie_term += float(ties) ** 3 - ties
            below += ties
            m_t += counts_t[k]
    return rank_sum - m_t * (m_t + 1) / 2, tie_term


@kernel
def _multinomial(rng, n, drop, probs, counts):
    """Counts per level of the assessed among ``n``; returns the number assessed."""
    assessed = n if drop == 0.0 else rng.binomial(n, 1.0 - drop)
    left = assessed
    mass = 1.0
    for k in range(probs.shape[0]):
        if left == 0:
            counts[k] = 0
        elif k == probs.shape[0] - 1 or mass <= probs[k]:
            counts[k] = left  # the last level with mass takes everyone left
        else:
            counts[k] = rng.binomial(left, max(0.0, probs[k] / mass))
        left -= counts[k]
        mass -= probs[k]
    return assessed


@kernel
def _draw_normal(rng, n, mean, sd, drop, values, in_t, start, treated):
    """Append the assessed patients' values of one arm at ``start``; return the new end."""
    end = start
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            values[end] = rng.normal(mean, sd)
            in_t[end] = treated
            end += 1
    return end
