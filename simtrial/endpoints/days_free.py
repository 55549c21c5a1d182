"""Days alive and free of an event by day D (ventilator-free days), death scored worst.

Each arm gives ``death``, the probability of death by day D, and the time on the event
(ventilation, organ support) among survivors as a Weibull distribution with median
``median_days`` and ``shape`` (default 1: exponential, a constant daily chance of coming off
the event). The endpoint's ``horizon = { days = D }`` is common to both arms.

The outcome is an ordinal scale on D + 2 levels, lowest first: death (scored -1, worse than
any survivor, as in REMAP-CAP's organ support-free days) and then 0, 1, ..., D free days.
A survivor off the event at time T (days from randomisation, continuous) has
``floor(D - T)`` free days, 0 if T >= D: everyone is on the event at randomisation, so the
level D is never reached. Level probabilities, with ``S(t) = exp(-log(2) (t / median)^shape)``
the probability of still being on the event at t::

    P(death) = death
    P(0 free days) = (1 - death) S(D - 1)
    P(f free days) = (1 - death) (S(D - f - 1) - S(D - f)),   f = 1 .. D - 1

Deaths are scored worst whatever their time on the event, so the model needs no joint law of
death and duration. Planners fill it from published tables of mortality by day D and the
median duration of the event (or the median free days among survivors, ``D - median_days``
when the median is below D). The outcome is simulated by the level machinery of ordinal
outcomes (:func:`simtrial.kernels.ranks.grid_rank_stats`, :mod:`simtrial.kernels.ordinal`),
and analysed by the rank-sum test with ties (``mannwhitney``) or the proportional-odds
likelihood-ratio test (``po``). The effect shown is the difference in mean free days (death
counted as -1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simtrial.endpoints._model import POSITIVE, PROBABILITY, Check, Copula, EndpointModel
from simtrial.endpoints.ordinal import ODDS_RATIO, level_po_stats, po_proxy
from simtrial.endpoints.score import level_cuts

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["DaysFree", "days_free_probabilities"]

#: The horizon D of the count of free days.
DAYS = Check(lambda v: v == int(v) and 1 <= v <= 365, "a whole number of days from 1 to 365")


def days_free_probabilities(days: int, death: float, median_days: float,
                            shape: float = 1.0) -> np.ndarray:
    """Probabilities of death, then of 0, 1, ..., ``days`` free days (D + 2 levels).

    Examples
    --------
    >>> p = days_free_probabilities(28, 0.25, 10.0)
    >>> len(p), round(float(p.sum()), 12), float(p[0]), float(p[-1])
    (30, 1.0, 0.25, 0.0)
    >>> round(float(p[1]), 6)  # 0 free days: still on the event at day 27, 0.75 * 2^-2.7
    0.11542
    """
    import numpy as np

    t = np.arange(days, -1, -1, dtype=np.float64)  # D, D - 1, ..., 0: the ends of free days
    on_event = np.exp(-np.log(2.0) * (t / median_days) ** shape)  # S(D - f), f = 0..D
    survivors = np.empty(days + 1)
    survivors[0] = on_event[1] if days >= 1 else 1.0  # S(D - 1): 0 free days (or more on it)
    survivors[1:days] = on_event[2:] - on_event[1:days]  # S(D - f - 1) - S(D - f)
    survivors[days] = 0.0
    return np.concatenate(([death], (1.0 - death) * survivors))


def _levels(ep: Endpoint, arm: str) -> np.ndarray:
    params = getattr(ep, arm)
    return days_free_probabilities(int(ep.extra["horizon"]["days"]), params["death"],
                                   params["median_days"], params.get("shape", 1.0))


def _ranks(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.ranks import grid_rank_stats

    grid_rank_stats(generator, n_t, n_c, _levels(ep, "treatment"), _levels(ep, "control"),
                    *ep.dropout, out)


class DaysFree(EndpointModel):
    """Death by day D and a Weibull time on the event among survivors, per arm."""

    distribution = "days_free"
    kinds = {"ordinal": ("mannwhitney", "po")}
    parameters = {"death": PROBABILITY, "median_days": POSITIVE, "shape": POSITIVE}
    parameter_sets = (("death", "median_days"), ("death", "median_days", "shape"))
    endpoint_tables = {"horizon": {"days": DAYS}}
    #: A margin is on the proportional-odds odds ratio (not the mean free days) and tested by
    #: its Wald test (:func:`simtrial.stattests.proportional_odds.odds_ratio_margin`).
    margin_tests = ("po",)
    margin_check = ODDS_RATIO
    simulators = {"ranks": _ranks, "po": level_po_stats}

    def check_extra(self, extra: Mapping[str, Any]) -> tuple[str, str] | None:
        """The horizon gives its number of days."""
        if "days" not in extra["horizon"]:
            return "horizon.days", "is required (the day D free days are counted to, e.g. 28)"
        return None

    def level_probabilities(self, ep: Endpoint, arm: str) -> np.ndarray:
        """Probabilities of death, then of 0 .. D free days."""
        return _levels(ep, arm)

    def test_margin(self, ep: Endpoint) -> float:
        """The log of the odds-ratio margin (the effect shown is a difference; ``po``'s is not)."""
        return 0.0 if ep.margin is None else math.log(ep.margin)

    def proxy(self, ep: Endpoint) -> Endpoint:
        """The proportional-odds fit to the arms' levels (:func:`~.ordinal.po_proxy`)."""
        return po_proxy(ep)

    def location(self, ep: Endpoint) -> str:
        """The mean free days (death counted as -1)."""
        return "mean free days"

    def location_of(self, ep: Endpoint, arm: str) -> float:
        """The arm's mean free days, death counted as -1."""
        probs = _levels(ep, arm)
        return float(sum((k - 1) * p for k, p in enumerate(probs)))

    def describe(self, ep: Endpoint) -> str:
        """Mean free days, death and median days on the event per arm.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> load_scenario("ventilator-free-days").endpoint("vfd").describe()
        'mean free days 12.9 vs 10.46 (+2.45); death 0.22 vs 0.28, median days on it 9 vs 11'
        """
        t, c = ep.treatment, ep.control
        return (super().describe(ep)[:-1] + f"); death {t['death']:.4g} vs {c['death']:.4g}, "
                f"median days on it {t['median_days']:.4g} vs {c['median_days']:.4g}")

    def copula(self, ep: Endpoint, statistic: str) -> Copula:
        """The level whose latent cut points bracket the latent normal."""
        cuts = level_cuts(_levels(ep, "treatment")), level_cuts(_levels(ep, "control"))
        return Copula("level_po" if statistic == "po" else "level_ranks", cuts=cuts)
