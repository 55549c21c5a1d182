"""Endpoints correlated within a patient, simulated jointly by a Gaussian copula.

Each patient of a correlated group of endpoints gets one latent standard normal per endpoint,
``Z = L E`` with ``L`` the Cholesky factor of the group's correlation matrix (endpoints in
scenario order) and ``E_j`` drawn from endpoint j's own random stream (:mod:`simtrial.rng`,
keyed by its id), so the first endpoint of a group draws what it would alone. ``Z_j`` becomes
the outcome through endpoint j's distribution:

- binary: an event when ``Z > Phi^{-1}(1 - p)``: the event is the upper tail of the latent
  normal, so rho > 0 means the event goes with higher values of the other endpoint (rho is
  the latent, tetrachoric correlation);
- normal: ``mean + sd Z`` (rho is the correlation of the outcomes);
- log-normal: ``log gmean + log(gsd) Z`` (rho is the correlation of the log outcomes);
- score and ordinal: the level whose cumulative probability interval holds ``Phi(Z)``
  (rho is the latent, polychoric correlation).

Dropout is a property of the visit: one uniform ``U`` per patient, from the first endpoint's
stream, and a patient is unassessed for endpoint j when ``U < dropout_j``. Endpoints with the
same dropout therefore lose the same patients; with different rates the missingness is nested.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from simtrial import rng
from simtrial.distributions import level_probabilities, normal_scale
from simtrial.kernels.ranks import quantile_buckets
from simtrial.kernels.values import latent_level_rank_stats, rank_stats_from_values
from simtrial.scenario import Endpoint, correlation_matrix
from simtrial.stattests import STATISTICS

__all__ = ["correlated_groups", "simulate_group_chunk"]


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


def simulate_group_chunk(group, correlations, n_t: int, n_c: int, seed: int, chunk: int,
                         size: int) -> list[np.ndarray]:
    """Sufficient statistics of every endpoint of a correlated group for one chunk.

    Returns one array per endpoint, of the shape and type its test's statistics have in
    :mod:`simtrial.simulate` (counts, moments or rank statistics), ``size`` rows.
    """
    n = n_t + n_c
    generators = [rng.chunk_generator(seed, ep.id, chunk) for ep in group]
    latent = np.stack([g.standard_normal((size, n)) for g in generators])
    visit = generators[0].random((size, n))
    lower = np.linalg.cholesky(np.array(correlation_matrix([ep.id for ep in group],
                                                          correlations)))
    latent = np.einsum("jl,lrn->jrn", lower, latent)
    treated = np.arange(n) < n_t
    out = []
    for ep, z in zip(group, latent, strict=True):
        dropout = np.where(treated, ep.dropout[0], ep.dropout[1])
        assessed = visit >= dropout
        if STATISTICS[ep.test] == "ranks" and ep.kind in ("score", "ordinal"):
            out.append(_level_ranks(ep, z, n_t, assessed))
            continue
        values = np.empty_like(z)
        values[:, :n_t] = _outcome(ep, "treatment", z[:, :n_t])
        values[:, n_t:] = _outcome(ep, "control", z[:, n_t:])
        if STATISTICS[ep.test] == "ranks":
            out.append(_value_ranks(ep, values, n_t, assessed))
        else:
            out.append(_STATISTICS[STATISTICS[ep.test]](values, treated, assessed))
    return out


def _outcome(ep: Endpoint, arm: str, z: np.ndarray) -> np.ndarray:
    params = getattr(ep, arm)
    if ep.distribution == "bernoulli":
        return (z > special.ndtri(1.0 - params["p"])).astype(np.float64)
    if ep.distribution in ("normal", "lognormal"):
        mean, sd = normal_scale(ep, arm)
        return mean + sd * z
    return np.searchsorted(_level_cuts(ep, arm), z, side="right").astype(np.float64)


def _level_cuts(ep: Endpoint, arm: str) -> np.ndarray:
    """Latent cut points of a score's or ordinal's levels.

    They are ``Phi^{-1}`` of the cumulative probabilities, so level k has probability ``p_k``
    and a level of probability 0 is never hit.
    """
    probs = level_probabilities(ep, arm)
    cdf = np.minimum(np.cumsum(probs) / probs.sum(), 1.0)
    return special.ndtri(cdf[:-1])


def _level_ranks(ep: Endpoint, z: np.ndarray, n_t: int, assessed: np.ndarray) -> np.ndarray:
    """Rank statistics of a score or ordinal endpoint, counted per level from the latents."""
    out = np.empty((z.shape[0], 4))
    latent_level_rank_stats(z, _level_cuts(ep, "treatment"), _level_cuts(ep, "control"), n_t,
                            assessed, out)
    return out


def _counts(values, treated, assessed):
    events = assessed & (values == 1.0)
    return np.stack([assessed[:, treated].sum(1), events[:, treated].sum(1),
                     assessed[:, ~treated].sum(1), events[:, ~treated].sum(1)], axis=1)


def _moments(values, treated, assessed):
    columns = []
    for arm in (treated, ~treated):
        mask = assessed[:, arm]
        m = mask.sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(m > 0, np.where(mask, values[:, arm], 0).sum(1) / m, 0.0)
        ss = np.where(mask, (values[:, arm] - mean[:, None]) ** 2, 0).sum(1)
        columns += [m.astype(np.float64), mean, ss]
    return np.stack(columns, axis=1)


def _value_ranks(ep: Endpoint, values: np.ndarray, n_t: int, assessed: np.ndarray) -> np.ndarray:
    """Rank statistics of a normal or log-normal endpoint (values on the normal scale)."""
    n = values.shape[1]
    out = np.empty((values.shape[0], 4))
    buckets = quantile_buckets(n_t, *normal_scale(ep, "treatment"), n - n_t,
                                *normal_scale(ep, "control"), 2 * n)
    rank_stats_from_values(values, n_t, assessed, *buckets, out)
    return out


_STATISTICS = {"counts": _counts, "moments": _moments}
