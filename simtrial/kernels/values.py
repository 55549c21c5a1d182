"""Test statistics from patient-level values (used where endpoints are simulated jointly)."""

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.ranks import bucket_sort, rank_stats_from_counts, rank_stats_from_sorted

__all__ = ["latent_level_rank_stats", "rank_stats_from_values"]


@kernel
def rank_stats_from_values(values, n_t, assessed, low, scale, table, out):
    """Fill ``out[r] = (m_t, m_c, u_t, tie_term)`` from each replicate's patient values.

    ``values`` and ``assessed`` have shape (reps, n), the first ``n_t`` columns treated. Ranks
    are average ranks of the assessed values (ties share them); ``tie_term`` is
    ``sum(t**3 - t)`` over the groups of tied values, as in :mod:`simtrial.kernels.ranks`.
    The values are sorted by the bucket sort of :func:`simtrial.kernels.ranks.normal_rank_stats`
    with the buckets ``low``, ``scale``, ``table`` of
    :func:`simtrial.kernels.ranks.quantile_buckets` (fitted to the arms' normal
    distributions: they only make the sort fast, it is exact for any values).
    """
    n = values.shape[1]
    assessed_values = np.empty(n)
    keys = np.empty(n)
    key_in_t = np.empty(n, np.int64)
    bucket = np.empty(n, np.int32)
    starts = np.zeros(table[table.shape[0] - 1] + 1, np.int32)
    for r in range(values.shape[0]):
        m = 0
        for i in range(n_t):  # branch-free: overwritten unless assessed
            assessed_values[m] = values[r, i]
            m += assessed[r, i]
        m_t = m
        for i in range(n_t, n):
            assessed_values[m] = values[r, i]
            m += assessed[r, i]
        bucket_sort(assessed_values, m, m_t, low, scale, table, bucket, starts, keys, key_in_t)
        out[r, 0], out[r, 1] = m_t, m - m_t
        out[r, 2], out[r, 3] = rank_stats_from_sorted(keys, key_in_t, m, m_t)


@kernel
def latent_level_rank_stats(z, cuts_t, cuts_c, n_t, assessed, out):
    """Fill ``out[r] = (m_t, m_c, u_t, tie_term)`` for levels cut from latent normals.

    ``z`` and ``assessed`` have shape (reps, n), the first ``n_t`` columns treated. A patient's
    level is the number of the arm's ascending cut points at or below its latent value
    (``np.searchsorted(cuts, z, side="right")``); the patients are counted per level and
    ranked by counting (:func:`simtrial.kernels.ranks.rank_stats_from_counts`), as
    uncorrelated score and ordinal endpoints are.
    """
    n = z.shape[1]
    levels = cuts_t.shape[0] + 1
    counts_t = np.empty(levels, np.int64)
    counts_c = np.empty(levels, np.int64)
    for r in range(z.shape[0]):
        counts_t[:] = 0
        counts_c[:] = 0
        for i in range(n_t):  # adding the flag: a dropout is as unpredictable as a level
            counts_t[_level(cuts_t, z[r, i])] += assessed[r, i]
        for i in range(n_t, n):
            counts_c[_level(cuts_c, z[r, i])] += assessed[r, i]
        out[r, 0], out[r, 1] = counts_t.sum(), counts_c.sum()
        out[r, 2], out[r, 3] = rank_stats_from_counts(counts_t, counts_c)


@kernel
def _level(cuts, x):
    """The number of ``cuts`` (ascending) at or below ``x`` (nan: 0).

    Up to 64 cuts are all compared (vectorised, about 3.5 ns for a 21-level score against
    about 16 ns for a binary search, whose dependent loads are the cost); more are searched
    by a binary search whose steps are selects, not branches (a latent value's level is
    unpredictable).
    """
    size = cuts.shape[0]
    if size <= 64:
        count = 0
        for k in range(size):
            count += cuts[k] <= x
        return count
    first = 0
    while size > 0:
        half = size // 2
        below = cuts[first + half] <= x
        first = first + (half + 1) * below
        size = half + (size - 2 * half - 1) * below
    return first
