"""Win statistics of a hierarchical composite endpoint, in O(n log n) per replicate.

Every treatment patient is compared with every control patient on the first component of the
hierarchy that separates them (:mod:`simtrial.endpoints.hierarchical`). Instead of the
``m_t m_c`` pairs, :func:`win_counts` counts, level by level, the wins and losses among the pairs
still tied on every earlier level: the patients are grouped by their earlier outcomes (one
group id per combination of discrete levels), and within a group

- a discrete level is counted per level of the score (a cumulative count per group: linear);
- a continuous level with a margin (always the last) is counted on the values sorted per
  group and arm, merging each group's two arms (:func:`_value_counts`: linear expected time).

Patients whose terminal event (death) happened at a level drop out of the later levels: a pair
of two such patients stays tied, unless the level is *timed* (time to death by day D): then
two patients of a group who both died are compared on their times of death, as a continuous
level with no margin (the later death wins), and tie only when they died at the same time.

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
def win_counts(scores, values, times, m, m_t, levels, terminal, timed, continuous, margin,
               out):
    """Fill ``out`` (7 floats) with the win statistics of ``m`` patients, the first ``m_t`` treated.

    Parameters
    ----------
    scores : int64 array (>= m, k_d)
        Each patient's level of each discrete component, oriented so that a higher level is
        better (0 .. ``levels[j] - 1``).
    values : float64 array (>= m,)
        Each patient's value of the continuous last component, oriented so that higher is
        better (unused when ``continuous`` is False).
    times : float64 array (k_d, >= m)
        The time of each patient's terminal event at each timed component (read only for the
        patients at the terminal level of a timed component).
    levels : int64 array (k_d,)
        Number of levels of each discrete component.
    terminal : int64 array (k_d,)
        The level of a terminal event (patients at it have no later outcome), or -1.
    timed : bool array (k_d,)
        Whether two patients of a group at the terminal level are compared on their ``times``
        (the later wins).
    continuous : bool
        Whether a continuous component with ``margin`` comes after the discrete ones. The
        treatment patient wins when the control patient's value is below its own minus the
        margin, ``c < t - margin``, and loses when ``t < c - margin``.
    """
    _count_wins(scores, values, times, m, m_t, levels, terminal, timed, continuous, margin,
                out, workspace(m, levels))


@kernel
def workspace(n, levels):
    """The buffers :func:`_count_wins` needs for up to ``n`` patients, allocated once.

    A tuple of arrays: per patient, integers (group, a timed level's group, value bucket,
    arm-and-group bucket, slot, two merge counts, a tally, the bucket in value order, the
    patients with a value) and floats (wins, losses, values in order then sorted, reused
    for the shares), per cell of the discrete levels (counts, counts below and totals per
    arm), per value bucket and per arm-and-group bucket (starts, fill pointers). The cells
    are at most the product of the levels (the groups after the last discrete level).
    """
    cells = 1
    for j in range(levels.shape[0]):
        cells *= levels[j]
    per_patient_int = np.empty((10, n + 1), np.int64)
    per_patient_float = np.empty((4, n + 1))
    per_cell = np.empty((6, cells))
    value_buckets = np.empty(4 * n + 1, np.int64)
    group_buckets = np.empty((2, 2 * cells + 1), np.int64)
    return per_patient_int, per_patient_float, per_cell, value_buckets, group_buckets


@kernel
def _count_wins(scores, values, times, m, m_t, levels, terminal, timed, continuous, margin,
                out, work):
    """:func:`win_counts` in the buffers ``work`` (:func:`workspace`, for at least m patients)."""
    m_c = m - m_t
    per_patient_int, per_patient_float, per_cell = work[0], work[1], work[2]
    wins = per_patient_float[0, :m]
    losses = per_patient_float[1, :m]
    wins[:] = 0.0
    losses[:] = 0.0
    group = per_patient_int[0, :m]
    group[:] = 0
    dead = per_patient_int[1, :m]  # a timed level's group of the patients at its terminal level
    n_groups = 1
    for j in range(levels.shape[0]):
        size = levels[j]
        cells = n_groups * size
        count_t = per_cell[0, :cells]
        count_c = per_cell[1, :cells]
        count_t[:] = 0.0
        count_c[:] = 0.0
        for p in range(m):
            if group[p] >= 0:
                cell = group[p] * size + scores[p, j]
                if p < m_t:
                    count_t[cell] += 1
                else:
                    count_c[cell] += 1
        below_t = per_cell[2, :cells]  # patients of the group at lower levels (all set below)
        below_c = per_cell[3, :cells]
        total_t = per_cell[4, :n_groups]
        total_c = per_cell[5, :n_groups]
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
                dead[p] = -1
                continue
            cell = g * size + scores[p, j]
            if p < m_t:
                wins[p] += below_c[cell]
                losses[p] += total_c[g] - below_c[cell] - count_c[cell]
            else:  # wins and losses of the treatment patients against it
                wins[p] += total_t[g] - below_t[cell] - count_t[cell]
                losses[p] += below_t[cell]
            at_terminal = scores[p, j] == terminal[j]
            dead[p] = g if at_terminal else -1
            group[p] = -1 if at_terminal else cell
        if timed[j]:
            _value_counts(times[j], m, m_t, dead, n_groups, 0.0, wins, losses, work)
        n_groups = cells
    if continuous:
        _value_counts(values, m, m_t, group, n_groups, margin, wins, losses, work)
    _summary(wins, losses, m_t, m_c, out, per_patient_float[2], per_patient_float[3])


@kernel
def _value_counts(values, m, m_t, group, n_groups, margin, wins, losses, work):
    """Add the wins and losses on the continuous level within each group.

    The values of the patients with ``group >= 0`` are put in buckets by arm and group, each
    bucket sorted (:func:`_sorted_by_bucket`), and a treatment bucket is merged with the
    control bucket of its group: every count is a pointer that only moves forward. A
    patient's wins and losses at the earlier levels are the same for every patient of its arm
    and group, so the counts of the sorted values may go to the bucket's patients in any
    order: here in the patients' own order (``slots``), which keeps the sums of the variances
    in the order they always had. The comparisons are ``c < t - margin`` (a win) and
    ``t < c - margin`` (a loss), as written, each monotone in both values.
    """
    per_patient_int = work[0]
    start, sorted_values, slots = _sorted_by_bucket(values, m, m_t, group, n_groups, work)
    below = per_patient_int[5]
    not_above = per_patient_int[6]
    tally = per_patient_int[7]
    for g in range(n_groups):
        t0, t1 = start[g], start[g + 1]
        c0, c1 = start[n_groups + g], start[n_groups + g + 1]
        if t0 == t1 or c0 == c1:
            continue
        _merges(sorted_values, t0, t1, c0, c1, margin, below, not_above)
        n_c = c1 - c0
        for i in range(t0, t1):
            wins[slots[i]] += below[i]
            losses[slots[i]] += n_c - not_above[i]
        # A control beats, and is beaten by, a prefix of the sorted treatment patients: its
        # counts are the tallies of the treatment patients' prefix lengths, summed.
        tally[:n_c + 1] = 0
        for i in range(t0, t1):
            tally[below[i]] += 1
        beaten_by = t1 - t0  # treatment patients with c < t - margin, for control k = 0, 1, ...
        for k in range(n_c):
            beaten_by -= tally[k]
            wins[slots[c0 + k]] += beaten_by
        tally[:n_c + 1] = 0
        for i in range(t0, t1):
            tally[not_above[i]] += 1
        beating = 0  # treatment patients with t < c - margin
        for k in range(n_c):
            beating += tally[k]
            losses[slots[c0 + k]] += beating


@kernel
def _sorted_by_bucket(values, m, m_t, group, n_groups, work):
    """``(start, sorted_values, slots)``: the values of each arm and group, sorted.

    Bucket ``b = arm * n_groups + group`` (treatment 0, control 1) holds
    ``sorted_values[start[b]:start[b + 1]]`` in ascending order, and ``slots`` the same
    bucket's patients in their own order. The values are put in order by a counting sort on
    four times as many equal-width buckets between the smallest and the largest value as
    there are values, then (stably) in their arm-and-group buckets, and an insertion sort of
    each nearly sorted bucket makes the order exact whatever the value buckets hold (all in
    one when the values' range overflows): linear expected time for values with a density.
    (numba's sort of each arm and group cost more than drawing the trial; with as many
    value buckets as values, the insertion sort's mispredicted branches cost more than the
    extra buckets.) The arm-and-group bucket of each value travels with it, so the patients
    are not looked up again.
    """
    per_patient_int, per_patient_float, value_buckets, group_buckets = (
        work[0], work[1], work[3], work[4])
    key = per_patient_int[2]
    bucket_of = per_patient_int[3]
    slots = per_patient_int[4]
    bucket_by_value = per_patient_int[8]
    live = per_patient_int[9]
    by_value = per_patient_float[2]
    sorted_values = per_patient_float[3]
    buckets = 2 * n_groups
    start = group_buckets[0, :buckets + 1]
    fill = group_buckets[1, :buckets]
    start[:] = 0
    count = 0
    for p in range(m):  # the patients with a value, listed without a branch
        live[count] = p
        count += group[p] >= 0
    lo = np.inf
    hi = -np.inf
    for i in range(count):
        p = live[i]
        v = values[p]
        lo = min(lo, v)
        hi = max(hi, v)
        b = (0 if p < m_t else n_groups) + group[p]
        bucket_of[i] = b
        start[b + 1] += 1
    for b in range(buckets):
        start[b + 1] += start[b]
    cells = 4 * count
    scale = cells / (hi - lo) if hi > lo else 0.0
    if not scale < np.inf:
        scale = 0.0
    cell_start = value_buckets[:cells + 1]
    cell_start[:] = 0
    for b in range(buckets):
        fill[b] = start[b]
    for i in range(count):
        p = live[i]
        x = (values[p] - lo) * scale
        c = int(x) if x < cells - 1 else cells - 1
        key[i] = c
        cell_start[c + 1] += 1
        b = bucket_of[i]
        slots[fill[b]] = p
        fill[b] += 1
    for c in range(cells):
        cell_start[c + 1] += cell_start[c]
    for i in range(count):
        j = cell_start[key[i]]
        by_value[j] = values[live[i]]
        bucket_by_value[j] = bucket_of[i]
        cell_start[key[i]] = j + 1
    for b in range(buckets):
        fill[b] = start[b]
    for i in range(count):
        b = bucket_by_value[i]
        sorted_values[fill[b]] = by_value[i]
        fill[b] += 1
    for b in range(buckets):
        first = start[b]
        for i in range(first + 1, start[b + 1]):
            v = sorted_values[i]
            j = i
            while j > first and sorted_values[j - 1] > v:
                sorted_values[j] = sorted_values[j - 1]
                j -= 1
            sorted_values[j] = v
    return start, sorted_values, slots


@kernel
def _merges(sorted_values, t0, t1, c0, c1, margin, below, not_above):
    """Fill ``below[i]`` and ``not_above[i]``: controls beaten by, and not beating, value i.

    For each sorted treatment value t (``t0 .. t1``), the number of sorted control values c
    (``c0 .. c1``) with ``c < t - margin``, and the number without ``t < c - margin``: each a
    prefix of the controls. A merge takes one step a value, treatment or control, the
    comparison moving one pointer or the other without a branch; but each step waits for the
    one before (a load, a comparison, an add). So each count is merged from both ends, the
    lower half of the treatment values forwards and the upper half backwards, and the four
    merges run side by side in one loop, their chains overlapping. A merge that has finished
    marks time, rewriting its last count (a backward merge with no value reads and writes one
    slot past t1: the buffers have n + 1).
    """
    mid = (t0 + t1 + 1) // 2  # at least one value forwards
    last_c = c1 - 1
    i = i2 = t0  # forwards: treatment values t0 .. mid - 1
    j = j2 = c0
    ib = ib2 = t1 - 1  # backwards: treatment values t1 - 1 down to mid
    jb = jb2 = c1
    while i < mid or i2 < mid or ib >= mid or ib2 >= mid:
        going = i < mid  # c < t - margin
        take = going and j < c1 and (sorted_values[min(j, last_c)]
                                     < sorted_values[min(i, mid - 1)] - margin)
        below[min(i, mid - 1)] = j - c0
        j += take
        i += going and not take
        going = i2 < mid  # not t < c - margin
        take = going and j2 < c1 and not (sorted_values[min(i2, mid - 1)]
                                          < sorted_values[min(j2, last_c)] - margin)
        not_above[min(i2, mid - 1)] = j2 - c0
        j2 += take
        i2 += going and not take
        going = ib >= mid  # not c < t - margin
        take = going and jb > c0 and not (sorted_values[max(jb - 1, c0)]
                                          < sorted_values[max(ib, mid)] - margin)
        below[max(ib, mid)] = jb - c0
        jb -= take
        ib -= going and not take
        going = ib2 >= mid  # t < c - margin
        take = going and jb2 > c0 and (sorted_values[max(ib2, mid)]
                                       < sorted_values[max(jb2 - 1, c0)] - margin)
        not_above[max(ib2, mid)] = jb2 - c0
        jb2 -= take
        ib2 -= going and not take


@kernel(inline=True)
def _summary(wins, losses, m_t, m_c, out, share_w, share_l):
    """``(m_t, m_c, p_win, p_loss, var_win, var_loss, cov)`` from the per-patient counts.

    The shares of the other arm each patient wins and loses are divided in loops of their
    own (into ``share_w``, ``share_l``: buffers of at least m_t + m_c), which the compiler
    vectorises; the sums of squares that follow are sums in order, which it cannot.
    """
    pairs = float(m_t) * m_c
    total_w = 0.0
    total_l = 0.0
    for p in range(m_t):
        total_w += wins[p]
        total_l += losses[p]
    p_w = total_w / pairs
    p_l = total_l / pairs
    for p in range(m_t):
        share_w[p] = wins[p] / m_c
        share_l[p] = losses[p] / m_c
    for p in range(m_t, m_t + m_c):
        share_w[p] = wins[p] / m_t
        share_l[p] = losses[p] / m_t
    s_ww = s_ll = s_wl = 0.0
    for p in range(m_t):
        dw = share_w[p] - p_w
        dl = share_l[p] - p_l
        s_ww += dw * dw
        s_ll += dl * dl
        s_wl += dw * dl
    c_ww = c_ll = c_wl = 0.0
    for p in range(m_t, m_t + m_c):
        dw = share_w[p] - p_w
        dl = share_l[p] - p_l
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
def simulate_wins(rng, n_t, n_c, drop_t, drop_c, lower, cuts, levels, flip, terminal, timed,
                  pieces, continuous, normal, sign, margin, out):
    """Fill ``out[r]`` (float64, shape (reps, 7)) with the win statistics of replicate r.

    Each randomised patient is unassessed with probability ``drop`` (one uniform), else gets
    ``k`` standard normals ``e`` and the latents ``z = lower e`` (Gaussian copula). Discrete
    component j's raw level is the number of its arm's cut points ``cuts[j, arm]`` (ascending,
    ``levels[j] - 1`` of them) below ``z_j``, reversed when ``flip[j]`` (lower is better); the
    continuous last component (if ``continuous``) is ``sign * (mean + sd z)`` with
    ``normal[arm] = (mean, sd)``. Treatment patients come first (arm 0), then control.

    A timed component (``timed[j]``: time to death by day D, its cut point the latent of
    ``S(D)``) gives a patient who died (``z`` above the cut) the time ``T`` with
    ``S(T) = Phi(z)``: the higher the latent, the earlier the death. ``S`` is piecewise
    exponential: ``pieces[j, arm]`` holds the starts of the pieces, their hazards and the
    cumulative hazard at the starts (padded with infinite cumulative hazards), and
    ``T = start + (H - H(start)) / hazard`` in the piece holding ``H = -log Phi(z)``.
    """
    k = lower.shape[0]
    k_d = levels.shape[0]
    n = n_t + n_c
    scores = np.empty((n, max(k_d, 1)), np.int64)
    values = np.empty(n)
    times = np.empty((max(k_d, 1), n))
    e = np.empty(k)
    work = workspace(n, levels)
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
                        raw = 0  # cut points below z, all counted: no branch on z
                        for c in range(levels[j] - 1):
                            raw += cuts[j, arm, c] < z
                        scores[m, j] = levels[j] - 1 - raw if flip[j] else raw
                        if timed[j] and raw == 1:
                            times[j, m] = _death_time(z, pieces[j, arm])
                    else:
                        values[m] = sign * (normal[arm, 0] + normal[arm, 1] * z)
                m += 1
            if arm == 0:
                m_t = m
        if m_t == 0 or m == m_t:
            out[r, 0], out[r, 1] = m_t, m - m_t
            out[r, 2:] = math.nan
            continue
        _count_wins(scores, values, times, m, m_t, levels, terminal, timed, continuous,
                    margin, out[r], work)


@kernel(inline=True)
def _death_time(z, pieces):
    """``T`` with ``S(T) = Phi(z)``: ``H(T) = -log Phi(z)``, inverted piece by piece."""
    hazard = -math.log1p(-0.5 * math.erfc(z / math.sqrt(2.0)))
    q = 0
    while q + 1 < pieces.shape[1] and pieces[2, q + 1] <= hazard:
        q += 1
    return pieces[0, q] + (hazard - pieces[2, q]) / pieces[1, q]
