"""Moments of a bounded score (outcomes on a grid of levels), for the t tests.

:func:`grid_moments` fills the same columns as :func:`simtrial.kernels.continuous.normal_moments`
from the counts per level that :func:`simtrial.kernels.ranks.level_counts` draws, so a score can
be analysed with the t tests as well as with the rank test (the comparison the textbook normal
approximation hides).
"""

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.ranks import _guide_table, level_counts

__all__ = ["grid_moments", "moments_from_counts"]


@kernel
def grid_moments(rng, n_t, n_c, levels, probs_t, probs_c, drop_t, drop_c, out):
    """Fill ``out[r] = (m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` (float64, shape (reps, 6)).

    ``levels`` are the values of the grid, lowest first, and ``probs_t``, ``probs_c`` their
    probabilities; patients are drawn as in :func:`simtrial.kernels.ranks.grid_rank_stats`.
    """
    counts_t = np.empty(levels.shape[0], np.int64)
    counts_c = np.empty(levels.shape[0], np.int64)
    cdf_t, guide_t = _guide_table(probs_t)
    cdf_c, guide_c = _guide_table(probs_c)
    for r in range(out.shape[0]):
        m_t = level_counts(rng, n_t, drop_t, cdf_t, guide_t, counts_t)
        m_c = level_counts(rng, n_c, drop_c, cdf_c, guide_c, counts_c)
        out[r, 0] = m_t
        out[r, 1], out[r, 2] = moments_from_counts(levels, counts_t, m_t)
        out[r, 3] = m_c
        out[r, 4], out[r, 5] = moments_from_counts(levels, counts_c, m_c)


@kernel
def moments_from_counts(levels, counts, m):
    """Mean and sum of squared deviations of ``m`` values given as counts per level.

    Two passes over the levels; (0, 0) when ``m`` is 0.
    """
    if m == 0:
        return 0.0, 0.0
    total = 0.0
    for k in range(levels.shape[0]):
        total += counts[k] * levels[k]
    mean = total / m
    ss = 0.0
    for k in range(levels.shape[0]):
        ss += counts[k] * (levels[k] - mean) ** 2
    return mean, ss
