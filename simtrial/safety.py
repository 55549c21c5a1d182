"""What a trial of a given size can say about a rare adverse event (kind ``safety``).

Besides the power of the test comparing the arms, a safety endpoint reports per arm

- the probability of observing at least one event: every randomised patient is independently
  assessed (probability ``1 - dropout``) and then has the event (probability ``p``), so
  ``P(at least one) = 1 - (1 - (1 - dropout) p)^n``;
- the exact (Clopper-Pearson) one-sided upper confidence bound for the event probability if no
  event is observed among the expected number assessed, rounded to a whole patient
  (:func:`simtrial.evidence.zero_event_upper_bound`), that is how small a risk a clean safety
  record would demonstrate.
"""

from __future__ import annotations

import math

from simtrial.evidence import zero_event_upper_bound

__all__ = ["LEVEL", "prob_at_least_one", "safety_summary"]

#: Confidence level of the zero-event upper bound.
LEVEL = 0.95


def prob_at_least_one(n: int, p: float, dropout: float = 0.0) -> float:
    """Probability that at least one of ``n`` randomised patients is assessed with the event.

    Examples
    --------
    >>> round(prob_at_least_one(65, 0.045), 4)  # 1 - 0.955^65
    0.9499
    >>> round(prob_at_least_one(100, 0.01, 0.5), 4)  # 1 - 0.995^100
    0.3942
    """
    return -math.expm1(n * math.log1p(-(1 - dropout) * p))


def safety_summary(endpoint, n_t: int, n_c: int) -> dict:
    """Per-arm safety summary of a ``safety`` endpoint.

    Returns
    -------
    dict
        ``{"level", "p_any_event": {"treatment", "control"}, "assessed":
        {"treatment", "control"}, "zero_event_upper_bound": {"treatment", "control"}}``;
        an arm expected to have nobody assessed gets a bound of None.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> ep = load_scenario("msc-covid19").endpoint("msc_ae")
    >>> s = safety_summary(ep, 260, 140)
    >>> round(s["p_any_event"]["treatment"], 4), s["assessed"]["treatment"]
    (1.0, 260)
    >>> round(s["zero_event_upper_bound"]["treatment"], 5)  # 1 - 0.05^(1/260)
    0.01146
    """
    out: dict = {"level": LEVEL, "p_any_event": {}, "assessed": {}, "zero_event_upper_bound": {}}
    for arm, n, dropout in (("treatment", n_t, endpoint.dropout[0]),
                            ("control", n_c, endpoint.dropout[1])):
        assessed = round(n * (1 - dropout))
        out["p_any_event"][arm] = prob_at_least_one(n, getattr(endpoint, arm)["p"], dropout)
        out["assessed"][arm] = assessed
        out["zero_event_upper_bound"][arm] = (
            zero_event_upper_bound(assessed, LEVEL).value if assessed >= 1 else None)
    return out
