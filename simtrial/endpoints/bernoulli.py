"""Binary outcomes: an event with probability ``p`` per arm (kinds ``binary`` and ``safety``).

The effect is the difference in ``p``; the treatment arm may give it instead as a
``risk_difference``, ``risk_ratio`` or ``odds_ratio`` relative to the control arm's ``p``
(:data:`EFFECT_SCALES`), from which its ``p`` is derived when the scenario is read. Sufficient
statistics are the numbers assessed and the events per arm (``counts``), drawn as binomials; in
a correlated group an event is the upper tail of the latent normal, above ``Phi^{-1}(1 - p)``
(rho is the tetrachoric correlation). A ``safety`` endpoint also reports, per arm, the
probability of observing at least one event and the upper bound after none
(:mod:`simtrial.safety`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simtrial.endpoints._model import HUGE, PROBABILITY, Check, Copula, EndpointModel

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["EFFECT_SCALES", "Bernoulli", "effect_scales", "treatment_p"]

#: The scales a treatment arm may give its effect on, relative to the control arm's ``p``.
EFFECT_SCALES = ("risk_difference", "risk_ratio", "odds_ratio")


def treatment_p(scale: str, value: float, p_control: float) -> float:
    """The treatment arm's ``p`` from an effect on ``scale`` and the control arm's ``p``.

    Examples
    --------
    >>> treatment_p("risk_difference", -0.15, 0.30)  # 0.30 - 0.15
    0.15
    >>> treatment_p("risk_ratio", 0.5, 0.30)  # 0.5 x 0.30
    0.15
    >>> # odds 0.30 / 0.70 = 3/7, times 0.4 = 12/70 = 6/35; p = (6/35) / (41/35) = 6/41
    >>> round(treatment_p("odds_ratio", 0.4, 0.30), 6), round(6 / 41, 6)
    (0.146341, 0.146341)
    """
    if scale == "risk_difference":
        return p_control + value
    if scale == "risk_ratio":
        return p_control * value
    odds = value * p_control / (1 - p_control)
    return odds / (1 + odds)


def effect_scales(p_treatment: float, p_control: float) -> dict[str, float]:
    """The effect on every scale: risk difference, risk ratio and odds ratio (inf/nan at 0, 1).

    Examples
    --------
    >>> effect_scales(0.15, 0.30)  # 0.15 - 0.30; 0.15 / 0.30; (0.15/0.85) / (0.30/0.70)
    {'risk_difference': -0.15, 'risk_ratio': 0.5, 'odds_ratio': 0.4117647058823529}
    >>> round(0.15 / 0.85 / (0.30 / 0.70), 10)
    0.4117647059
    """
    def ratio(a: float, b: float) -> float:
        return a / b if b else math.inf if a else math.nan

    return {"risk_difference": round(p_treatment - p_control, 15),
            "risk_ratio": ratio(p_treatment, p_control),
            "odds_ratio": ratio(p_treatment * (1 - p_control), p_control * (1 - p_treatment))}


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
    parameters = {"p": PROBABILITY,
                  "risk_difference": Check(lambda v: -1 <= v <= 1, "a number in [-1, 1]"),
                  "risk_ratio": Check(lambda v: 0 <= v <= HUGE, "a number >= 0"),
                  "odds_ratio": Check(lambda v: 0 <= v <= HUGE, "a number >= 0")}
    parameter_sets = (("p",), *((scale,) for scale in EFFECT_SCALES))
    simulators = {"counts": _counts}
    prefix_simulators = {"counts": _prefix_counts}
    #: A margin on the risk difference makes the chi-square test Farrington and Manning's.
    margin_tests = ("chisq",)
    margin_check = Check(lambda v: -1 < v < 1, "a risk difference in (-1, 1)")

    def location(self, ep: Endpoint) -> str:
        """The proportion ``p``."""
        return "p"

    def check_arms(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                   ) -> tuple[str, str] | None:
        """The control arm gives ``p``; an effect scale must give the treatment a ``p``."""
        if "p" not in control:
            return "control", ("must give p (an effect scale, "
                               f"{', '.join(EFFECT_SCALES)}, is for the treatment arm)")
        scale = next((k for k in EFFECT_SCALES if k in treatment), None)
        if scale is None:
            return None
        if scale == "odds_ratio" and not 0 < control["p"] < 1:
            return f"treatment.{scale}", "needs a control p strictly between 0 and 1"
        p = treatment_p(scale, treatment[scale], control["p"])
        if not 0 <= p <= 1:
            return f"treatment.{scale}", (f"{treatment[scale]!r} with control p "
                                          f"{control['p']!r} gives p = {p:.4g}, outside [0, 1]")
        return None

    def complete_treatment(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                           ) -> Mapping[str, Any]:
        """Add ``p`` derived from an effect scale (:func:`treatment_p`)."""
        scale = next((k for k in EFFECT_SCALES if k in treatment), None)
        if scale is None:
            return treatment
        return {**treatment, "p": treatment_p(scale, treatment[scale], control["p"])}

    def describe(self, ep: Endpoint) -> str:
        """The proportions and their difference; with an effect scale given, every scale.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("msc-covid19").endpoint("walk_lln")
        >>> ep.describe()
        'p 0.15 vs 0.3 (-0.15)'
        >>> load_scenario("effect-scales").endpoint("mortality").describe()
        'p 0.1765 vs 0.3 (-0.1235; RD -0.1235, RR 0.5882, OR 0.5; given as odds_ratio)'
        """
        text = super().describe(ep)
        scale = next((k for k in EFFECT_SCALES if k in ep.treatment), None)
        if scale is None:
            return text
        scales = effect_scales(ep.treatment["p"], ep.control["p"])
        return (text[:-1] + f"; RD {scales['risk_difference']:+.4g}, RR "
                f"{scales['risk_ratio']:.4g}, OR {scales['odds_ratio']:.4g}; given as {scale})")

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
