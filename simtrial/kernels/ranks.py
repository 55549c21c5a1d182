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

__all__ = ["bucket_scatter", "crowded_pairs", "grid_rank_stats", "level_counts",
           "neighbour_pairs", "normal_rank_stats", "quantile_buckets", "rank_scratch",
           "rank_stats_from_counts", "rank_stats_from_sorted", "sort_within_buckets",
           "value_rank_stats"]


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
    low, scale, table = quantile_buckets(n_t, mean_t, sd_t, n_c, mean_c, sd_c, 2 * n)
    scratch = rank_scratch(n, 2 * n)
    for r in range(out.shape[0]):
        m_t = _draw_normal(rng, n_t, mean_t, sd_t, drop_t, values, 0)
        m = _draw_normal(rng, n_c, mean_c, sd_c, drop_c, values, m_t)
        out[r, 0], out[r, 1] = m_t, m - m_t
        out[r, 2], out[r, 3] = value_rank_stats(values, m, m_t, low, scale, table, scratch)


@kernel
def rank_scratch(n, buckets):
    """Buffers for :func:`value_rank_stats` of up to ``n`` values in ``buckets`` buckets.

    ``(cell, bucket, starts, keys, key_in_t, crowded)``: per value its cell and bucket
    (uint32), a zero per bucket (uint32, left so after each use), the values in bucket order
    (float64) with their arm (uint8, 1 for treated), and room for the ranges of the buckets
    holding three or more values (uint32).
    """
    return (np.empty(n, np.uint32), np.empty(n, np.uint32), np.zeros(buckets, np.uint32),
            np.empty(n), np.empty(n, np.uint8), np.empty(n, np.uint32))


@kernel(inline=True)
def value_rank_stats(values, m, m_t, low, scale, table, scratch):
    """``(u_t, tie_term)`` of the first ``m`` values, the first ``m_t`` of them treated.

    The values are put in order of bucket (:func:`bucket_scatter`, with the bucket map ``low``,
    ``scale``, ``table`` from :func:`quantile_buckets`), and U is counted from their positions
    and corrected for the pairs in one bucket that are out of order: neighbours
    (:func:`neighbour_pairs`) and, in the few buckets holding three or more values, the rest
    (:func:`crowded_pairs`). Only if two values are equal are the buckets sorted
    (:func:`sort_within_buckets`) and the ties' average ranks summed
    (:func:`rank_stats_from_sorted`). The buckets only make this fast: any values but NaN are
    ranked exactly. ``scratch`` comes from :func:`rank_scratch` (for ``m`` values or more and
    the table's number of buckets).

    Compiled into its callers (numba's ``inline="always"``): a call per replicate passing eight
    arrays cost 2-4% at n = 100.
    """
    cell, bucket, starts, keys, key_in_t, crowded = scratch
    crowded_buckets = bucket_scatter(values, m, m_t, low, scale, table, cell, bucket, starts,
                                     keys, key_in_t, crowded)
    rank_sum, correction, equal_pairs = neighbour_pairs(keys, key_in_t, m)
    if equal_pairs == 0:
        far_correction, equal_pairs = crowded_pairs(keys, key_in_t, crowded, crowded_buckets)
        if equal_pairs == 0:
            return (rank_sum + correction + far_correction) - m_t * (m_t + 1) / 2, 0.0
    sort_within_buckets(keys, key_in_t, m)
    return rank_stats_from_sorted(keys, key_in_t, m, m_t)


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
    took 7% of a chunk's time). Each entry is at least the one before: the exact ranks
    (:func:`value_rank_stats`) rely on the map being monotone, and rounding can put a cell
    just before a knot one bucket above the knot where the cdf is flat to a few ulps, at a
    bucket boundary (two arms 20 sd apart). For one normal, the interpolation moves a bucket
    boundary by at most ``max|F''| h**2 / 8`` (h the knots' spacing), about 50 / buckets of a
    bucket (0.14 of one at n = 100), more for mixtures of very different sds; only the speed
    depends on it.
    """
    low = min(mean_t - 5.0 * sd_t, mean_c - 5.0 * sd_c)
    width = max(mean_t + 5.0 * sd_t, mean_c + 5.0 * sd_c) - low
    w_t = n_t / (n_t + n_c)
    peak = (w_t / sd_t + (1.0 - w_t) / sd_c) / math.sqrt(2.0 * math.pi)
    cells = int(min(max(buckets * width * peak, 16.0), 65536.0))
    step = min(max(cells // 64, 1), 16)
    table = np.empty(cells, np.uint32)
    previous = 0
    right = _pooled_cdf(low + 0.5 * width / cells, w_t, mean_t, sd_t, mean_c, sd_c)
    for first in range(0, cells, step):
        left = right
        knot = min(first + step, cells - 1)
        right = _pooled_cdf(low + (knot + 0.5) * width / cells, w_t, mean_t, sd_t, mean_c, sd_c)
        slope = (right - left) * buckets / max(knot - first, 1)
        for k in range(first, min(first + step, cells)):
            previous = max(previous, min(int(left * buckets + (k - first) * slope), buckets - 1))
            table[k] = previous
    scale = cells / width if 0.0 < width < math.inf else 0.0
    return low, scale, table


@kernel
def _pooled_cdf(x, w_t, mean_t, sd_t, mean_c, sd_c):
    """The cdf at ``x`` of the two arms' normals mixed in proportions ``w_t``, ``1 - w_t``."""
    return (w_t * math.erfc((mean_t - x) / (sd_t * math.sqrt(2.0)))
            + (1.0 - w_t) * math.erfc((mean_c - x) / (sd_c * math.sqrt(2.0)))) / 2.0


@kernel
def bucket_scatter(values, m, m_t, low, scale, table, cell, bucket, starts, keys, key_in_t,
                   crowded):
    """Put ``values[:m]`` in order of bucket in ``keys[:m]``, ``key_in_t[:m]`` (1 if treated).

    A counting sort by bucket (``low``, ``scale``, ``table`` from :func:`quantile_buckets`;
    ``starts`` holds a zero per bucket and is left so); ``cell`` and ``bucket`` are scratch of
    length ``m``. The map is monotone, so a value in a lower bucket is smaller than any in a
    higher one; within a bucket the values keep their order. Returns the number ``k`` of
    buckets holding three or more values, whose first and end positions it leaves in
    ``crowded[:k]`` and ``crowded[k:2 k]``.

    The cells are computed in a loop of their own, which the compiler vectorises; the counts
    are turned into starts two buckets a step. ``table``, ``bucket`` and ``starts`` hold
    unsigned integers (uint32) and the cell index is converted to uint64: numba checks every
    signed index for a negative value (Python's wraparound), and without those checks the
    passes need about a quarter fewer instructions.
    """
    top = table.shape[0] - 1.0
    for i in range(m):  # max(0.0, nan) is 0.0: a nan cell goes to the first bucket
        cell[i] = np.uint32(min(top, max(0.0, (values[i] - low) * scale)))
    crowded_buckets = 0
    for i in range(m):
        b = table[np.uint64(cell[i])]
        bucket[i] = b
        count = starts[b] + np.uint32(1)
        starts[b] = count
        if count == 3:
            crowded[crowded_buckets] = b
            crowded_buckets += 1
    end = np.uint32(0)
    for pair in range(starts.shape[0] // 2):
        first, second = starts[2 * pair], starts[2 * pair + 1]
        starts[2 * pair], starts[2 * pair + 1] = end, end + first
        end += first + second
    if starts.shape[0] % 2:
        starts[starts.shape[0] - 1] = end
    for j in range(crowded_buckets):
        b = crowded[j]
        crowded[j] = starts[b]
        crowded[crowded_buckets + j] = starts[b + 1] if b + 1 < starts.shape[0] else m
    for i in range(m):
        b = bucket[i]
        k = starts[b]
        keys[k] = values[i]
        key_in_t[k] = i < m_t
        starts[b] = k + np.uint32(1)
    for b in range(starts.shape[0]):  # a loop: numba compiles a[:] = 0 seven times slower
        starts[b] = 0
    return crowded_buckets


@kernel
def neighbour_pairs(keys, key_in_t, m):
    """``(rank_sum, correction, equal_pairs)`` of ``keys[:m]`` in bucket order (1-based ranks).

    ``rank_sum`` sums the treated keys' positions: less ``m_t (m_t + 1) / 2`` it is U for the
    pairs in different buckets. ``correction`` is U's correction for neighbours out of order:
    +1 where the larger comes first and is treated, -1 where it is a control (in one bucket:
    across buckets the order is right). ``equal_pairs`` counts equal neighbours; their half
    counts are left to :func:`rank_stats_from_sorted`.

    Branch-free, so that the compiler vectorises it (AVX-512 here); a branch on the
    neighbours' order, mispredicted for about one value in ten, cost 10-15% of the kernel.
    """
    rank_sum = np.int64(key_in_t[0]) if m > 0 else 0
    correction = 0
    equal_pairs = 0
    for i in range(1, m):
        before, value = keys[i - 1], keys[i]
        in_t = np.int64(key_in_t[i])
        rank_sum += (i + 1) * in_t
        correction += np.int64(before > value) * (np.int64(key_in_t[i - 1]) - in_t)
        equal_pairs += before == value
    return rank_sum, correction, equal_pairs


@kernel(inline=True)
def crowded_pairs(keys, key_in_t, crowded, crowded_buckets):
    """``(correction, equal_pairs)`` of the pairs two or more apart in one bucket.

    Only buckets holding three or more values have such pairs (``crowded`` from
    :func:`bucket_scatter`: about 1.4% of 2n buckets); corrections and equal pairs as in
    :func:`neighbour_pairs`. It stops at the first equal pair, which sends the values to the
    exact tie path: a heavily tied bucket would otherwise cost a comparison per pair.
    """
    correction = 0
    for j in range(crowded_buckets):
        first, end = crowded[j], crowded[crowded_buckets + j]
        for i in range(first + 2, end):
            value = keys[i]
            in_t = np.int64(key_in_t[i])
            for k in range(first, i - 1):
                if keys[k] == value:
                    return correction, 1
                correction += np.int64(keys[k] > value) * (np.int64(key_in_t[k]) - in_t)
    return correction, 0


@kernel
def sort_within_buckets(keys, key_in_t, m):
    """Sort ``keys[:m]`` in bucket order (:func:`bucket_scatter`) with their arm flags.

    An insertion sort, which only moves the few keys that share a bucket with a larger one.
    """
    for i in range(1, m):
        value = keys[i]
        if keys[i - 1] > value:
            flag = key_in_t[i]
            j = i - 1
            while j >= 0 and keys[j] > value:
                keys[j + 1] = keys[j]
                key_in_t[j + 1] = key_in_t[j]
                j -= 1
            keys[j + 1] = value
            key_in_t[j + 1] = flag


@kernel
def rank_stats_from_sorted(keys, key_in_t, m, m_t):
    """``(u_t, tie_term)`` from the first ``m`` keys sorted ascending and their arm flags.

    A group of ``ties`` equal values from position i has average rank i + (ties + 1) / 2;
    twice the treatment rank sum is summed in integers.
    """
    twice_rank_sum = 0
    tie_term = 0.0
    i = 0
    while i < m:
        j = i + 1
        while j < m and keys[j] == keys[i]:
            j += 1
        ties = j - i
        for k in range(i, j):
            twice_rank_sum += (2 * i + ties + 1) * np.int64(key_in_t[k])
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
    first ``k`` with ``u < cdf[k]``, searched from ``guide[int(u * len(guide))]``. The indices
    are unsigned (uint64), which spares numba's check of each for a negative value (Python's
    wraparound): with the same levels drawn, a 21-level score's kernel went from 1.85-2.0x
    its draws to 1.3-1.5x.
    """
    assessed = n if drop == 0.0 else rng.binomial(n, 1.0 - drop)
    for k in range(counts.shape[0]):
        counts[k] = 0
    size = float(guide.shape[0])
    for _ in range(assessed):
        u = rng.random()
        k = np.uint64(guide[np.uint64(u * size)])
        while u >= cdf[k]:
            k += np.uint64(1)
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
    cdf = np.empty(levels)
    total = 0.0
    for k in range(levels):  # np.cumsum(probs) / probs.sum() in loops, which compile faster
        total += probs[k]
        cdf[k] = total
    for k in range(levels):
        cdf[k] /= total
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
