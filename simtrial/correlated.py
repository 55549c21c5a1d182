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

The simulation runs patient by patient in one compiled pass per chunk
(:func:`simtrial.kernels.group.group_stats`); :func:`joint_model` prepares its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simtrial import rng
from simtrial.kernels.group import (
    BASELINE_LEVELS,
    BASELINE_VALUES,
    COUNTS,
    LEVEL_MOMENTS,
    LEVEL_PO,
    LEVEL_RANKS,
    MOMENTS,
    VALUE_RANKS,
    group_prefix_stats,
    group_stats,
    skip_normals,
)
from simtrial.kernels.ranks import quantile_buckets
from simtrial.scenario import Endpoint, correlation_matrix
from simtrial.stattests import TESTS, Statistic

__all__ = ["LATENT_BYTES", "JointModel", "correlated_groups", "joint_model", "latent_block",
           "simulate_group_chunk", "simulate_group_looks_chunk"]

#: Memory a chunk may take for the first endpoint's latents (:func:`latent_block`).
LATENT_BYTES = 64 * 2**20


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
    """A correlated group's endpoints at a sample size, as :func:`group_stats` takes them.

    Built once per group and n by :func:`joint_model`; :func:`simulate_group_chunk` runs it.
    """

    ids: tuple[str, ...]
    statistics: tuple[Statistic, ...]
    n_t: int
    n_c: int
    #: lower, modes, params, drops, cuts, n_cuts, levels, buckets, tables, baselines
    arguments: tuple


def joint_model(group, correlations, n_t: int, n_c: int) -> JointModel:
    """The arguments of :func:`simtrial.kernels.group.group_stats` for a group at (n_t, n_c).

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> group = correlated_groups(sc.endpoints, sc.correlations)[0]
    >>> model = joint_model(group, sc.correlations, 260, 140)
    >>> model.ids, [statistic.name for statistic in model.statistics]
    (('walk_lln', 'sf36_gh', 'walk_m'), ['counts', 'baseline', 'baseline'])
    """
    k = len(group)
    statistics = tuple(TESTS[ep.test].statistic for ep in group)
    copulas = [ep.model.copula(ep, statistic.name)
               for ep, statistic in zip(group, statistics, strict=True)]
    levels_max = max([len(c.cuts[0]) + 1 for c in copulas if c.cuts is not None] + [1])
    modes = np.array([_MODES[c.mode] for c in copulas], np.int64)
    params = np.array([c.params for c in copulas], np.float64)
    drops = np.array([ep.dropout for ep in group], dtype=np.float64)
    cuts = np.full((k, 3, levels_max - 1), np.inf)
    baselines = np.zeros((k, 3))
    n_cuts = np.zeros(k, np.int64)
    levels = np.zeros((k, levels_max))
    bucket_maps = {}
    for j, copula in enumerate(copulas):
        if copula.cuts is not None:
            for a, arm_cuts in enumerate(copula.cuts):
                cuts[j, a, :len(arm_cuts)] = arm_cuts
            n_cuts[j] = len(copula.cuts[0])
        if copula.baseline is not None:
            baselines[j] = copula.baseline
        if copula.baseline_cuts is not None:
            cuts[j, 2, :len(copula.baseline_cuts)] = copula.baseline_cuts
        if copula.levels is not None:  # the values a t test of the levels averages
            levels[j, :len(copula.levels)] = copula.levels
        if copula.mode == "value_ranks":
            bucket_maps[j] = quantile_buckets(n_t, *params[j, 0], n_c, *params[j, 1],
                                              2 * (n_t + n_c))
    buckets = np.zeros((k, 3))
    tables = np.zeros((k, max([len(m[2]) for m in bucket_maps.values()] + [1])), np.uint32)
    for j, (low, scale, table) in bucket_maps.items():
        buckets[j] = low, scale, len(table)
        tables[j, :len(table)] = table
    lower = np.linalg.cholesky(np.array(correlation_matrix([ep.id for ep in group],
                                                          correlations)))
    return JointModel(ids=tuple(ep.id for ep in group), statistics=statistics, n_t=n_t,
                      n_c=n_c, arguments=(lower, modes, params, drops, cuts, n_cuts, levels,
                                          buckets, tables, baselines))


def simulate_group_chunk(model: JointModel, seed: int, chunk: int,
                         size: int) -> list[np.ndarray]:
    """Sufficient statistics of every endpoint of a correlated group for one chunk.

    Returns one array per endpoint, ``size`` rows of its test's statistics
    (:class:`simtrial.stattests.Statistic`: counts, moments or rank statistics).
    The first endpoint's latents are held :func:`latent_block` replicates at a time, so a
    chunk takes ``O(n)`` memory at any n; the numbers drawn are the same for any block.
    """
    generators = tuple(rng.chunk_generator(seed, ep_id, chunk) for ep_id in model.ids)
    n = model.n_t + model.n_c
    block = latent_block(size, n)
    visits = generators[0]
    if block < size:  # a second copy of the stream, moved past the latents to the uniforms
        visits = rng.chunk_generator(seed, model.ids[0], chunk)
        skip_normals(visits, size * n)
    lower, modes, *rest, baselines = model.arguments
    out = np.empty((len(model.ids), size, max(s.columns for s in model.statistics)))
    group_stats(generators, visits, lower, model.n_t, model.n_c, modes, *rest,
                _baseline_generators(model, seed, chunk), baselines, np.empty((block, n)), out)
    return [np.ascontiguousarray(out[j, :, :statistic.columns], dtype=statistic.dtype)
            for j, statistic in enumerate(model.statistics)]


def simulate_group_looks_chunk(model: JointModel, seed: int, chunk: int, size: int,
                               sizes_t: np.ndarray, sizes_c: np.ndarray) -> list[np.ndarray]:
    """Each endpoint's statistics at every look (nested samples) of a chunk's trials.

    As :func:`simulate_group_chunk` (the same patients from the same random numbers, so the
    last look, at ``(model.n_t, model.n_c)``, is its answer), analysed at look k on the
    first ``sizes_t[k]`` treated and ``sizes_c[k]`` control patients
    (:func:`simtrial.kernels.group.group_prefix_stats`). Returns one array per endpoint of
    shape (looks, size, columns). A group may hold one endpoint: the interim looks of a test
    whose endpoint model has no nested-sample kernel (ranks of scores, ordinal levels).

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
    block = latent_block(size, n)
    visits = generators[0]
    if block < size:  # as in simulate_group_chunk
        visits = rng.chunk_generator(seed, model.ids[0], chunk)
        skip_normals(visits, size * n)
    lower, modes, *rest, baselines = model.arguments
    out = np.empty((len(model.ids), len(sizes_t), size,
                    max(s.columns for s in model.statistics)))
    group_prefix_stats(generators, visits, lower, model.n_t, model.n_c,
                       np.ascontiguousarray(sizes_t, np.int64),
                       np.ascontiguousarray(sizes_c, np.int64), modes, *rest,
                       _baseline_generators(model, seed, chunk), baselines,
                       np.empty((block, n)), out)
    return [np.ascontiguousarray(out[j, :, :, :statistic.columns], dtype=statistic.dtype)
            for j, statistic in enumerate(model.statistics)]


def _baseline_generators(model: JointModel, seed: int, chunk: int) -> tuple:
    """Each endpoint's stream of baseline noise (drawn only by endpoints with a baseline)."""
    return tuple(rng.chunk_generator(seed, f"{ep_id}.baseline", chunk) for ep_id in model.ids)


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


#: Copula mode (:class:`simtrial.endpoints.Copula`) -> the kernel's mode.
_MODES = {"counts": COUNTS, "moments": MOMENTS, "value_ranks": VALUE_RANKS,
          "level_ranks": LEVEL_RANKS, "level_moments": LEVEL_MOMENTS, "level_po": LEVEL_PO,
          "baseline_values": BASELINE_VALUES, "baseline_levels": BASELINE_LEVELS}
