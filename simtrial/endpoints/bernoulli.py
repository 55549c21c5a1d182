"""Binary outcomes: an event with probability ``p`` per arm (kinds ``binary`` and ``safety``).

The effect is the difference in ``p``. Sufficient statistics are the numbers assessed and the
events per arm (``counts``), drawn as binomials; in a correlated group an event is the upper
tail of the latent normal, above ``Phi^{-1}(1 - p)`` (rho is the tetrachoric correlation).
A ``safety`` endpoint also reports, per arm, the probability of observing at least one event
and the upper bound after none (:mod:`simtrial.safety`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simtrial.endpoints._model import PROBABILITY, Check, Copula, EndpointModel

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["Bernoulli"]


def _counts(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.binary import binomial_counts

    binomial_counts(generator, n_t, n_c, ep.treatment["p"], ep.control["p"], *ep.dropout, out)


def _prefix_counts(generator, ep: Endpoint, sizes_t: np.ndarray, sizes_c: np.ndarray,
                   out: np.ndarray) -> None:
    from simtrial.kernels.prefix import binomial_prefix_counts

    binomial_prefix_counts(generator, sizes_t, sizes_c, ep.treatment["p"], ep.control["p"],
                           *ep.dropout, out)


class Bernoulli(EndpointModel):
    """An event or not, per patient."""

    distribution = "bernoulli"
    kinds = {"binary": ("chisq", "fisher"), "safety": ("fisher", "chisq")}
    default = ("binary", "safety")
    parameters = {"p": PROBABILITY}
    simulators = {"counts": _counts}
    prefix_simulators = {"counts": _prefix_counts}
    #: A margin on the risk difference makes the chi-square test Farrington and Manning's.
    margin_tests = ("chisq",)
    margin_check = Check(lambda v: -1 < v < 1, "a risk difference in (-1, 1)")

    def location(self, ep: Endpoint) -> str:
        """The proportion ``p``."""
        return "p"

    def effect_phrase(self, ep: Endpoint, label: str, unit: str, t_arm: str, c_arm: str) -> str:
        """A reduction or increase in the proportion, in percent.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("msc-covid19").endpoint("walk_lln")
        >>> ep.model.effect_phrase(ep, "6-MWD below LLN", "", "MSC", "placebo")
        'a reduction in the proportion with 6-MWD below LLN from 30.0% (placebo) to 15.0% (MSC)'
        """
        t, c = ep.treatment["p"], ep.control["p"]
        change = "reduction" if t < c else "increase"
        return (f"a {change} in the proportion with {label} from {100 * c:.1f}% ({c_arm}) to "
                f"{100 * t:.1f}% ({t_arm})")

    def effect_limit(self, ep: Endpoint) -> float:
        """A proportion stays in [0, 1]."""
        control = ep.control["p"]
        return 1 - control if ep.benefit_sign > 0 else control

    def proportion(self, ep: Endpoint, arm: str) -> float:
        """The arm's ``p``."""
        return float(getattr(ep, arm)["p"])

    def copula(self, ep: Endpoint, statistic: str) -> Copula:
        """An event when the latent normal exceeds ``Phi^{-1}(1 - p)``."""
        from scipy import special

        cut_t, cut_c = (float(special.ndtri(1.0 - getattr(ep, arm)["p"]))
                        for arm in ("treatment", "control"))
        return Copula("counts", params=((cut_t, 0.0), (cut_c, 0.0)))

    def summary(self, ep: Endpoint, n_t: int, n_c: int) -> dict | None:
        """The safety summary of a ``safety`` endpoint (:func:`simtrial.safety.safety_summary`)."""
        if ep.kind != "safety":
            return None
        from simtrial.safety import safety_summary

        return safety_summary(ep, n_t, n_c)
