"""Test statistics from patient-level values (used where endpoints are simulated jointly)."""

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.ranks import rank_stats_from_sorted

__all__ = ["rank_stats_from_values"]


@kernel
def rank_stats_from_values(values, treated, assessed, out):
    """Fill ``out[r] = (m_t, m_c, u_t, tie_term)`` from each replicate's patient values.

    ``values``, ``assessed`` have shape (reps, n) and ``treated`` shape (n,). Ranks are average
    ranks of the assessed values (ties share them); ``tie_term`` is ``sum(t**3 - t)`` over the
    groups of tied values, as in :mod:`simtrial.kernels.ranks`.
    """
    n = values.shape[1]
    keys = np.empty(n)
    flags = np.empty(n, np.int64)
    sorted_keys = np.empty(n)
    sorted_flags = np.empty(n, np.int64)
    for r in range(values.shape[0]):
        m = 0
        m_t = 0
        for i in range(n):
            if assessed[r, i]:
                keys[m] = values[r, i]
                flags[m] = treated[i]
                m_t += treated[i]
                m += 1
        order = np.argsort(keys[:m], kind="mergesort")
        for k in range(m):
            sorted_keys[k] = keys[order[k]]
            sorted_flags[k] = flags[order[k]]
        out[r, 0], out[r, 1] = m_t, m - m_t
        out[r, 2], out[r, 3] = rank_stats_from_sorted(sorted_keys, sorted_flags, m, m_t)
