"""Endpoints correlated within a patient, simulated jointly by a Gaussian copula.

Each patient of a correlated group of endpoints gets one latent standard normal per endpoint,
``Z = L E`` with ``L`` the Cholesky factor of the group's correlation matrix (endpoints in
scenario order) and ``E_j`` drawn from endpoint j's own random stream (:mod:`simtrial.rng`,
keyed by its id); ``Z_1 = E_1``, so the first endpoint's outcomes do not depend on the
correlations. ``Z_j`` becomes the outcome through endpoint j's distribution:

- binary: an event when ``Z > Phi^{-1}(1 - p)``: the event is the upper tail of the latent
  normal, so rho > 0 means the event goes with higher values of the other endpoint (rho is
  the latent, tetrachoric correlation);
- normal: ``mean + sd Z`` (rho is the correlation of the outcomes);
- log-normal: ``log gmean + log(gsd) Z`` (rho is the correlation of the log outcomes);
- score and ordinal: the level whose cumulative probability interval holds ``Phi(Z)``
  (rho is the latent, polychoric correlation);
- an endpoint analysed with its baseline (ANCOVA, change score): ``Z`` is the follow-up's
  latent, and the baseline's is ``rho_b Z + sqrt(1 - rho_b^2) E_b`` with ``rho_b`` the
  endpoint's baseline correlation and ``E_b`` from a stream of its own (keyed
  ``<id>.baseline``), so the baseline correlates with another endpoint by ``rho_b`` times the
  follow-up's correlation.

Dropout is a property of the visit: one uniform ``U`` per patient, from the first endpoint's
stream, and a patient is unassessed for endpoint j when ``U < dropout_j``. Endpoints with the
same dropout therefore lose the same patients; with different rates the missingness is nested.

The simulation runs patient by patient in compiled kernels, a block of replicates at a time
(:func:`simulate_group_looks_chunk`, :mod:`simtrial.kernels.group`); :func:`joint_model`
prepares their arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simtrial import rng
from simtrial.kernels.group import (
    baseline_rows,
    counts_rows,
    draw_latents,
    level_moment_rows,
    level_po_rows,
    level_rank_rows,
    moments_rows,
    skip_normals,
    value_rank_rows,
)
from simtrial.kernels.ranks import quantile_buckets
from simtrial.scenario import Endpoint, correlation_matrix
from simtrial.stattests import TESTS, Statistic

__all__ = ["BLOCK_BYTES", "LATENT_BYTES", "JointModel", "correlated_groups", "draw_block",
           "joint_model", "latent_block", "simulate_group_chunk", "simulate_group_looks_chunk"]

#: Memory a chunk may take for the first endpoint's latents (:func:`latent_block`).
LATENT_BYTES = 64 * 2**20
#: Memory a chunk may take for a block of replicates' latents, noise and visits
#: (:func:`draw_block`).
BLOCK_BYTES = 8 * 2**20


def correlated_groups(endpoints, correlations) -> list[list[Endpoint]]:
    """Split ``endpoints`` into groups linked by nonzero correlations, in scenario order.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> [[e.id for e in g] for g in correlated_groups(sc.endpoints[:3], ())]
    [['walk_lln'], ['sf36_gh'], ['walk_m']]
    """
    ids = [ep.id for ep in endpoints]
    parent = {i: i for i in ids}

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for (a, b), rho in correlations:
        if rho != 0 and a in parent and b in parent:
            parent[root(b)] = root(a)
    groups: dict[str, list[Endpoint]] = {}
    for ep in endpoints:
        groups.setdefault(root(ep.id), []).append(ep)
    return list(groups.values())


@dataclass(frozen=True)
class JointModel:
    """A correlated group's endpoints at a sample size, as :mod:`simtrial.kernels.group` takes them.

    Built once per group and n by :func:`joint_model`; :func:`simulate_group_looks_chunk`
    runs it.
    """

    ids: tuple[str, ...]
    statistics: tuple[Statistic, ...]
    n_t: int
    n_c: int
    #: Lower Cholesky factor of the correlation matrix (endpoints in ``ids`` order).
    lower: np.ndarray
    #: The endpoints with a baseline, whose noise is drawn after the latents, in order.
    noisy: tuple[int, ...]
    #: Per endpoint: its mode's row kernel, the rows of the drawn latents it reads (its own,
    #: and its baseline noise) and its own arguments (the module docstring of
    #: :mod:`simtrial.kernels.group`).
    rows: tuple[tuple[Callable, tuple[int, ...], tuple], ...]


def joint_model(group, correlations, n_t: int, n_c: int) -> JointModel:
    """The arguments of :mod:`simtrial.kernels.group`'s kernels for a group at (n_t, n_c).

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> group = correlated_groups(sc.endpoints, sc.correlations)[0]
    >>> model = joint_model(group, sc.correlations, 260, 140)
    >>> model.ids, [statistic.name for statistic in model.statistics]
    (('walk_lln', 'sf36_gh', 'walk_m'), ['counts', 'baseline', 'baseline'])
    >>> [(kernel.__name__, latents) for kernel, latents, _ in model.rows]
    [('counts_rows', (0,)), ('baseline_rows', (1, 3)), ('baseline_rows', (2, 4))]
    """
    statistics = tuple(TESTS[ep.test].statistic for ep in group)
    copulas = [ep.model.copula(ep, statistic.name)
               for ep, statistic in zip(group, statistics, strict=True)]
    noisy = [j for j, copula in enumerate(copulas)
             if copula.mode in ("baseline_values", "baseline_levels")]
    rows = []
    for j, (ep, copula) in enumerate(zip(group, copulas, strict=True)):
        kernel, arguments = _row_kernel(copula, np.array(ep.dropout, np.float64), n_t, n_c)
        latents = (j, len(group) + noisy.index(j)) if j in noisy else (j,)
        rows.append((kernel, latents, arguments))
    lower = np.linalg.cholesky(np.array(correlation_matrix([ep.id for ep in group],
                                                          correlations)))
    return JointModel(ids=tuple(ep.id for ep in group), statistics=statistics, n_t=n_t,
                      n_c=n_c, lower=lower, noisy=tuple(noisy), rows=tuple(rows))


def _row_kernel(copula, drops: np.ndarray, n_t: int, n_c: int) -> tuple[Callable, tuple]:
    """An endpoint's row kernel (by its copula's mode) and its own arguments."""
    params = np.array(copula.params, np.float64)
    cuts = None if copula.cuts is None else np.array(copula.cuts, np.float64)
    if copula.mode == "counts":
        return counts_rows, (params, drops)
    if copula.mode == "moments":
        return moments_rows, (params, drops)
    if copula.mode == "value_ranks":
        low, scale, table = quantile_buckets(n_t, *params[0], n_c, *params[1], 2 * (n_t + n_c))
        return value_rank_rows, (params, drops, low, scale, table)
    if copula.mode == "level_ranks":
        return level_rank_rows, (cuts, drops)
    if copula.mode == "level_moments":  # the values a t test of the levels averages
        return level_moment_rows, (cuts, drops, np.array(copula.levels, np.float64))
    if copula.mode == "level_po":
        return level_po_rows, (cuts, drops)
    on_levels = copula.mode == "baseline_levels"  # else baseline_values
    follow_up_and_baseline = (np.array([*copula.cuts, copula.baseline_cuts], np.float64)
                              if on_levels and copula.cuts is not None else np.empty((3, 0)))
    return baseline_rows, (params, drops, np.array(copula.baseline, np.float64),
                           follow_up_and_baseline,
                           np.array(copula.levels if on_levels else [0.0], np.float64),
                           on_levels)


def simulate_group_chunk(model: JointModel, seed: int, chunk: int,
                         size: int) -> list[np.ndarray]:
    """Sufficient statistics of every endpoint of a correlated group for one chunk.

    Returns one array per endpoint, ``size`` rows of its test's statistics
    (:class:`simtrial.stattests.Statistic`: counts, moments or rank statistics): the one look
    of :func:`simulate_group_looks_chunk` at ``(model.n_t, model.n_c)``.
    """
    looks = simulate_group_looks_chunk(model, seed, chunk, size, np.array([model.n_t]),
                                       np.array([model.n_c]))
    return [statistics[0] for statistics in looks]


def simulate_group_looks_chunk(model: JointModel, seed: int, chunk: int, size: int,
                               sizes_t: np.ndarray, sizes_c: np.ndarray) -> list[np.ndarray]:
    """Each endpoint's statistics at every look (nested samples) of a chunk's trials.

    The trials of ``model.n_t`` treated and ``model.n_c`` control patients, analysed at look k
    on the first ``sizes_t[k]`` treated and ``sizes_c[k]`` control patients (non-decreasing,
    the last look all of them: :func:`simulate_group_chunk`'s answer). Returns one array per
    endpoint of shape (looks, size, columns). A group may hold one endpoint: the interim looks
    of a test whose endpoint model has no nested-sample kernel (ranks of scores, ordinal
    levels).

    The replicates are drawn and reduced :func:`draw_block` at a time
    (:func:`simtrial.kernels.group.draw_latents`, then each endpoint's row kernel), so that a
    run compiles only the modes its endpoints use and a chunk takes bounded memory: at most
    :data:`LATENT_BYTES` for the first endpoint's latents held ahead (:func:`latent_block`)
    and :data:`BLOCK_BYTES` for a block's latents, noise and visits (at least one replicate's,
    ``8 (k + b + 1) n`` bytes for k endpoints, b of them with a baseline). The numbers drawn
    are the same for any block.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> group = correlated_groups(sc.endpoints, sc.correlations)[0]
    >>> model = joint_model(group, sc.correlations, 260, 140)
    >>> sizes_t, sizes_c = np.array([130, 260]), np.array([70, 140])
    >>> looks = simulate_group_looks_chunk(model, 1, 0, 50, sizes_t, sizes_c)
    >>> final = simulate_group_chunk(model, 1, 0, 50)
    >>> all(np.array_equal(a[-1], b) for a, b in zip(looks, final))
    True
    """
    generators = tuple(rng.chunk_generator(seed, ep_id, chunk) for ep_id in model.ids)
    n = model.n_t + model.n_c
    ahead = latent_block(size, n)
    visits = generators[0]
    if ahead < size:  # a second copy of the stream, moved past the latents to the uniforms
        visits = rng.chunk_generator(seed, model.ids[0], chunk)
        skip_normals(visits, size * n)
    generators += tuple(rng.chunk_generator(seed, f"{model.ids[j]}.baseline", chunk)
                        for j in model.noisy)  # each baseline's noise, a stream of its own
    block = draw_block(size, n, len(generators) + 1)
    first, latents = np.empty((ahead, n)), np.empty((len(generators), block, n))
    visit = np.empty((block, n))
    sizes_t, sizes_c = (np.ascontiguousarray(sizes, np.int64) for sizes in (sizes_t, sizes_c))
    outs = [np.empty((len(sizes_t), size, statistic.columns)) for statistic in model.statistics]
    for start in range(0, size, block):
        draw_latents(generators, visits, model.lower, start, size, first, latents, visit)
        count = min(block, size - start)
        for (kernel, rows, arguments), out in zip(model.rows, outs, strict=True):
            kernel(*(latents[row, :count] for row in rows), visit[:count], model.n_t, sizes_t,
                   sizes_c, *arguments, start, out)
    return [np.ascontiguousarray(out, dtype=statistic.dtype)
            for out, statistic in zip(outs, model.statistics, strict=True)]


def latent_block(size: int, n: int) -> int:
    """Replicates whose first-endpoint latents a chunk of ``size`` holds at once.

    The whole chunk while that takes at most :data:`LATENT_BYTES` (n up to 8,000 at chunks
    of 1,000), else as many as fit (at least one); past the whole chunk the visit uniforms
    come from a second generator, which costs one more normal draw per patient.

    Examples
    --------
    >>> latent_block(1000, 400), latent_block(1000, 100_000), latent_block(1000, 10**7)
    (1000, 83, 1)
    """
    return max(1, min(size, LATENT_BYTES // (8 * n)))


def draw_block(size: int, n: int, rows: int) -> int:
    """Replicates a block of a chunk of ``size`` draws at once, ``rows`` arrays of n a replicate.

    As many as fit in :data:`BLOCK_BYTES` (at least one, at most the chunk): the endpoints'
    latents, baseline noise and visit uniforms of a block are written by one kernel and read
    by the next while they are in the processor's last-level cache, and a chunk takes few
    blocks (each costs a kernel call per endpoint: the whole chunk at a time up to n = 174
    for three endpoints, two with a baseline, at chunks of 1,000).

    Examples
    --------
    >>> draw_block(1000, 400, 6), draw_block(1000, 20, 2), draw_block(1000, 10**6, 6)
    (436, 1000, 1)
    """
    return max(1, min(size, BLOCK_BYTES // (8 * rows * n)))
