"""Endpoints correlated within a patient, simulated jointly and patient by patient.

:func:`draw_latents` draws a block of replicates' patients: every endpoint's latent normals
(each endpoint from its own generator), correlated with the Cholesky factor of the group's
correlation matrix, one visit uniform per patient for the dropout and, for an endpoint
analysed with its baseline, the baseline noise. One kernel per mode then reduces an
endpoint's latents to the statistics its test needs, replicate by replicate and look by look
(a look analyses the first patients of each arm; a fixed design has one look, all of them),
so a run compiles the modes its endpoints use. :mod:`simtrial.correlated` documents the
model, builds the arguments and calls the kernels block by block.

The modes, each a kernel filling a row per look and replicate:

- :func:`counts_rows` (binary): an event when the latent exceeds the arm's cut; ``(m_t, x_t,
  m_c, x_c)`` as :func:`simtrial.kernels.binary.binomial_counts` fills them;
- :func:`moments_rows` (normal, or log-normal on the log scale): the value is ``mean + sd
  z``; ``(m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` as
  :func:`simtrial.kernels.continuous.normal_moments` fills them;
- :func:`value_rank_rows`: the same values, ranked by
  :func:`simtrial.kernels.ranks.value_rank_stats`; ``(m_t, m_c, u_t, tie_term)`` as
  :func:`simtrial.kernels.ranks.normal_rank_stats` fills them;
- :func:`level_rank_rows`, :func:`level_moment_rows` and :func:`level_po_rows` (score and
  ordinal): the level is the number of the arm's latent cut points at or below the latent
  (:func:`level_of`); patients are counted per level and ranked by
  :func:`simtrial.kernels.ranks.rank_stats_from_counts`, or the moments of the level values
  are computed by :func:`simtrial.kernels.grid.moments_from_counts`, or the
  proportional-odds model is fitted to the counts
  (:func:`simtrial.kernels.ordinal.po_lr_from_counts`);
- :func:`baseline_rows` (a follow-up value or level with its baseline, for ANCOVA): the
  follow-up is the value or level of the latent, the baseline that of ``rho z + sqrt(1 -
  rho^2) e`` with ``e`` the endpoint's baseline noise; the 12 columns of
  :func:`simtrial.kernels.baseline.baseline_row`.

Each row kernel takes ``(z, visit, n_t, sizes_t, sizes_c, ..., start, out)`` (the baseline's
``(z, noise, visit, ...)``): the endpoint's latents and the visit uniforms of a block, shape
(replicates, n) with the ``n_t`` treated patients first; the looks' patients per arm
(non-decreasing int64 arrays, the last ``n_t`` and ``n_c``: look k holds the first
``sizes_t[k]`` treated and ``sizes_c[k]`` control patients); the endpoint's parameters (each
kernel's own, in its docstring); and ``out`` (float64, shape (looks, reps, columns)), whose rows
``start`` onwards the block fills. Each look is computed afresh from its patients (ranks,
ties and all), so the last look is the whole trial's answer.
"""

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.baseline import baseline_row
from simtrial.kernels.grid import moments_from_counts
from simtrial.kernels.levels import level_of
from simtrial.kernels.ordinal import po_lr_from_counts, po_workspace
from simtrial.kernels.ranks import rank_scratch, rank_stats_from_counts, value_rank_stats

__all__ = ["baseline_rows", "counts_rows", "draw_latents", "level_moment_rows", "level_of",
           "level_po_rows", "level_rank_rows", "moments_rows", "skip_normals",
           "value_rank_rows"]


@kernel
def draw_latents(rngs, visits, lower, start, reps, first, latents, visit):
    """Fill a block's latents and visits: replicates ``start`` on of a chunk of ``reps``.

    Parameters
    ----------
    rngs : tuple of k + b numpy Generators
        Endpoint j's latents come from ``rngs[j]``; the baseline noise of the b endpoints with
        a baseline, in order, from ``rngs[k:]``.
    visits : numpy Generator
        The visit uniforms: endpoint 0's stream after all of its latents, that is ``rngs[0]``
        itself when ``first`` holds every replicate, else a second generator of that stream
        advanced past ``reps * n`` normals (:func:`skip_normals`).
    lower : float64 array (k, k)
        Lower Cholesky factor of the correlation matrix: ``z_j = sum_l lower[j, l] e_l``.
    start, reps : int
        The block's first replicate and the chunk's number of replicates.
    first : float64 array (ahead, n)
        Room for endpoint 0's latents of ``ahead`` replicates at a time, drawn ``ahead``
        replicates ahead (at replicates 0, ahead, 2 ahead...): ``ahead = reps`` (one draw for
        the chunk) or fewer for large ``n``; it carries them from block to block.
    latents : float64 array (k + b, block, n)
        Filled: ``latents[j, s]`` endpoint j's correlated latents ``z`` in replicate
        ``start + s``, and ``latents[k + i, s]`` the i-th baseline noise.
    visit : float64 array (block, n)
        Filled: the visit uniforms of replicate ``start + s``.

    Notes
    -----
    The block holds ``min(block, reps - start)`` replicates. Each generator draws in the
    order of ``rng.standard_normal((reps, n))``, and ``rngs[0]`` then of
    ``rngs[0].random((reps, n))``: the numbers that numpy code would draw, so the kernels can
    be checked against a numpy version of the model (tests/test_correlated.py). The numbers
    are the same for any ``ahead`` and ``block``: only the memory they take differs.
    """
    k = lower.shape[0]
    ahead = first.shape[0]
    raw = np.empty((k, visit.shape[1]))  # row 0 is not used: endpoint 0's are in `first`
    for s in range(min(visit.shape[0], reps - start)):
        r = start + s
        if r % ahead == 0:
            for t in range(min(ahead, reps - r)):
                _standard_normals(rngs[0], first[t])
        for j in range(1, k):
            _standard_normals(rngs[j], raw[j])
        _uniforms(visits, visit[s])
        for j in range(k):
            _combine(lower[j], first[r % ahead], raw, latents[j, s])
        for j in range(k, len(rngs)):
            _standard_normals(rngs[j], latents[j, s])


@kernel
def counts_rows(z, visit, n_t, sizes_t, sizes_c, params, drops, start, out):
    """Binary: ``(m_t, x_t, m_c, x_c)``, events above the cut ``params[arm, 0]``.

    ``drops`` (float64, shape (2,)): a patient of the arm is unassessed when the visit uniform
    is below it. The other arguments: the module docstring.
    """
    looks = _look_buffers(z)
    for r in range(z.shape[0]):
        for look in range(sizes_t.shape[0]):
            m_t, z_look, visit_look = _look(z[r], visit[r], n_t, sizes_t, sizes_c, look, looks)
            _counts(z_look, visit_look, m_t, params, drops, out[look, start + r])


@kernel
def moments_rows(z, visit, n_t, sizes_t, sizes_c, params, drops, start, out):
    """Values ``params[arm, 0] + params[arm, 1] z``: ``(m, mean, ss)`` per arm.

    As :func:`counts_rows`, whose docstring describes the other arguments.
    """
    looks = _look_buffers(z)
    for r in range(z.shape[0]):
        for look in range(sizes_t.shape[0]):
            m_t, z_look, visit_look = _look(z[r], visit[r], n_t, sizes_t, sizes_c, look, looks)
            _moments(z_look, visit_look, m_t, params, drops, out[look, start + r])


@kernel
def value_rank_rows(z, visit, n_t, sizes_t, sizes_c, params, drops, low, scale, table, start,
                    out):
    """The values of :func:`moments_rows` ranked: ``(m_t, m_c, u_t, tie_term)``.

    ``low``, ``scale`` and ``table`` (uint32) are the bucket map of
    :func:`simtrial.kernels.ranks.quantile_buckets`; the other arguments: :func:`counts_rows`.
    """
    looks = _look_buffers(z)
    values = np.empty(z.shape[1])
    scratch = rank_scratch(z.shape[1], 2 * z.shape[1])
    for r in range(z.shape[0]):
        for look in range(sizes_t.shape[0]):
            m_t, z_look, visit_look = _look(z[r], visit[r], n_t, sizes_t, sizes_c, look, looks)
            assessed_t, m = _assessed_values(z_look, visit_look, m_t, params, drops, values)
            row = out[look, start + r]
            row[0], row[1] = assessed_t, m - assessed_t
            row[2], row[3] = value_rank_stats(values, m, assessed_t, low, scale, table,
                                              scratch)


@kernel
def level_rank_rows(z, visit, n_t, sizes_t, sizes_c, cuts, drops, start, out):
    """Levels ranked: ``(m_t, m_c, u_t, tie_term)``.

    ``cuts`` (float64, shape (2, c)): the ascending latent cut points of the levels per arm;
    the other arguments: :func:`counts_rows`.
    """
    looks = _look_buffers(z)
    counts = np.empty((2, cuts.shape[1] + 1), np.int64)
    for r in range(z.shape[0]):
        for look in range(sizes_t.shape[0]):
            m_t, z_look, visit_look = _look(z[r], visit[r], n_t, sizes_t, sizes_c, look, looks)
            row = out[look, start + r]
            row[0], row[1] = _arm_levels(z_look, visit_look, m_t, cuts, drops, counts)
            row[2], row[3] = rank_stats_from_counts(counts[0], counts[1])


@kernel
def level_moment_rows(z, visit, n_t, sizes_t, sizes_c, cuts, drops, levels, start, out):
    """The values ``levels`` of the levels: ``(m, mean, ss)`` per arm.

    As :func:`level_rank_rows`, with one value per level (float64, shape (c + 1,)).
    """
    looks = _look_buffers(z)
    counts = np.empty((2, cuts.shape[1] + 1), np.int64)
    for r in range(z.shape[0]):
        for look in range(sizes_t.shape[0]):
            m_t, z_look, visit_look = _look(z[r], visit[r], n_t, sizes_t, sizes_c, look, looks)
            row = out[look, start + r]
            assessed_t, assessed_c = _arm_levels(z_look, visit_look, m_t, cuts, drops, counts)
            row[0], row[3] = assessed_t, assessed_c
            row[1], row[2] = moments_from_counts(levels, counts[0], assessed_t)
            row[4], row[5] = moments_from_counts(levels, counts[1], assessed_c)


@kernel
def level_po_rows(z, visit, n_t, sizes_t, sizes_c, cuts, drops, start, out):
    """Levels under the proportional-odds model: ``(m_t, m_c, z, beta, variance)``.

    As :func:`level_rank_rows`.
    """
    looks = _look_buffers(z)
    counts = np.empty((2, cuts.shape[1] + 1), np.int64)
    work = po_workspace(cuts.shape[1] + 1)
    for r in range(z.shape[0]):
        for look in range(sizes_t.shape[0]):
            m_t, z_look, visit_look = _look(z[r], visit[r], n_t, sizes_t, sizes_c, look, looks)
            row = out[look, start + r]
            row[0], row[1] = _arm_levels(z_look, visit_look, m_t, cuts, drops, counts)
            row[2], row[3], row[4] = po_lr_from_counts(counts[0], counts[1], work)


@kernel
def baseline_rows(z, noise, visit, n_t, sizes_t, sizes_c, params, drops, baseline, cuts,
                  levels, on_levels, start, out):
    """A follow-up with its baseline: the 12 columns of :func:`baseline_row`.

    ``noise`` (the block's baseline noise, as ``z``), ``params``, ``baseline``, ``cuts``
    (float64, shape (3, c): follow-up per arm, then baseline), ``levels`` and ``on_levels``
    are :func:`simtrial.kernels.baseline.baseline_row`'s; the other arguments:
    :func:`counts_rows`.
    """
    looks = _look_buffers(z)
    noise_look = np.empty(z.shape[1])
    for r in range(z.shape[0]):
        for look in range(sizes_t.shape[0]):
            m_t, z_look, visit_look = _look(z[r], visit[r], n_t, sizes_t, sizes_c, look, looks)
            baseline_row(z_look, _prefix(noise[r], n_t, m_t, sizes_c[look], noise_look),
                         visit_look, m_t, params, drops, baseline, cuts, cuts.shape[1], levels,
                         on_levels, out[look, start + r])


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
def _look_buffers(z):
    """Room for one look's latents and visit uniforms (rows 0 and 1), n each."""
    return np.empty((2, z.shape[1]))


@kernel
def _look(z, visit, n_t, sizes_t, sizes_c, look, buffers):
    """``(m_t, z, visit)`` of a look's patients: its first treated then first control ones."""
    m_t, m_c = sizes_t[look], sizes_c[look]
    return (m_t, _prefix(z, n_t, m_t, m_c, buffers[0]),
            _prefix(visit, n_t, m_t, m_c, buffers[1]))


@kernel
def _prefix(x, n_t, m_t, m_c, buffer):
    """The first ``m_t`` treated then the first ``m_c`` control entries of ``x``.

    ``x`` itself when it holds all ``n_t`` treated (no copy), else copied into ``buffer``.
    """
    if m_t == n_t:
        return x[:n_t + m_c]
    for i in range(m_t):
        buffer[i] = x[i]
    for i in range(m_c):
        buffer[m_t + i] = x[n_t + i]
    return buffer[:m_t + m_c]


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
def _arm_levels(z, visit, n_t, cuts, drops, counts):
    """Count the assessed per arm (``counts[arm]``) and level; return how many per arm."""
    return (_level_counts(z, visit, 0, n_t, cuts[0], drops[0], counts[0]),
            _level_counts(z, visit, n_t, z.shape[0], cuts[1], drops[1], counts[1]))


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
