"""Bounded discrete scores (SF-36 domains): a discretised, censored normal on a grid.

A score takes the values ``min, min + step, ..., max`` (the endpoint's ``scale``); each arm
gives its ``mean`` and ``sd``, or its ``median``, ``q1`` and ``q3``, and
:mod:`simtrial.distributions` fits the latent normal that has them. The effect is the
difference in means (or in medians, when both arms give medians). Tests see counts per level:
ranks with ties, or the moments of the level values; in a correlated group the level is the
one whose latent cut points bracket the latent normal (rho is the polychoric correlation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from simtrial.endpoints._model import CORRELATION, LOCATION, POSITIVE, Copula, EndpointModel

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["Score", "level_cuts"]


def level_cuts(probs: np.ndarray) -> np.ndarray:
    """Latent cut points of ordered levels: ``Phi^{-1}`` of the cumulative probabilities.

    Level k then has probability ``probs[k]``, and a level of probability 0 is never hit.

    Examples
    --------
    >>> import numpy as np
    >>> level_cuts(np.array([0.5, 0.5])).tolist()
    [0.0]
    """
    import numpy as np
    from scipy import special

    cdf = np.minimum(np.cumsum(probs) / probs.sum(), 1.0)
    return special.ndtri(cdf[:-1])


def _scale(ep: Endpoint) -> tuple[float, float, float]:
    """The score's (min, max, step); the reader requires it for every score."""
    if ep.scale is None:
        raise TypeError(f"score endpoint {ep.id!r} has no scale")
    return ep.scale


@lru_cache(maxsize=256)
def _fitted(scale: tuple[float, float, float], params: tuple) -> np.ndarray:
    from simtrial.distributions import fit_score, score_probabilities

    mu, sigma = fit_score(*scale, dict(params))
    return score_probabilities(*scale, mu, sigma)


def _levels(ep: Endpoint, arm: str) -> np.ndarray:
    """Probabilities of the score's levels in ``arm`` (fitted once, then cached)."""
    return _fitted(_scale(ep), tuple(sorted(getattr(ep, arm).items())))


def _ranks(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.ranks import grid_rank_stats

    grid_rank_stats(generator, n_t, n_c, _levels(ep, "treatment"), _levels(ep, "control"),
                    *ep.dropout, out)


def _moments(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.distributions import score_levels
    from simtrial.kernels.grid import grid_moments

    grid_moments(generator, n_t, n_c, score_levels(*_scale(ep)), _levels(ep, "treatment"),
                 _levels(ep, "control"), *ep.dropout, out)


def _baseline_levels(ep: Endpoint) -> np.ndarray:
    """Probabilities of the baseline score's levels: its own mean and sd, else the control's."""
    baseline = ep.extra["baseline"]
    if "mean" in baseline:
        return _fitted(_scale(ep), (("mean", baseline["mean"]), ("sd", baseline["sd"])))
    return _levels(ep, "control")


def _baseline_moments(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.distributions import score_levels
    from simtrial.kernels.baseline import grid_baseline_moments

    grid_baseline_moments(generator, n_t, n_c, score_levels(*_scale(ep)),
                          level_cuts(_levels(ep, "treatment")), level_cuts(_levels(ep, "control")),
                          level_cuts(_baseline_levels(ep)), ep.extra["baseline"]["rho"],
                          *ep.dropout, out)


class Score(EndpointModel):
    """A discretised, censored normal on the grid of a score."""

    distribution = "discretised_normal"
    kinds = {"score": ("mannwhitney", "ttest", "welch", "ancova", "change")}
    default = ("score",)
    parameters = {"mean": LOCATION, "sd": POSITIVE, "median": LOCATION, "q1": LOCATION,
                  "q3": LOCATION}
    parameter_sets = (("mean", "sd"), ("median", "q1", "q3"))
    uses_scale = True
    simulators = {"ranks": _ranks, "moments": _moments, "baseline": _baseline_moments}
    #: ``baseline = { rho, mean, sd }``: rho is the latent (polychoric) correlation of the
    #: baseline and follow-up scores; the baseline score is the control arm's unless its
    #: mean and sd are given.
    optional_tables = {"baseline": {"rho": CORRELATION, "mean": LOCATION, "sd": POSITIVE}}

    def check_arm(self, params: Mapping[str, Any], scale: tuple[float, float, float] | None
                  ) -> tuple[str, str] | None:
        """Fit the latent normal now, so that impossible summaries fail at load."""
        from simtrial.score_fit import fit_score  # plain Python: validating needs no numpy

        if scale is None:
            return "", "a score needs its scale"
        try:
            fit_score(*scale, dict(params))
        except ValueError as exc:
            return "", str(exc)
        return None

    def check_extra(self, extra: Mapping[str, Any]) -> tuple[str, str] | None:
        """A baseline gives ``rho``, and its mean and sd together or neither."""
        baseline = extra.get("baseline")
        if baseline is None:
            return None
        if "rho" not in baseline:
            return "baseline.rho", ("is required (the latent correlation of baseline and "
                                    "follow-up, a number in (-1, 1))")
        if ("mean" in baseline) != ("sd" in baseline):
            return "baseline", "give the baseline's mean and sd together, or neither"
        return None

    def check_test(self, test: str, extra: Mapping[str, Any],
                   scale: tuple[float, float, float] | None) -> tuple[str, str] | None:
        """Fit a baseline's own mean and sd now, so that impossible ones fail at load."""
        from simtrial.score_fit import fit_score

        baseline = extra.get("baseline", {})
        if scale is not None and "mean" in baseline:
            try:
                fit_score(*scale, {"mean": baseline["mean"], "sd": baseline["sd"]})
            except ValueError as exc:
                return "baseline", str(exc)
        return super().check_test(test, extra, scale)

    def level_probabilities(self, ep: Endpoint, arm: str) -> np.ndarray:
        """Probabilities of the score's levels in ``arm`` (fitted once, then cached)."""
        return _levels(ep, arm)

    def location(self, ep: Endpoint) -> str:
        """The median when both arms give one, else the mean."""
        both_median = "median" in ep.treatment and "median" in ep.control
        return "median" if both_median else "mean"

    def location_of(self, ep: Endpoint, arm: str) -> float:
        """The location; a score given by quartiles is compared by its mean."""
        params = getattr(ep, arm)
        if self.location(ep) in params:
            return float(params[self.location(ep)])
        from simtrial.distributions import score_levels, score_summary

        return score_summary(score_levels(*_scale(ep)), _levels(ep, arm))[0]

    def describe(self, ep: Endpoint) -> str:
        """The location per arm, its difference and the scale."""
        low, high, step = _scale(ep)
        return super().describe(ep)[:-1] + f"; scale {low:g} to {high:g} by {step:g})"

    def proxy(self, ep: Endpoint) -> Endpoint:
        """A normal endpoint with the score's mean and sd, where both arms give them."""
        if not all({"mean", "sd"} <= set(getattr(ep, arm)) for arm in ("treatment", "control")):
            return ep
        treatment, control = (MappingProxyType({k: getattr(ep, arm)[k] for k in ("mean", "sd")})
                              for arm in ("treatment", "control"))
        return replace(ep, kind="continuous", distribution="normal", scale=None,
                       treatment=treatment, control=control)

    def copula(self, ep: Endpoint, statistic: str) -> Copula:
        """The level whose latent cut points bracket the latent normal."""
        from simtrial.distributions import score_levels

        cuts = level_cuts(_levels(ep, "treatment")), level_cuts(_levels(ep, "control"))
        if statistic == "baseline":  # the follow-up level, with the baseline's
            return Copula("baseline_levels", cuts=cuts, levels=score_levels(*_scale(ep)),
                          baseline=(0.0, 0.0, ep.extra["baseline"]["rho"]),
                          baseline_cuts=level_cuts(_baseline_levels(ep)))
        return Copula("level_ranks" if statistic == "ranks" else "level_moments",
                      cuts=cuts, levels=score_levels(*_scale(ep)))
