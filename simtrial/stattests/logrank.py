r"""The log-rank test of a time-to-event endpoint, and hazard ratio estimates from its row.

The rows come from :func:`simtrial.kernels.survival.simulate_logrank` (columns of
:data:`~simtrial.stattests.SURVIVAL`): events, :math:`z = U / \sqrt{V}`, :math:`U = O - E` in
treatment, :math:`V`, the analysis time, the number randomised, events and randomised in
treatment, the Cox estimate of the log hazard ratio and its variance. :math:`z` is oriented
treatment minus control on the hazard scale (positive: more treatment events than expected),
like the other tests' statistics; the direction of benefit ``sign`` says which way is better
(-1: fewer events, e.g. death; +1: more, e.g. recovery).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from simtrial.stattests._base import SURVIVAL, Test, pvalue_of

__all__ = ["LOGRANK", "hazard_ratio", "hazard_ratio_margin", "logrank"]


def logrank(rows: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    r"""p-values of the log-rank test (normal approximation), one per row.

    Parameters
    ----------
    rows : ndarray of shape (reps, 9)
        Columns of :data:`~simtrial.stattests.SURVIVAL`.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit: -1 when fewer events are better (the hazard ratio treatment :
        control below 1), +1 when more are (time to recovery).

    Returns
    -------
    ndarray of p-values.

    Notes
    -----
    Two-sided :math:`p = 2\Phi(-|z|)`, survdiff's chi-square p-value (:math:`z^2` is its
    ``chisq``); one-sided :math:`p = \Phi(-\mathrm{sign}\, z)`, rpact's one-sided log-rank
    test with ``directionUpper = (sign > 0)``. A replicate with :math:`V = 0` (no event, or
    events only while one arm was at risk) has z = NaN and p = 1.

    Examples
    --------
    >>> rows = np.array([[120, -2.1, -10.5, 25.0, 20.0, 400, 50, 260]])
    >>> [round(float(p[0]), 8) for p in (logrank(rows, "two-sided", -1),
    ...                                  logrank(rows, "one-sided", -1),
    ...                                  logrank(rows, "one-sided", 1))]
    [0.03572884, 0.01786442, 0.98213558]

    (R: ``2 * pnorm(-2.1)``, ``pnorm(-2.1)``, ``pnorm(2.1)``.)
    """
    return pvalue_of(rows[:, 1], special.ndtr, alternative, sign)


def hazard_ratio(rows: np.ndarray, method: str = "peto") -> np.ndarray:
    r"""Hazard ratio (treatment : control) estimated from log-rank rows.

    Parameters
    ----------
    rows : ndarray of shape (reps, 9)
        Columns of :data:`~simtrial.stattests.SURVIVAL`, of the unweighted log-rank test.
    method : {"peto", "pike"}
        ``"peto"``: the one-step estimate :math:`\exp(U / V)` (Peto; Yusuf et al. 1985), the
        first Newton step of the Cox partial likelihood from :math:`\beta = 0`, close to the
        Cox estimate for hazard ratios near 1. ``"pike"``: :math:`(O_t / E_t) / (O_c / E_c)`
        (Pike 1972), with :math:`E_t = O_t - U` and :math:`E_c = O - E_t`.

    Returns
    -------
    ndarray
        One estimate per row (NaN where undefined).

    Examples
    --------
    >>> rows = np.array([[4, 0.2718511, 0.2666667, 0.9622222, 5.0, 6, 2, 3]])
    >>> round(float(hazard_ratio(rows, "peto")[0]), 4)  # exp(0.2666667 / 0.9622222)
    1.3193
    >>> round(float(hazard_ratio(rows, "pike")[0]), 4)  # survdiff: (2 / 1.733) / (2 / 2.267)
    1.3077
    """
    u, v = rows[:, 2], rows[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "peto":
            return np.exp(u / v)
        if method == "pike":
            events, events_t = rows[:, 0], rows[:, 6]
            expected_t = events_t - u
            return (events_t / expected_t) / ((events - events_t) / (events - expected_t))
    from simtrial.errors import InputError

    raise InputError(f"`method` must be 'peto' or 'pike', got {method!r}")


def hazard_ratio_margin(rows: np.ndarray, sign: int, shift: float) -> np.ndarray:
    r"""One-sided p-values of H0: the hazard ratio is at the margin or beyond it, against benefit.

    The non-inferiority (or superiority-by-margin) analysis of a time-to-event endpoint on the
    hazard ratio scale: the Wald test of the Cox model's log hazard ratio against the log of
    the margin M, whose rejection at one-sided alpha is the upper (``sign = -1``: fewer
    events are better) or lower (``sign = +1``) bound of the two-sided 1 - 2 alpha
    confidence interval of the hazard ratio beyond M (the analysis of Rothmann, Wiens & Chan,
    *Design and Analysis of Non-Inferiority Trials*, 2012, ch. 13).

    Parameters
    ----------
    rows : ndarray of shape (reps, 10)
        Columns of :data:`~simtrial.stattests.SURVIVAL`: column 8 the Cox estimate
        :math:`\hat\beta` (Efron's ties, stratified with strata), column 9 its variance, the
        inverse of the Cox information at :math:`\hat\beta` (R ``vcov(coxph(...))``).
    sign : {1, -1}
        Direction of benefit (-1: a hazard ratio below the margin is the benefit).
    shift : float
        :math:`\log M` (:meth:`~simtrial.endpoints.EndpointModel.test_margin`).

    Returns
    -------
    ndarray of p-values :math:`\Phi(-\mathrm{sign}\, (\hat\beta - \log M) /
    \mathrm{se})`, 1 where the Cox estimate is undefined (all events in one arm).

    Notes
    -----
    The variance is the inverse of the Cox information at the estimate (what ``coxph``
    reports and a non-inferiority analysis's confidence interval uses), not the log-rank's V,
    the information at :math:`\beta = 0`. Simulated type I error at the margin (200000
    replicates, 300 events, one-sided 0.025): 0.0267 at 65:35 and M = 1.3, 0.0247 at 1:1.

    Examples
    --------
    >>> rows = np.zeros((1, 10))
    >>> rows[0, 8], rows[0, 9] = np.log(0.95), 0.01  # HR 0.95, se 0.1; margin 1.3
    >>> p = hazard_ratio_margin(rows, -1, np.log(1.3))
    >>> round(float(p[0]), 8)  # R: pnorm((log(0.95) - log(1.3)) / 0.1): 0.0008546668
    0.00085467
    """
    with np.errstate(invalid="ignore"):
        z = (rows[:, 8] - shift) / np.sqrt(rows[:, 9])
    return pvalue_of(z, special.ndtr, "one-sided", sign)


def _logrank_drift(ep, m_t: float, m_c: float, alpha: float) -> float:
    r"""Schoenfeld's drift of the log-rank z at the last look, in the direction of benefit.

    :math:`\sqrt{D}\,\sqrt{r}/(1 + r)\,|\log\Delta|`, signed by the direction of benefit,
    with D the expected events at the analysis (the endpoint model's ``analytic_events``:
    the target, or those expected by ``months``), r = m_t / m_c and :math:`\Delta` the hazard
    ratio: the canonical normal model of rpact's ``getPowerSurvival`` with a design. NaN
    without a constant hazard ratio.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> ep = load_scenario("scenarios/examples/time-to-event.toml").endpoint("death")
    >>> round(_logrank_drift(ep, 390, 210, 0.025), 4)  # sqrt(364 r) / (1 + r) |log 0.7|
    3.2457
    """
    import math

    hr = ep.model.hazard_ratio(ep)
    if hr is None:
        return math.nan
    n_t, n_c = round(m_t), round(m_c)
    events = ep.model.annotations(ep, n_t, n_c, alpha, "one-sided")["analytic_events"]
    r = m_t / m_c
    return ep.benefit_sign * math.log(hr) * math.sqrt(events * r) / (1 + r)


#: The log-rank test. No closed form here: Schoenfeld's power
#: (:func:`simtrial.events.schoenfeld_power`) needs the expected events at the analysis and
#: the hazard ratio, which a :data:`~simtrial.stattests._base.ClosedForm` does not receive
#: (it gets the numbers assessed); the endpoint model is the place to compute it. Its drift
#: through a group-sequential design's boundaries is Schoenfeld's (:func:`_logrank_drift`).
#: With a margin, the hazard ratio is tested against it by the Cox model's Wald test
#: (:func:`hazard_ratio_margin`).
LOGRANK = Test("logrank", "the log-rank test", SURVIVAL, logrank, drift=_logrank_drift,
               margin_pvalues=hazard_ratio_margin)
