"""Sufficient statistics of the Wilcoxon-Mann-Whitney test, simulated in two arms.

Both kernels fill ``out[r] = (m_t, m_c, u_t, tie_term)`` per replicate r: the numbers assessed,
the Mann-Whitney U of the treatment arm (``R_t - m_t (m_t + 1) / 2`` with average ranks for
ties, ``R_t`` the treatment rank sum) and ``sum(t**3 - t)`` over the groups of tied values.
These four numbers are all the asymptotic test needs (:func:`simtrial.stattests.mannwhitney`).

For outcomes on a finite grid of levels (bounded scores, ordinal scales) ranks are obtained by
counting, in time linear in the number of levels, instead of sorting patients.
"""

import math

import numpy as np

from simtrial.kernels._jit import kernel

__all__ = ["bucket_order", "grid_rank_stats", "level_counts", "normal_rank_stats",
           "quantile_buckets", "rank_stats_from_counts", "rank_stats_from_order",
           "sort_bucket_order", "u_from_bucket_order", "value_rank_stats"]


@kernel
def grid_rank_stats(rng, n_t, n_c, probs_t, probs_c, drop_t, drop_c, out):
    """Fill ``out`` (float64, shape (reps, 4)) for outcomes on a grid of ordered levels.

    ``probs_t`` and ``probs_c`` are the probabilities of the levels, lowest first. Per arm, the
    number assessed is Binomial(n, 1 - drop) (the same distribution as drawing each randomised
    patient's dropout) and each assessed patient's level is drawn by inversion of the cumulative
    probabilities, sped up by a guide table (Devroye 1986, section III.2.4).
    """
    levels = probs_t.shape[0]
    counts_t = np.empty(levels, np.int64)
    counts_c = np.empty(levels, np.int64)
    cdf_t, guide_t = _guide_table(probs_t)
    cdf_c, guide_c = _guide_table(probs_c)
    for r in range(out.shape[0]):
        m_t = level_counts(rng, n_t, drop_t, cdf_t, guide_t, counts_t)
        m_c = level_counts(rng, n_c, drop_c, cdf_c, guide_c, counts_c)
        u_t, tie_term = rank_stats_from_counts(counts_t, counts_c)
        out[r, 0], out[r, 1], out[r, 2], out[r, 3] = m_t, m_c, u_t, tie_term


@kernel
def normal_rank_stats(rng, n_t, n_c, mean_t, sd_t, mean_c, sd_c, drop_t, drop_c, out):
    """Fill ``out`` (float64, shape (reps, 4)) for normal outcomes, ranked through buckets.

    Each randomised patient is unassessed with probability ``drop`` (as in
    :func:`simtrial.kernels.continuous.normal_moments`); ties are handled although they have
    probability zero. Log-normal outcomes use this kernel on the log scale (ranks do not change
    under a monotone transformation).

    The values are ranked by :func:`value_rank_stats` in linear expected time, through ``2 n``
    buckets of equal probability under the two arms' pooled distribution
    (:func:`quantile_buckets`), so that a bucket holds about half a value whatever the means
    and sds. The buckets only make it fast; the ranks are exact for any values.
    """
    n = n_t + n_c
    values = np.empty(n)
    cell = np.empty(n, np.uint32)
    bucket = np.empty(n, np.uint32)
    order = np.empty(n, np.uint32)
    low, scale, table = quantile_buckets(n_t, mean_t, sd_t, n_c, mean_c, sd_c, 2 * n)
    starts = np.zeros(2 * n, np.uint32)
    for r in range(out.shape[0]):
        m_t = _draw_normal(rng, n_t, mean_t, sd_t, drop_t, values, 0)
        m = _draw_normal(rng, n_c, mean_c, sd_c, drop_c, values, m_t)
        out[r, 0], out[r, 1] = m_t, m - m_t
        out[r, 2], out[r, 3] = value_rank_stats(values, m, m_t, low, scale, table, cell, bucket,
                                                starts, order)


@kernel
def value_rank_stats(values, m, m_t, low, scale, table, cell, bucket, starts, order):
    """``(u_t, tie_term)`` of the first ``m`` values, the first ``m_t`` of them treated.

    The values are ordered by bucket (:func:`bucket_order`, the bucket map ``low``, ``scale``,
    ``table`` from :func:`quantile_buckets`) and U is counted from that order, corrected for
    the pairs that share a bucket (:func:`u_from_bucket_order`). Only if two values are equal
    are the buckets sorted (:func:`sort_bucket_order`) and the ties' average ranks summed
    (:func:`rank_stats_from_order`). The buckets only make this fast: any values but NaN are
    ranked exactly. ``cell``, ``bucket`` and ``order`` are scratch of length ``m`` or more;
    ``starts`` holds a zero per bucket and is left so.
    """
    bucket_order(values, m, low, scale, table, cell, bucket, starts, order)
    u_t, tied = u_from_bucket_order(values, bucket, order, m, m_t)
    if not tied:
        return u_t, 0.0
    sort_bucket_order(values, order, m)
    return rank_stats_from_order(values, order, m, m_t)


@kernel
def quantile_buckets(n_t, mean_t, sd_t, n_c, mean_c, sd_c, buckets):
    """A monotone map of values to ``buckets`` of about equal probability: ``(low, scale, table)``.

    The pooled distribution of the two arms (normal mixture weighted by ``n_t``, ``n_c``) is
    tabulated on cells of equal width spanning mean -/+ 5 sd of both arms, about as narrow as a
    bucket where the density peaks (at most 65,536 cells); the value ``v`` goes to bucket
    ``table[cell]`` with ``cell = (v - low) * scale`` clamped to the table (values outside the
    span go to the end buckets). A table lookup costs a fraction of the normal cdf it replaces.

    The cdf is computed at every ``step``-th cell's midpoint (``step = cells // 64``, from 1 to
    16) and interpolated linearly between: the table is built about 10x faster (at n = 400 it
    took 7% of a chunk's time) and stays monotone. The interpolation moves a bucket boundary by
    at most ``max|F''| h**2 / 8`` (h the knots' spacing), under 50 / buckets of a bucket's
    probability: a bucket's expected count changes by a few percent at most, which the speed
    does not notice.
    """
    low = min(mean_t - 5.0 * sd_t, mean_c - 5.0 * sd_c)
    width = max(mean_t + 5.0 * sd_t, mean_c + 5.0 * sd_c) - low
    w_t = n_t / (n_t + n_c)
    peak = (w_t / sd_t + (1.0 - w_t) / sd_c) / math.sqrt(2.0 * math.pi)
    cells = int(min(max(buckets * width * peak, 16.0), 65536.0))
    step = min(max(cells // 64, 1), 16)
    table = np.empty(cells, np.uint32)
    right = _pooled_cdf(low + 0.5 * width / cells, w_t, mean_t, sd_t, mean_c, sd_c)
    for first in range(0, cells, step):
        left = right
        knot = min(first + step, cells - 1)
        right = _pooled_cdf(low + (knot + 0.5) * width / cells, w_t, mean_t, sd_t, mean_c, sd_c)
        slope = (right - left) * buckets / max(knot - first, 1)
        for k in range(first, min(first + step, cells)):
            table[k] = min(int(left * buckets + (k - first) * slope), buckets - 1)
    scale = cells / width if 0.0 < width < math.inf else 0.0
    return low, scale, table


@kernel
def _pooled_cdf(x, w_t, mean_t, sd_t, mean_c, sd_c):
    """The cdf at ``x`` of the two arms' normals mixed in proportions ``w_t``, ``1 - w_t``."""
    return (w_t * math.erfc((mean_t - x) / (sd_t * math.sqrt(2.0)))
            + (1.0 - w_t) * math.erfc((mean_c - x) / (sd_c * math.sqrt(2.0)))) / 2.0


@kernel
def bucket_order(values, m, low, scale, table, cell, bucket, starts, order):
    """Fill ``order[:m]`` with the indices of ``values[:m]`` ordered by bucket.

    A counting sort of the indices by bucket (``low``, ``scale``, ``table`` from
    :func:`quantile_buckets`; ``starts`` holds a zero per bucket and is left so); ``bucket[i]``
    is the bucket of ``values[i]``. Within a bucket the indices ascend, the values need not.
    The map is monotone, so a value in a lower bucket is smaller than any in a higher one.

    The cells are computed in a loop of their own, which the compiler vectorises; the counts
    are turned into starts two buckets a step. ``table``, ``bucket`` and ``starts`` hold
    unsigned integers (uint32) and the cell index is converted to uint64: numba checks every
    signed index for a negative value (Python's wraparound), and without those checks the
    passes need about a quarter fewer instructions.
    """
    top = table.shape[0] - 1.0
    for i in range(m):  # max(0.0, nan) is 0.0: a nan cell goes to the first bucket
        cell[i] = np.uint32(min(top, max(0.0, (values[i] - low) * scale)))
    for i in range(m):
        b = table[np.uint64(cell[i])]
        bucket[i] = b
        starts[b] += 1
    end = np.uint32(0)
    for pair in range(starts.shape[0] // 2):
        first, second = starts[2 * pair], starts[2 * pair + 1]
        starts[2 * pair], starts[2 * pair + 1] = end, end + first
        end += first + second
    if starts.shape[0] % 2:
        starts[starts.shape[0] - 1] = end
    for i in range(m):
        b = bucket[i]
        k = starts[b]
        order[k] = i
        starts[b] = k + np.uint32(1)
    for b in range(starts.shape[0]):  # a loop: numba compiles a[:] = 0 seven times slower
        starts[b] = 0


@kernel
def u_from_bucket_order(values, bucket, order, m, m_t):
    """``(u_t, tied)`` from ``order`` (:func:`bucket_order`); indices below ``m_t`` treated.

    Ranked by position in the bucket order, the treated values' rank sum gives U exactly for
    pairs in different buckets. A pair in one bucket whose first value is the larger is
    corrected, by +1 if that value is treated and -1 if it is a control; equal values are
    only detected (``tied``), their half counts left to :func:`rank_stats_from_order`.
    Neighbours are compared branch-free (a branch on their order would be mispredicted for
    about one value in ten); a value is compared with the earlier values of its bucket only
    when the largest value before its neighbour is not below it (about 3% of values), because
    values in lower buckets are smaller. Without ties ``u_t`` is exact; once one is seen the
    count stops, as a heavily tied bucket would cost a comparison per pair.
    """
    if m == 0:
        return 0.0, False
    treated = np.uint32(m_t)
    first = order[0]
    previous = values[first]
    previous_t = np.int64(first < treated)
    rank_sum = previous_t
    correction = 0
    equal_pairs = 0
    before = -np.inf  # the largest value before the neighbour
    for i in range(1, m):
        index = order[i]
        value = values[index]
        in_t = np.int64(index < treated)
        rank_sum += (i + 1) * in_t
        correction += np.int64(previous > value) * (previous_t - in_t)
        equal_pairs += previous == value
        further = before >= value
        before = max(before, previous)
        previous, previous_t = value, in_t
        if further:
            if equal_pairs:
                break
            b = bucket[index]
            j = i - 2
            while j >= 0 and bucket[order[j]] == b:
                other = values[order[j]]
                correction += np.int64(other > value) * (np.int64(order[j] < treated) - in_t)
                equal_pairs += other == value
                j -= 1
    return (rank_sum + correction) - m_t * (m_t + 1) / 2, equal_pairs > 0


@kernel
def sort_bucket_order(values, order, m):
    """Sort ``order[:m]`` (:func:`bucket_order`) by value.

    An insertion sort, which only moves the few indices that share a bucket with a larger value.
    """
    for i in range(1, m):
        index = order[i]
        value = values[index]
        j = i - 1
        while j >= 0 and values[order[j]] > value:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = index


@kernel
def rank_stats_from_order(values, order, m, m_t):
    """``(u_t, tie_term)`` from ``order[:m]``, the indices of ``values`` sorted ascending.

    A group of ``ties`` equal values from position i has average rank i + (ties + 1) / 2;
    twice the treatment rank sum (indices below ``m_t``) is summed in integers.
    """
    twice_rank_sum = 0
    tie_term = 0.0
    i = 0
    while i < m:
        j = i + 1
        while j < m and values[order[j]] == values[order[i]]:
            j += 1
        ties = j - i
        for k in range(i, j):
            twice_rank_sum += (2 * i + ties + 1) * np.int64(order[k] < m_t)
        tie_term += float(ties) ** 3 - ties
        i = j
    return twice_rank_sum / 2 - m_t * (m_t + 1) / 2, tie_term


@kernel
def rank_stats_from_counts(counts_t, counts_c):
    """``(u_t, tie_term)`` from the counts per level of two arms, levels lowest first.

    A level holding ``t = a + b`` patients (``a`` treated) occupies ranks ``below + 1`` to
    ``below + t``, average ``below + (t + 1) / 2``; twice the rank sum is summed in integers.
    Empty levels add nothing, so they need no branch (one cost about 10% at n = 100, when
    which levels are empty varies from replicate to replicate).
    """
    below = 0
    twice_rank_sum = 0
    tie_term = 0.0
    m_t = 0
    for k in range(counts_t.shape[0]):
        ties = counts_t[k] + counts_c[k]
        twice_rank_sum += counts_t[k] * (2 * below + ties + 1)
        tie_term += float(ties) ** 3 - ties
        below += ties
        m_t += counts_t[k]
    return twice_rank_sum / 2 - m_t * (m_t + 1) / 2, tie_term


@kernel
def level_counts(rng, n, drop, cdf, guide, counts):
    """Fill ``counts`` per level for the assessed among ``n``; return the number assessed.

    ``cdf`` and ``guide`` come from :func:`_guide_table`: the level of a uniform ``u`` is the
    first ``k`` with ``u < cdf[k]``, searched from ``guide[int(u * len(guide))]``.
    """
    assessed = n if drop == 0.0 else rng.binomial(n, 1.0 - drop)
    for k in range(counts.shape[0]):
        counts[k] = 0
    size = guide.shape[0]
    for _ in range(assessed):
        u = rng.random()
        k = guide[int(u * size)]
        while u >= cdf[k]:
            k += 1
        counts[k] += 1
    return assessed


@kernel
def _guide_table(probs):
    """Cumulative probabilities (the last set to exactly 1) and a guide table.

    ``guide[j]`` is the first level whose cumulative probability exceeds ``j / len(guide)``,
    so the search for a uniform in ``[j, j + 1) / len(guide)`` starts there. The table has at
    least 1024 entries (4 per level beyond 256 levels): a uniform then rarely needs a second
    comparison, which made drawing a 21-level score about 1.6x faster than 4 entries per level.
    The level drawn does not depend on the table's size.
    """
    levels = probs.shape[0]
    cdf = np.cumsum(probs) / probs.sum()
    cdf[levels - 1] = 1.0
    for k in range(levels - 1, 0, -1):  # trailing empty levels: never drawn
        if probs[k] > 0.0:
            break
        cdf[k - 1] = 1.0
    size = max(4 * levels, 1024)
    guide = np.empty(size, np.int64)
    k = 0
    for j in range(size):
        while cdf[k] <= j / size:
            k += 1
        guide[j] = k
    return cdf, guide


@kernel
def _draw_normal(rng, n, mean, sd, drop, values, start):
    """Append the assessed patients' values of one arm at ``start``; return the new end."""
    end = start
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            values[end] = rng.normal(mean, sd)
            end += 1
    return end
