"""Continuous outcomes, normal per arm: ``mean`` and ``sd`` (kind ``continuous``).

The effect is the difference in means (Cohen's d is shown beside it). The t tests need the
moments per arm (numbers assessed, mean, sum of squared deviations), drawn from their exact
distributions (a normal mean and a chi-square sum of squares); the rank-sum test needs the
patients' values, ranked (:mod:`simtrial.kernels.ranks`). In a correlated group the value is
``mean + sd z`` (rho is the correlation of the outcomes). :mod:`simtrial.endpoints.lognormal`
reuses all of it on the log scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from simtrial.endpoints._model import CORRELATION, LOCATION, POSITIVE, Copula, EndpointModel

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["Normal", "RELATIVE_SD"]

#: Smallest sd relative to the mean: a smaller spread is lost in rounding (16 digits).
RELATIVE_SD = 1e-12


def _arms(ep: Endpoint) -> tuple[float, float, float, float]:
    """(mean_t, sd_t, mean_c, sd_c) on the normal scale of the endpoint's model."""
    model = cast(Normal, ep.model)  # the simulators of Normal and its subclasses
    return (*model.normal_parameters(ep, "treatment"), *model.normal_parameters(ep, "control"))


def _moments(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.continuous import normal_chi2_moments

    normal_chi2_moments(generator, n_t, n_c, *_arms(ep), *ep.dropout, out)


def _ranks(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.ranks import normal_rank_stats

    normal_rank_stats(generator, n_t, n_c, *_arms(ep), *ep.dropout, out)


def _standard_moments(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.rescale import standard_chi2_moments

    standard_chi2_moments(generator, n_t, n_c, *ep.dropout, out)


def _baseline_moments(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.baseline import normal_baseline_moments

    mean_x, sd_x, rho = cast(tuple, ep.model.baseline_parameters(ep))
    normal_baseline_moments(generator, n_t, n_c, *_arms(ep), mean_x, sd_x, rho, *ep.dropout,
                            out)


def _prefix_moments(generator, ep: Endpoint, sizes_t: np.ndarray, sizes_c: np.ndarray,
                    out: np.ndarray) -> None:
    from simtrial.kernels.prefix import normal_prefix_moments

    normal_prefix_moments(generator, sizes_t, sizes_c, *_arms(ep), *ep.dropout, out)


class Normal(EndpointModel):
    """A normal outcome per arm."""

    distribution = "normal"
    kinds = {"continuous": ("ttest", "welch", "mannwhitney", "ancova", "change")}
    default: tuple[str, ...] = ("continuous",)
    parameters = {"mean": LOCATION, "sd": POSITIVE}
    simulators = {"moments": _moments, "ranks": _ranks, "baseline": _baseline_moments}
    #: ``baseline = { rho, mean, sd }``: the baseline measurement's correlation with the
    #: follow-up value and its own distribution (the control arm's unless given).
    optional_tables = {"baseline": {"rho": CORRELATION, "mean": LOCATION, "sd": POSITIVE}}
    margin_tests: tuple[str, ...] = ("ttest", "welch", "ancova", "change")
    equivalence_tests: tuple[str, ...] = margin_tests
    prefix_simulators = {"moments": _prefix_moments}
    standardized_simulators = {"moments": _standard_moments}

    def check_arm(self, params: Mapping[str, Any], scale) -> tuple[str, str] | None:
        """An sd that rounding to 16 digits would not wipe out next to the mean."""
        if params["sd"] < RELATIVE_SD * abs(params["mean"]):
            return "sd", (f"{params['sd']!r} is lost next to mean {params['mean']!r} in "
                          f"double precision (allowed: sd >= {RELATIVE_SD:g} x |mean|)")
        return None

    def check_extra(self, extra: Mapping[str, Any]) -> tuple[str, str] | None:
        """A baseline gives its correlation ``rho``."""
        if "baseline" in extra and "rho" not in extra["baseline"]:
            return "baseline.rho", ("is required (the correlation of baseline and follow-up, "
                                    "a number in (-1, 1))")
        return None

    def baseline_parameters(self, ep: Endpoint) -> tuple[float, float, float] | None:
        """``(mean, sd, rho)`` of the baseline on the model's normal scale, or None.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("ancova-walk").endpoint("walk_m")
        >>> ep.model.baseline_parameters(ep)  # the control arm's mean and sd, rho given
        (450.0, 69.36, 0.6)
        """
        baseline = ep.extra.get("baseline")
        if baseline is None:
            return None
        mean_c, sd_c = self.normal_parameters(ep, "control")
        return baseline.get("mean", mean_c), baseline.get("sd", sd_c), baseline["rho"]

    def location(self, ep: Endpoint) -> str:
        """The mean."""
        return "mean"

    def describe(self, ep: Endpoint) -> str:
        """Means, their difference and Cohen's d (root mean square of the arms' sds).

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> load_scenario("msc-covid19").endpoint("walk_m").describe()
        'mean 477 vs 450 (+27; d = 0.39); baseline rho 0.5'
        """
        t, c = ep.treatment["mean"], ep.control["mean"]
        return f"mean {t:.4g} vs {c:.4g} ({t - c:+.4g}; d = {self.standardized(ep, t - c):.2f})"

    def normal_parameters(self, ep: Endpoint, arm: str) -> tuple[float, float]:
        """The arm's mean and sd (on the normal scale of the model: :meth:`arm_normal`)."""
        return self.arm_normal(getattr(ep, arm))

    def arm_normal(self, params: Mapping[str, float]) -> tuple[float, float]:
        """(mean, sd) of the normal outcome from an arm's parameters."""
        return params["mean"], params["sd"]

    def rescale_parameters(self, treatment: Mapping[str, float], control: Mapping[str, float]
                           ) -> tuple[float, float, float, float]:
        """``(mean_t, sd_t, mean_c, sd_c)`` on the normal scale of the model."""
        return (*self.arm_normal(treatment), *self.arm_normal(control))

    def copula(self, ep: Endpoint, statistic: str) -> Copula:
        """The value ``mean + sd z`` (on the normal scale of the model), with its baseline."""
        mean_t, sd_t, mean_c, sd_c = _arms(ep)
        if statistic == "baseline":  # the follow-up value, with its baseline
            return Copula("baseline_values", params=((mean_t, sd_t), (mean_c, sd_c)),
                          baseline=self.baseline_parameters(ep))
        return Copula("value_ranks" if statistic == "ranks" else "moments",
                      params=((mean_t, sd_t), (mean_c, sd_c)))
