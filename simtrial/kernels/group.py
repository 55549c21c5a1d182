"""Endpoints correlated within a patient, simulated jointly and patient by patient.

:func:`group_stats` draws every patient's latent normals (one per endpoint, each endpoint from
its own generator), correlates them with the Cholesky factor of the group's correlation matrix,
draws one visit uniform per patient for the dropout, turns each endpoint's latent into its
outcome and reduces it to the statistics the endpoint's test needs, one replicate at a time in
buffers the size of one trial. :mod:`simtrial.correlated` documents the model and builds the
arguments.

Each endpoint has a mode:

- :data:`COUNTS` (binary): an event when the latent exceeds the arm's cut; fills ``(m_t, x_t,
  m_c, x_c)`` as :func:`simtrial.kernels.binary.binomial_counts` does;
- :data:`MOMENTS` (normal, or log-normal on the log scale): the value is ``mean + sd z``; fills
  ``(m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` as :func:`simtrial.kernels.continuous.normal_moments`
  does;
- :data:`VALUE_RANKS`: the same values, ranked by
  :func:`simtrial.kernels.ranks.value_rank_stats`; fills
  ``(m_t, m_c, u_t, tie_term)`` as :func:`simtrial.kernels.ranks.normal_rank_stats` does;
- :data:`LEVEL_RANKS` and :data:`LEVEL_MOMENTS` (score and ordinal): the level is the number of
  the arm's latent cut points at or below the latent (:func:`level_of`); patients are counted
  per level and ranked by :func:`simtrial.kernels.ranks.rank_stats_from_counts`, or the moments
  of the level values are computed by :func:`simtrial.kernels.grid.moments_from_counts`;
  :data:`LEVEL_PO` fits the proportional-odds model to the counts
  (:func:`simtrial.kernels.ordinal.po_lr_from_counts`).
- :data:`BASELINE_VALUES` and :data:`BASELINE_LEVELS` (a follow-up value or level with its
  baseline, for ANCOVA): the follow-up is the value or level of the latent, the baseline that
  of ``rho z + sqrt(1 - rho^2) e`` with ``e`` a standard normal per patient from the
  endpoint's baseline generator; fills the 12 columns of
  :func:`simtrial.kernels.baseline.baseline_row`.
"""

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.baseline import baseline_row
from simtrial.kernels.grid import moments_from_counts
from simtrial.kernels.levels import level_of
from simtrial.kernels.ordinal import po_lr_from_counts, po_workspace
from simtrial.kernels.ranks import rank_scratch, rank_stats_from_counts, value_rank_stats

__all__ = ["BASELINE_LEVELS", "BASELINE_VALUES", "COUNTS", "LEVEL_MOMENTS", "LEVEL_PO",
           "LEVEL_RANKS", "MOMENTS", "VALUE_RANKS", "group_prefix_stats", "group_stats",
           "level_of", "skip_normals"]

(COUNTS, MOMENTS, VALUE_RANKS, LEVEL_RANKS, LEVEL_MOMENTS, BASELINE_VALUES, BASELINE_LEVELS,
 LEVEL_PO) = range(8)


@kernel
def group_stats(rngs, visits, lower, n_t, n_c, modes, params, drops, cuts, n_cuts, levels,
                buckets, tables, baseline_rngs, baselines, first, out):
    """Fill ``out[j, r]`` with endpoint j's statistics in replicate r (module docstring).

    Parameters
    ----------
    rngs : tuple of k numpy Generators
        Endpoint j's latents come from ``rngs[j]``.
    visits : numpy Generator
        The visit uniforms: endpoint 0's stream after all of its latents, that is ``rngs[0]``
        itself when ``first`` holds every replicate, else a second generator of that stream
        advanced past ``reps * n`` normals (:func:`skip_normals`).
    lower : float64 array (k, k)
        Lower Cholesky factor of the correlation matrix: ``z_j = sum_l lower[j, l] e_l``.
    n_t, n_c : int
        Patients per arm; in every replicate the first ``n_t`` are treated.
    modes : int64 array (k,)
        :data:`COUNTS`, :data:`MOMENTS`, :data:`VALUE_RANKS`, :data:`LEVEL_RANKS` or
        :data:`LEVEL_MOMENTS`.
    params : float64 array (k, 2, 2)
        Per endpoint and arm (treatment, control): ``(cut, 0)`` for counts, ``(mean, sd)`` on
        the normal scale for values; unused for levels.
    drops : float64 array (k, 2)
        Dropout per endpoint and arm: a patient is unassessed when the visit uniform is below.
    cuts : float64 array (k, 3, c)
        Ascending latent cut points of the levels per endpoint and arm, the first
        ``n_cuts[j]`` used; row 2: a baseline score's (:data:`BASELINE_LEVELS`).
    n_cuts : int64 array (k,)
    levels : float64 array (k, c + 1)
        Values of the levels (:data:`LEVEL_MOMENTS`), the first ``n_cuts[j] + 1`` used.
    buckets : float64 array (k, 3)
        ``(low, scale, table size)`` of :func:`simtrial.kernels.ranks.quantile_buckets` per
        endpoint (:data:`VALUE_RANKS`), whose tables are the rows of ``tables`` (uint32, padded).
    baseline_rngs : tuple of k numpy Generators
        Endpoint j's baseline noise ``e`` (n normals a replicate, drawn only in the baseline
        modes).
    baselines : float64 array (k, 3)
        ``(mean, sd, rho)`` of the baseline per endpoint (baseline modes; mean and sd are
        unused for levels).
    first : float64 array (block, n)
        Room for endpoint 0's latents of ``block`` replicates at a time, drawn ``block``
        replicates ahead; ``block = reps`` (one draw for the chunk) or fewer for large ``n``.
    out : float64 array (k, reps, 6 or 12)

    Notes
    -----
    Each generator draws in the order of ``rng.standard_normal((reps, n))``, and ``rngs[0]``
    then of ``rngs[0].random((reps, n))``: the numbers that numpy code would draw, so the
    kernel can be checked against a numpy version of the model (tests/test_correlated.py).
    The results are the same for any ``block``: only the memory they take differs.
    """
    k, reps = out.shape[0], out.shape[1]
    n = n_t + n_c
    block = first.shape[0]
    latent = np.empty((k, n))
    z = np.empty(n)
    visit = np.empty(n)
    counts_t = np.empty(levels.shape[1], np.int64)
    counts_c = np.empty(levels.shape[1], np.int64)
    values = np.empty(n)
    noise = np.empty(n)
    scratch = rank_scratch(n, 2 * n)
    work = po_workspace(levels.shape[1])
    for r in range(reps):
        _draw_replicate(rngs, visits, r, reps, first, latent, visit)
        for j in range(k):
            _patient_latents(j, lower, first[r % block], latent, modes, baseline_rngs, z, noise)
            _endpoint_row(modes[j], z, noise, visit, n_t, params[j], drops[j], cuts[j],
                          n_cuts[j], levels[j], buckets[j], tables[j], baselines[j], counts_t,
                          counts_c, values, scratch, work, out[j, r])


@kernel
def group_prefix_stats(rngs, visits, lower, n_t, n_c, sizes_t, sizes_c, modes, params, drops,
                       cuts, n_cuts, levels, buckets, tables, baseline_rngs, baselines, first,
                       out):
    """Fill ``out[j, look, r]`` with endpoint j's statistics at each look of replicate r.

    The same patients as :func:`group_stats` at ``(n_t, n_c)``, from the same random numbers,
    analysed at nested looks: look k holds the statistics of the first ``sizes_t[k]`` treated
    and the first ``sizes_c[k]`` control patients (``sizes_*`` non-decreasing int64 arrays,
    the last equal to ``n_t`` and ``n_c``), so the last look equals :func:`group_stats`'s
    answer. Each look is computed afresh from its patients (ranks, ties and all), at a cost
    of one pass over them. The other arguments are :func:`group_stats`'s; ``out`` is a
    float64 array (k, looks, reps, 6 or 12).
    """
    k, looks, reps = out.shape[0], out.shape[1], out.shape[2]
    n = n_t + n_c
    block = first.shape[0]
    latent = np.empty((k, n))
    z = np.empty(n)
    visit = np.empty(n)
    noise = np.empty(n)
    z_look = np.empty(n)
    visit_look = np.empty(n)
    noise_look = np.empty(n)
    counts_t = np.empty(levels.shape[1], np.int64)
    counts_c = np.empty(levels.shape[1], np.int64)
    values = np.empty(n)
    scratch = rank_scratch(n, 2 * n)
    work = po_workspace(levels.shape[1])
    for r in range(reps):
        _draw_replicate(rngs, visits, r, reps, first, latent, visit)
        for j in range(k):
            _patient_latents(j, lower, first[r % block], latent, modes, baseline_rngs, z, noise)
            for look in range(looks):
                m_t, m_c = sizes_t[look], sizes_c[look]
                _prefix(z, n_t, m_t, m_c, z_look)
                _prefix(visit, n_t, m_t, m_c, visit_look)
                _prefix(noise, n_t, m_t, m_c, noise_look)
                _endpoint_row(modes[j], z_look[:m_t + m_c], noise_look[:m_t + m_c],
                              visit_look[:m_t + m_c], m_t, params[j], drops[j], cuts[j],
                              n_cuts[j], levels[j], buckets[j], tables[j], baselines[j],
                              counts_t, counts_c, values, scratch, work, out[j, look, r])


@kernel(inline=True)
def _draw_replicate(rngs, visits, r, reps, first, latent, visit):
    """Replicate r's draws: endpoint 0's latents (``first``, a block ahead), the others', visits."""
    block = first.shape[0]
    if r % block == 0:
        for s in range(min(block, reps - r)):
            _standard_normals(rngs[0], first[s])
    for j in range(1, latent.shape[0]):
        _standard_normals(rngs[j], latent[j])
    _uniforms(visits, visit)


@kernel(inline=True)
def _patient_latents(j, lower, first, latent, modes, baseline_rngs, z, noise):
    """Endpoint j's correlated latents into ``z`` and, with a baseline, its noise."""
    _combine(lower[j], first, latent, z)
    if modes[j] == BASELINE_VALUES or modes[j] == BASELINE_LEVELS:
        _standard_normals(baseline_rngs[j], noise)


@kernel(inline=True)
def _prefix(x, n_t, m_t, m_c, out):
    """The first ``m_t`` treated then the first ``m_c`` control entries of ``x`` into ``out``."""
    for i in range(m_t):
        out[i] = x[i]
    for i in range(m_c):
        out[m_t + i] = x[n_t + i]


@kernel(inline=True)
def _endpoint_row(mode, z, noise, visit, n_t, params, drops, cuts, n_cuts, levels, buckets,
                  tables, baseline, counts_t, counts_c, values, scratch, work, row):
    """One endpoint's statistics from its latents ``z`` (treated first), by its mode."""
    n = z.shape[0]
    if mode == COUNTS:
        _counts(z, visit, n_t, params, drops, row)
    elif mode == MOMENTS:
        _moments(z, visit, n_t, params, drops, row)
    elif mode == BASELINE_VALUES or mode == BASELINE_LEVELS:
        baseline_row(z, noise, visit, n_t, params, drops, baseline, cuts, n_cuts, levels,
                     mode == BASELINE_LEVELS, row)
    elif mode == VALUE_RANKS:
        m_t, m = _assessed_values(z, visit, n_t, params, drops, values)
        row[0], row[1] = m_t, m - m_t
        row[2], row[3] = value_rank_stats(values, m, m_t, buckets[0], buckets[1],
                                          tables[:int(buckets[2])], scratch)
    else:
        size = n_cuts + 1
        m_t = _level_counts(z, visit, 0, n_t, cuts[0, :size - 1], drops[0], counts_t[:size])
        m_c = _level_counts(z, visit, n_t, n, cuts[1, :size - 1], drops[1], counts_c[:size])
        if mode == LEVEL_RANKS:
            row[0], row[1] = m_t, m_c
            row[2], row[3] = rank_stats_from_counts(counts_t[:size], counts_c[:size])
        elif mode == LEVEL_PO:
            row[0], row[1] = m_t, m_c
            row[2], row[3], row[4] = po_lr_from_counts(counts_t[:size], counts_c[:size], work)
        else:
            row[0], row[3] = m_t, m_c
            row[1], row[2] = moments_from_counts(levels[:size], counts_t[:size], m_t)
            row[4], row[5] = moments_from_counts(levels[:size], counts_c[:size], m_c)


@kernel
def skip_normals(generator, count):
    """Draw ``count`` standard normals and drop them: the generator moves on as if it drew."""
    for _ in range(count):
        generator.standard_normal()


@kernel
def _standard_normals(generator, out):
    """Fill ``out`` with standard normals, in order (one compiled copy of the ziggurat)."""
    for i in range(out.shape[0]):
        out[i] = generator.standard_normal()


@kernel
def _uniforms(generator, out):
    """Fill ``out`` with uniforms on [0, 1), in order."""
    for i in range(out.shape[0]):
        out[i] = generator.random()


@kernel
def _combine(weights, first, latent, z):
    """``z = weights[0] first + sum_l weights[l] latent[l]``, l >= 1, in that order.

    Rows of ``latent`` with a zero weight are skipped; its row 0 is not read.
    """
    for i in range(z.shape[0]):
        z[i] = weights[0] * first[i]
    for col in range(1, weights.shape[0]):
        if weights[col] != 0.0:
            for i in range(z.shape[0]):
                z[i] += weights[col] * latent[col, i]


@kernel
def _counts(z, visit, n_t, params, drops, row):
    """``(m_t, x_t, m_c, x_c)``: assessed and events (latent above the arm's cut) per arm."""
    for arm, start, stop in ((0, 0, n_t), (1, n_t, z.shape[0])):
        assessed = 0
        events = 0
        cut, drop = params[arm, 0], drops[arm]
        for i in range(start, stop):  # branch-free: dropout and events are coin flips
            seen = visit[i] >= drop
            assessed += seen
            events += seen & (z[i] > cut)
        row[2 * arm], row[2 * arm + 1] = assessed, events


@kernel
def _moments(z, visit, n_t, params, drops, row):
    """``(m, mean, ss)`` per arm of the assessed values ``mean + sd z``, in two passes."""
    for arm, start, stop in ((0, 0, n_t), (1, n_t, z.shape[0])):
        mean, sd, drop = params[arm, 0], params[arm, 1], drops[arm]
        m = 0
        total = 0.0
        for i in range(start, stop):
            seen = visit[i] >= drop
            m += seen
            total += seen * (mean + sd * z[i])
        avg = total / m if m > 0 else 0.0
        ss = 0.0
        for i in range(start, stop):
            ss += (visit[i] >= drop) * (mean + sd * z[i] - avg) ** 2
        row[3 * arm], row[3 * arm + 1], row[3 * arm + 2] = m, avg, ss


@kernel
def _assessed_values(z, visit, n_t, params, drops, values):
    """Write the assessed values ``mean + sd z``, treated first; return ``(m_t, m)``."""
    m = 0
    m_t = 0
    for arm, start, stop in ((0, 0, n_t), (1, n_t, z.shape[0])):
        mean, sd, drop = params[arm, 0], params[arm, 1], drops[arm]
        for i in range(start, stop):  # branch-free: overwritten unless assessed
            values[m] = mean + sd * z[i]
            m += visit[i] >= drop
        if arm == 0:
            m_t = m
    return m_t, m


@kernel
def _level_counts(z, visit, start, stop, cuts, drop, counts):
    """Count the assessed among patients ``start`` to ``stop`` per level; return how many."""
    for k in range(counts.shape[0]):
        counts[k] = 0
    assessed = 0
    for i in range(start, stop):  # adding the flag: a dropout is as unpredictable as a level
        seen = visit[i] >= drop
        counts[level_of(cuts, z[i])] += seen
        assessed += seen
    return assessed
