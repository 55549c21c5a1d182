"""Ordinal outcomes (a clinical status scale): the probability of each category per arm.

Categories are given lowest first (``probs``). The control arm gives its probabilities; the
treatment arm gives its own (the same number of categories: any effect, proportional odds or
not) or a common ``odds_ratio`` under proportional odds, Hmisc's convention: the odds of being
in category j *or higher* are the control arm's times ``odds_ratio`` for every j, so
``odds_ratio > 1`` moves the treatment arm to higher categories
(:func:`simtrial.stattests.proportional_odds.cumulative_odds_shift`, as ``Hmisc::pomodm``).

The effect is the odds ratio (``effect_scale = "ratio"``: a detectable-effect search or a
sensitivity analysis varies it) where the treatment arm gives one, else the difference in the
mean category (1..K). The tests see the counts per category: the rank-sum test with ties, or
the proportional-odds likelihood-ratio test (``po``), whose closed form is Whitehead's power
when the arms are in proportional odds. In a correlated group the category is the one whose
latent cut points bracket the latent normal (rho is the polychoric correlation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simtrial.endpoints._model import PROBABILITIES, Check, Copula, EndpointModel
from simtrial.endpoints.score import level_cuts

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["ODDS_RATIO", "Categorical", "level_po_stats", "po_proxy"]

#: A common odds ratio of a higher category, treatment vs control.
ODDS_RATIO = Check(lambda v: 1e-6 <= v <= 1e6, "a number in [1e-6, 1e6]")


def _levels(ep: Endpoint, arm: str) -> np.ndarray:
    """The arm's category probabilities, normalised to sum to 1."""
    import numpy as np

    params = getattr(ep, arm)
    if "odds_ratio" in params:
        from simtrial.stattests.proportional_odds import cumulative_odds_shift

        return cumulative_odds_shift(_levels(ep, "control"), params["odds_ratio"])
    probs = np.asarray(params["probs"], dtype=np.float64)
    return probs / probs.sum()


def level_po_stats(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    """The ``po`` simulator of any model with :meth:`~EndpointModel.level_probabilities`."""
    from simtrial.kernels.ordinal import grid_po_stats

    grid_po_stats(generator, n_t, n_c, ep.model.level_probabilities(ep, "treatment"),
                  ep.model.level_probabilities(ep, "control"), *ep.dropout, out)


def _ranks(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.ranks import grid_rank_stats

    grid_rank_stats(generator, n_t, n_c, _levels(ep, "treatment"), _levels(ep, "control"),
                    *ep.dropout, out)


class Categorical(EndpointModel):
    """Category probabilities per arm."""

    distribution = "categorical"
    kinds = {"ordinal": ("mannwhitney", "po")}
    default = ("ordinal",)
    parameters = {"probs": PROBABILITIES, "odds_ratio": ODDS_RATIO}
    parameter_sets = (("probs",), ("odds_ratio",))
    effect_scale = "ratio"
    #: A margin on the common odds ratio is tested by the proportional-odds Wald test
    #: (:func:`simtrial.stattests.proportional_odds.odds_ratio_margin`).
    margin_tests = ("po",)
    margin_check = ODDS_RATIO
    simulators = {"ranks": _ranks, "po": level_po_stats}

    def check_arms(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                   ) -> tuple[str, str] | None:
        """The control arm gives probabilities; both arms have the same categories."""
        if "probs" not in control:
            return "control", ("gives odds_ratio (allowed: probs; odds_ratio is the treatment "
                               "arm's, relative to the control arm's probs)")
        if "probs" not in treatment:
            return None
        sizes = len(treatment["probs"]), len(control["probs"])
        if sizes[0] != sizes[1]:
            return "treatment.probs", (f"has {sizes[0]} levels and control.probs {sizes[1]} "
                                       "(allowed: the same levels in both arms)")
        return None

    def level_probabilities(self, ep: Endpoint, arm: str) -> np.ndarray:
        """The arm's category probabilities, normalised to sum to 1."""
        return _levels(ep, arm)

    def odds_ratio(self, ep: Endpoint) -> float | None:
        """The common odds ratio of a higher category, or None if the arms give probabilities."""
        return ep.treatment.get("odds_ratio")

    def location(self, ep: Endpoint) -> str:
        """``odds_ratio`` where the treatment arm gives one, else the mean category (1..K)."""
        return "mean category" if self.odds_ratio(ep) is None else "odds_ratio"

    def location_of(self, ep: Endpoint, arm: str) -> float:
        """The arm's odds ratio (the control arm's: 1), or its mean category."""
        if self.odds_ratio(ep) is not None:
            return float(getattr(ep, arm).get("odds_ratio", 1.0))
        return _mean_category(getattr(ep, arm)["probs"])

    def describe(self, ep: Endpoint) -> str:
        """The odds ratio and the mean categories, or the mean categories.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> load_scenario("ordinal-po").endpoint("who_status").describe()
        'odds_ratio 0.6 of a higher category (mean category 1.68 vs 1.94)'
        """
        odds_ratio = self.odds_ratio(ep)
        if odds_ratio is None:
            return super().describe(ep)
        t, c = (_mean_category(_levels(ep, arm)) for arm in ("treatment", "control"))
        return (f"odds_ratio {odds_ratio:.4g} of a higher category "
                f"(mean category {t:.3g} vs {c:.3g})")

    def effect_phrase(self, ep: Endpoint, label: str, unit: str, t_arm: str, c_arm: str) -> str:
        """The odds ratio in a sentence, or the difference in mean category."""
        odds_ratio = self.odds_ratio(ep)
        if odds_ratio is None:
            return super().effect_phrase(ep, label, unit, t_arm, c_arm)
        return (f"a common odds ratio of {odds_ratio:.4g} for a higher category of {label}, "
                f"{t_arm} vs {c_arm} (proportional odds)")

    def proxy(self, ep: Endpoint) -> Endpoint:
        """Arms given by probabilities: their proportional-odds fit (:func:`po_proxy`)."""
        return ep if self.odds_ratio(ep) is not None else po_proxy(ep)

    def copula(self, ep: Endpoint, statistic: str) -> Copula:
        """The category whose latent cut points bracket the latent normal."""
        cuts = level_cuts(_levels(ep, "treatment")), level_cuts(_levels(ep, "control"))
        return Copula("level_po" if statistic == "po" else "level_ranks", cuts=cuts)


def _mean_category(probs) -> float:
    """The mean category, categories numbered 1..K."""
    return float(sum((k + 1) * p for k, p in enumerate(probs)))


def po_proxy(ep: Endpoint) -> Endpoint:
    """A categorical endpoint in proportional odds close to ``ep`` (a search's start).

    The control arm's level probabilities, and the odds ratio to which the estimate tends as
    n grows: the model fitted to the expected counts of a large trial at 1:1. Whitehead's
    power of this endpoint gives a starting n for any outcome on levels; ``ep`` itself if the
    arms show no effect.
    """
    from dataclasses import replace
    from types import MappingProxyType

    import numpy as np

    from simtrial.kernels.ordinal import po_lr_from_counts, po_workspace

    scale = 1e6  # expected counts of a large trial: the fit's limit to ~1e-6
    probs_t, probs_c = (ep.model.level_probabilities(ep, arm) for arm in ("treatment", "control"))
    beta = po_lr_from_counts(probs_t * scale, probs_c * scale, po_workspace(len(probs_t)))[1]
    if not np.isfinite(beta) or beta == 0.0:
        return ep
    odds_ratio = float(min(max(np.exp(beta), 1e-6), 1e6))
    return replace(ep, distribution="categorical", scale=None, extra=MappingProxyType({}),
                   control=MappingProxyType({"probs": tuple(probs_c.tolist())}),
                   treatment=MappingProxyType({"odds_ratio": odds_ratio}))
