"""Win statistics of a hierarchical composite endpoint, in O(n log n) per replicate.

Every treatment patient is compared with every control patient on the first component of the
hierarchy that separates them (:mod:`simtrial.endpoints.hierarchical`). Instead of the
``m_t m_c`` pairs, :func:`win_counts` counts, level by level, the wins and losses among the pairs
still tied on every earlier level: the patients are grouped by their earlier outcomes (one
group id per combination of discrete levels), and within a group

- a discrete level is counted per level of the score (a cumulative count per group: linear);
- a continuous level with a margin (always the last) is counted on the values sorted per
  group and arm, merging each group's two arms (``O(n log n)`` for the sort, linear after).

Patients whose terminal event (death) happened at a level drop out of the later levels: a pair
of two such patients stays tied.

Each kernel fills one row per replicate, ``(m_t, m_c, p_win, p_loss, var_win, var_loss,
cov)``: the numbers assessed, the proportions of the ``m_t m_c`` pairs the treatment patient
wins and loses, and the U-statistic (DeLong-type) variances and covariance of the two
proportions (:func:`simtrial.stattests.wins.win_ratio` documents the formulas).
"""

import math

import numpy as np

from simtrial.kernels._jit import kernel

__all__ = ["COLUMNS", "simulate_wins", "win_counts"]

#: Columns of a row: m_t, m_c, p_win, p_loss, var_win, var_loss, cov.
COLUMNS = 7


@kernel
def win_counts(scores, values, m, m_t, levels, terminal, continuous, margin, out):
    """Fill ``out`` (7 floats) with the win statistics of ``m`` patients, the first ``m_t`` treated.

    Parameters
    ----------
    scores : int64 array (>= m, k_d)
        Each patient's level of each discrete component, oriented so that a higher level is
        better (0 .. ``levels[j] - 1``).
    values : float64 array (>= m,)
        Each patient's value of the continuous last component, oriented so that higher is
        better (unused when ``continuous`` is False).
    levels : int64 array (k_d,)
        Number of levels of each discrete component.
    terminal : int64 array (k_d,)
        The level of a terminal event (patients at it have no later outcome), or -1.
    continuous : bool
        Whether a continuous component with ``margin`` comes after the discrete ones. The
        treatment patient wins when the control patient's value is below its own minus the
        margin, ``c < t - margin``, and loses when ``t < c - margin``.
    """
    m_c = m - m_t
    wins = np.zeros(m)
    losses = np.zeros(m)
    group = np.zeros(m, np.int64)
    n_groups = 1
    for j in range(levels.shape[0]):
        size = levels[j]
        cells = n_groups * size
        count_t = np.zeros(cells)
        count_c = np.zeros(cells)
        for p in range(m):
            if group[p] >= 0:
                cell = group[p] * size + scores[p, j]
                if p < m_t:
                    count_t[cell] += 1
                else:
                    count_c[cell] += 1
        below_t = np.zeros(cells)  # patients of the group at lower levels
        below_c = np.zeros(cells)
        total_t = np.zeros(n_groups)
        total_c = np.zeros(n_groups)
        for g in range(n_groups):
            run_t = 0.0
            run_c = 0.0
            for level in range(size):
                cell = g * size + level
                below_t[cell] = run_t
                below_c[cell] = run_c
                run_t += count_t[cell]
                run_c += count_c[cell]
            total_t[g] = run_t
            total_c[g] = run_c
        for p in range(m):
            g = group[p]
            if g < 0:
                continue
            cell = g * size + scores[p, j]
            if p < m_t:
                wins[p] += below_c[cell]
                losses[p] += total_c[g] - below_c[cell] - count_c[cell]
            else:  # wins and losses of the treatment patients against it
                wins[p] += total_t[g] - below_t[cell] - count_t[cell]
                losses[p] += below_t[cell]
            group[p] = -1 if scores[p, j] == terminal[j] else cell
        n_groups = cells
    if continuous:
        _value_counts(values, m, m_t, group, n_groups, margin, wins, losses)
    _summary(wins, losses, m_t, m_c, out)


@kernel(inline=True)
def _value_counts(values, m, m_t, group, n_groups, margin, wins, losses):
    """Add the wins and losses on the continuous level within each group.

    The values are put in buckets by arm and group (a counting sort), each bucket is sorted,
    and a treatment bucket is merged with the control bucket of its group: every count is a
    pointer that only moves forward. A patient's wins and losses at the earlier levels are the
    same for every patient of its arm and group, so the counts of the sorted values may go to
    the bucket's patients in any order. The comparisons are ``c < t - margin`` (a win) and
    ``t < c - margin`` (a loss), as written, each monotone in both values.
    """
    buckets = 2 * n_groups
    start = np.zeros(buckets + 1, np.int64)
    for p in range(m):
        if group[p] >= 0:
            start[(0 if p < m_t else n_groups) + group[p] + 1] += 1
    for b in range(buckets):
        start[b + 1] += start[b]
    sorted_values = np.empty(start[buckets])
    slots = np.empty(start[buckets], np.int64)
    fill = start[:buckets].copy()
    for p in range(m):
        if group[p] >= 0:
            b = (0 if p < m_t else n_groups) + group[p]
            sorted_values[fill[b]] = values[p]
            slots[fill[b]] = p
            fill[b] += 1
    for b in range(buckets):
        sorted_values[start[b]:start[b + 1]].sort()
    for g in range(n_groups):
        t0, t1 = start[g], start[g + 1]
        c0, c1 = start[n_groups + g], start[n_groups + g + 1]
        below = c0  # controls with c < t - margin
        not_above = c0  # controls without t < c - margin
        for i in range(t0, t1):
            t = sorted_values[i]
            while below < c1 and sorted_values[below] < t - margin:
                below += 1
            while not_above < c1 and not (t < sorted_values[not_above] - margin):
                not_above += 1
            wins[slots[i]] += below - c0
            losses[slots[i]] += c1 - not_above
        beaten_by = t0  # treatment patients without c < t - margin
        beating = t0  # treatment patients with t < c - margin
        for k in range(c0, c1):
            c = sorted_values[k]
            while beaten_by < t1 and not (c < sorted_values[beaten_by] - margin):
                beaten_by += 1
            while beating < t1 and sorted_values[beating] < c - margin:
                beating += 1
            wins[slots[k]] += t1 - beaten_by
            losses[slots[k]] += beating - t0


@kernel(inline=True)
def _summary(wins, losses, m_t, m_c, out):
    """``(m_t, m_c, p_win, p_loss, var_win, var_loss, cov)`` from the per-patient counts."""
    pairs = float(m_t) * m_c
    total_w = 0.0
    total_l = 0.0
    for p in range(m_t):
        total_w += wins[p]
        total_l += losses[p]
    p_w = total_w / pairs
    p_l = total_l / pairs
    s_ww = s_ll = s_wl = 0.0
    for p in range(m_t):
        dw = wins[p] / m_c - p_w
        dl = losses[p] / m_c - p_l
        s_ww += dw * dw
        s_ll += dl * dl
        s_wl += dw * dl
    c_ww = c_ll = c_wl = 0.0
    for p in range(m_t, m_t + m_c):
        dw = wins[p] / m_t - p_w
        dl = losses[p] / m_t - p_l
        c_ww += dw * dw
        c_ll += dl * dl
        c_wl += dw * dl
    a = 1.0 / (m_t * (m_t - 1.0)) if m_t > 1 else math.nan
    b = 1.0 / (m_c * (m_c - 1.0)) if m_c > 1 else math.nan
    out[0], out[1], out[2], out[3] = m_t, m_c, p_w, p_l
    out[4] = a * s_ww + b * c_ww
    out[5] = a * s_ll + b * c_ll
    out[6] = a * s_wl + b * c_wl


@kernel
def simulate_wins(rng, n_t, n_c, drop_t, drop_c, lower, cuts, levels, flip, terminal,
                  continuous, normal, sign, margin, out):
    """Fill ``out[r]`` (float64, shape (reps, 7)) with the win statistics of replicate r.

    Each randomised patient is unassessed with probability ``drop`` (one uniform), else gets
    ``k`` standard normals ``e`` and the latents ``z = lower e`` (Gaussian copula). Discrete
    component j's raw level is the number of its arm's cut points ``cuts[j, arm]`` (ascending,
    ``levels[j] - 1`` of them) below ``z_j``, reversed when ``flip[j]`` (lower is better); the
    continuous last component (if ``continuous``) is ``sign * (mean + sd z)`` with
    ``normal[arm] = (mean, sd)``. Treatment patients come first (arm 0), then control.
    """
    k = lower.shape[0]
    k_d = levels.shape[0]
    n = n_t + n_c
    scores = np.empty((n, max(k_d, 1)), np.int64)
    values = np.empty(n)
    e = np.empty(k)
    for r in range(out.shape[0]):
        m = 0
        m_t = 0
        for arm in range(2):
            size = n_t if arm == 0 else n_c
            drop = drop_t if arm == 0 else drop_c
            for _ in range(size):
                if rng.random() < drop:
                    continue
                for i in range(k):
                    e[i] = rng.standard_normal()
                for j in range(k):
                    z = 0.0
                    for i in range(j + 1):
                        z += lower[j, i] * e[i]
                    if j < k_d:
                        raw = 0
                        while raw < levels[j] - 1 and cuts[j, arm, raw] < z:
                            raw += 1
                        scores[m, j] = levels[j] - 1 - raw if flip[j] else raw
                    else:
                        values[m] = sign * (normal[arm, 0] + normal[arm, 1] * z)
                m += 1
            if arm == 0:
                m_t = m
        if m_t == 0 or m == m_t:
            out[r, 0], out[r, 1] = m_t, m - m_t
            out[r, 2:] = math.nan
            continue
        win_counts(scores, values, m, m_t, levels, terminal, continuous, margin, out[r])
