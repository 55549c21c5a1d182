r"""Expected number of events by calendar time, and what it takes to reach a target.

The calculation of Lachin & Foulkes (1986) as rpact's ``getSampleSizeSurvival`` and
``getPowerSurvival`` implement it: a patient randomised at calendar time :math:`e` is followed
until the event, dropout (an independent competing risk) or the analysis at calendar time
:math:`t`; the expected number of events is the probability of an observed event by
follow-up time :math:`t - e`, integrated over the accrual. rpact integrates numerically
(``stats::integrate``); here the piecewise-constant hazards give the integral in closed form.

References
----------
.. [1] Lachin JM, Foulkes MA. Evaluation of sample size and power for analyses of survival
   with allowance for nonuniform patient entry, losses to follow-up, noncompliance, and
   stratification. Biometrics 1986; 42(3): 507-519. doi:10.2307/2531201
.. [2] Wassmer G, Pahlke F. rpact: Confirmatory adaptive clinical trial design and analysis.
   R package version 3.3.4 (functions ``getSampleSizeSurvival``, ``getPowerSurvival``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from simtrial.errors import InputError
from simtrial.events.accrual import Accrual
from simtrial.events.piecewise import PiecewiseExponential

__all__ = [
    "accrual_for_events",
    "event_probability",
    "expected_events",
    "expected_events_by_arm",
    "patients_for_events",
    "time_of_events",
]

Dropout = PiecewiseExponential | Sequence[PiecewiseExponential] | None


def event_probability(follow_up: ArrayLike, survival: PiecewiseExponential,
                      dropout: PiecewiseExponential | None = None) -> NDArray[np.float64]:
    r"""Probability that a patient's event is observed within `follow_up` months.

    Parameters
    ----------
    follow_up : array_like
        Months since randomisation, >= 0.
    survival : PiecewiseExponential
        Time to the event.
    dropout : PiecewiseExponential, optional
        Time to dropout (no cure fraction), independent of the event; none by default.

    Notes
    -----
    With event hazard :math:`\lambda(s)` of the uncured, dropout hazard :math:`\phi(s)` and cure
    fraction :math:`\pi`,

    .. math:: F(u) = (1 - \pi) \int_0^u \lambda(s)
              \exp\Big(-\int_0^s (\lambda + \phi)\Big) \, ds,

    which on each piece (of the merged breakpoints) where both hazards are constant is
    :math:`F(s_j) + w_j (1 - e^{-h_j (u - s_j)})` with :math:`h_j = \lambda_j + \phi_j` and
    :math:`w_j = (1 - \pi) \lambda_j G(s_j) / h_j`, :math:`G` the probability of being event-
    and dropout-free. This is rpact's ``.getEventProbabilityFunction``.

    Examples
    --------
    >>> control = PiecewiseExponential.from_median(12)
    >>> float(event_probability(12, control))
    0.5
    >>> dropout = PiecewiseExponential.from_probability(0.05, 12)
    >>> round(float(event_probability(12, control, dropout)), 4)
    0.4888
    """
    return _EventCurve.of(survival, dropout).probability(_nonnegative(follow_up, "follow_up"))


def expected_events_by_arm(t: ArrayLike, accrual: Accrual,
                           survival: Sequence[PiecewiseExponential],
                           allocation: Sequence[float] = (1.0, 1.0),
                           dropout: Dropout = None) -> NDArray[np.float64]:
    r"""Expected number of events in each arm by calendar time(s) `t`.

    Parameters
    ----------
    t : array_like
        Calendar months since the first randomisation, >= 0.
    accrual : Accrual
        All patients randomised (both arms), possibly open-ended.
    survival : sequence of PiecewiseExponential
        Time to event in each arm, e.g. ``(treatment, control)``.
    allocation : sequence of float, optional
        Allocation weights in the same order, e.g. ``(65, 35)``; equal by default.
    dropout : PiecewiseExponential or sequence of them, optional
        Time to dropout, one for all arms or one per arm; none by default.

    Returns
    -------
    ndarray
        Shape ``t.shape + (number of arms,)``.

    Notes
    -----
    Arm :math:`a` receives the share :math:`\rho_a` of the accrual rate :math:`r_k` of each
    period :math:`[a_k, b_k)`, so its expected events at calendar time :math:`t` are

    .. math:: D_a(t) = \rho_a \sum_k r_k \int_{a_k}^{\min(b_k, t)} F_a(t - e) \, de
              = \rho_a \sum_k r_k \, [I_a(t - a_k) - I_a(t - \min(b_k, t))]

    for :math:`t > a_k`, with :math:`I_a(x) = \int_0^x F_a(u) du` in closed form (see
    :func:`event_probability`). rpact's event probability ``omega`` is :math:`\sum_a D_a / n`.

    Examples
    --------
    >>> control = PiecewiseExponential.from_median(12)
    >>> arms = (control.with_hazard_ratio(0.7), control)
    >>> accrual = Accrual.constant(12, 30)
    >>> expected_events_by_arm(24, accrual, arms).round(1)
    array([ 92.2, 115.1])
    """
    t = _nonnegative(t, "t")
    curves, shares = _arms(survival, allocation, dropout)
    starts, ends = accrual.starts, np.asarray(accrual.ends)
    tt = t[..., None]
    since_start = np.maximum(tt - starts, 0.0)
    since_end = np.maximum(tt - np.minimum(ends, tt), 0.0)
    rates = np.asarray(accrual.rates)
    return np.stack([share * ((curve.integral(since_start) - curve.integral(since_end)) @ rates)
                     for curve, share in zip(curves, shares, strict=True)], axis=-1)


def expected_events(t: ArrayLike, accrual: Accrual, survival: Sequence[PiecewiseExponential],
                    allocation: Sequence[float] = (1.0, 1.0),
                    dropout: Dropout = None) -> NDArray[np.float64]:
    """Expected number of events in all arms by calendar time(s) `t`.

    The sum over arms of :func:`expected_events_by_arm` (same parameters).

    Examples
    --------
    >>> control = PiecewiseExponential.from_median(12)
    >>> arms = (control.with_hazard_ratio(0.7), control)
    >>> round(float(expected_events(24, Accrual.constant(12, 30), arms)), 1)
    207.3
    """
    return expected_events_by_arm(t, accrual, survival, allocation, dropout).sum(axis=-1)


def time_of_events(events: float, accrual: Accrual, survival: Sequence[PiecewiseExponential],
                   allocation: Sequence[float] = (1.0, 1.0), dropout: Dropout = None) -> float:
    """Calendar time at which `events` events are expected (the analysis time).

    Parameters as in :func:`expected_events_by_arm`; `events` > 0.

    Raises
    ------
    ValueError
        If fewer than `events` events are expected even after unlimited follow-up.

    Notes
    -----
    The expected number of events increases with calendar time; the root is bracketed by
    doubling and found with Brent's method to 1e-10 months. rpact's ``analysisTime``.

    Examples
    --------
    >>> control = PiecewiseExponential.from_median(12)
    >>> arms = (control.with_hazard_ratio(0.7), control)
    >>> t = time_of_events(200, Accrual.constant(12, 30), arms)
    >>> round(t, 3), round(float(expected_events(t, Accrual.constant(12, 30), arms)), 6)
    (23.025, 200.0)
    """
    if not (math.isfinite(events) and events > 0):
        raise InputError(f"`events` must be finite and > 0, got {events!r}")
    curves, shares = _arms(survival, allocation, dropout)
    if math.isfinite(accrual.n):
        most = accrual.n * sum(s * c.probability(np.inf) for c, s in zip(curves, shares,
                                                                        strict=True))
        if events >= most * (1 - 1e-9):
            raise InputError(f"`events` = {events:g} is never reached: at most {most:.4g} events "
                             f"are expected from {accrual.n:g} patients")

    def excess(t: float) -> float:
        return float(expected_events(t, accrual, survival, allocation, dropout)) - events

    return _increasing_root(excess, 1.0)


def patients_for_events(events: float, accrual: Accrual,
                        survival: Sequence[PiecewiseExponential], follow_up: float,
                        allocation: Sequence[float] = (1.0, 1.0),
                        dropout: Dropout = None) -> float:
    r"""Patients needed for `events` expected events, accrual duration and follow-up fixed.

    The accrual keeps its periods and relative rates (rpact's relative ``accrualIntensity``)
    and is scaled to the number returned; the analysis is `follow_up` months after the end
    of accrual. rpact's ``maxNumberOfSubjects`` when ``followUpTime`` is given and the
    intensities are relative.

    Notes
    -----
    The expected events at a fixed calendar time are proportional to the number randomised,
    so :math:`n = D / \omega` with :math:`\omega` the event probability of a patient (rpact's
    ``omega``) at calendar time ``accrual.duration + follow_up``.

    Examples
    --------
    >>> control = PiecewiseExponential.from_median(12)
    >>> arms = (control.with_hazard_ratio(0.7), control)
    >>> dropout = PiecewiseExponential.from_probability(0.05, 12)
    >>> n = patients_for_events(363.0527, Accrual.constant(12, 1), arms, follow_up=12,
    ...                         allocation=(65, 35), dropout=dropout)
    >>> round(n, 2)  # rpact getSampleSizeSurvival: 674.1683
    674.17
    """
    if not (math.isfinite(events) and events > 0):
        raise InputError(f"`events` must be finite and > 0, got {events!r}")
    if not (math.isfinite(follow_up) and follow_up >= 0):
        raise InputError(f"`follow_up` must be finite and >= 0, got {follow_up!r}")
    if not math.isfinite(accrual.n):
        raise InputError("`accrual` must be closed (a last end), its rates are scaled")
    per_patient = float(expected_events(accrual.duration + follow_up, accrual, survival,
                                        allocation, dropout)) / accrual.n
    return events / per_patient


def accrual_for_events(events: float, accrual: Accrual,
                       survival: Sequence[PiecewiseExponential], follow_up: float,
                       allocation: Sequence[float] = (1.0, 1.0),
                       dropout: Dropout = None) -> Accrual:
    """Accrual at the given rates, recruiting until `events` are expected `follow_up` later.

    The rates are fixed and the number of patients (so the accrual duration) is solved: the
    accrual is :meth:`Accrual.extended_to` ``n`` patients, and ``n`` is the root of expected
    events at ``duration(n) + follow_up`` = `events`. rpact's ``maxNumberOfSubjects`` when
    ``followUpTime`` is given with absolute ``accrualIntensity`` and no end of accrual.

    Returns
    -------
    Accrual
        Closed; ``.n`` is the number of patients, ``.duration`` the accrual duration.

    Examples
    --------
    >>> control = PiecewiseExponential.from_median(12)
    >>> arms = (control.with_hazard_ratio(0.7), control)
    >>> dropout = [PiecewiseExponential.from_probability(p, 12) for p in (0.05, 0.1)]
    >>> plan = accrual_for_events(363.0527, Accrual.constant(math.inf, 30), arms,
    ...                           follow_up=12, allocation=(65, 35), dropout=dropout)
    >>> round(plan.n, 2), round(plan.duration, 3)  # rpact: 613.588, 20.45293
    (613.59, 20.453)
    """
    if not (math.isfinite(events) and events > 0):
        raise InputError(f"`events` must be finite and > 0, got {events!r}")
    if not (math.isfinite(follow_up) and follow_up >= 0):
        raise InputError(f"`follow_up` must be finite and >= 0, got {follow_up!r}")

    def excess(n: float) -> float:
        plan = accrual.extended_to(n)
        return float(expected_events(plan.duration + follow_up, plan, survival, allocation,
                                     dropout)) - events

    return accrual.extended_to(_increasing_root(excess, events))


# ---------------------------------------------------------------------- internals
@dataclass(frozen=True)
class _EventCurve:
    """F(u), the probability of an observed event by follow-up u, and its integral I(x)."""

    starts: NDArray[np.float64]
    total: NDArray[np.float64]        # h_j: event + dropout hazard in piece j
    weight: NDArray[np.float64]       # w_j = (1 - pi) lambda_j G(s_j) / h_j (0 where h_j = 0)
    at_starts: NDArray[np.float64]    # F(s_j)
    area_at_starts: NDArray[np.float64]  # I(s_j)

    @classmethod
    def of(cls, survival: PiecewiseExponential,
           dropout: PiecewiseExponential | None) -> _EventCurve:
        if dropout is None:
            dropout = PiecewiseExponential.from_hazard(0.0)
        if dropout.cure_fraction:
            raise InputError("`dropout` must have no cure fraction")
        starts = np.union1d(survival.starts, dropout.starts)
        event = survival.hazard(starts)
        total = event + dropout.hazard(starts)
        widths = np.diff(starts)
        free = np.exp(-np.concatenate(([0.0], np.cumsum(total[:-1] * widths))))  # G(s_j)
        weight = np.zeros_like(total)
        np.divide((1 - survival.cure_fraction) * event * free, total, out=weight,
                  where=total > 0)
        gained = weight[:-1] * -np.expm1(-total[:-1] * widths)
        at_starts = np.concatenate(([0.0], np.cumsum(gained)))
        area = at_starts[:-1] * widths + weight[:-1] * (widths - _decay_area(total[:-1], widths))
        area_at_starts = np.concatenate(([0.0], np.cumsum(area)))
        return cls(starts, total, weight, at_starts, area_at_starts)

    def _locate(self, u: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        j = np.searchsorted(self.starts, u, side="right") - 1
        return j, u - self.starts[j]

    def probability(self, u: ArrayLike) -> NDArray[np.float64]:
        j, d = self._locate(np.asarray(u, dtype=float))
        h = self.total[j]
        exponent = np.zeros(np.shape(d))  # a zero hazard decays by nothing, even for d = inf
        np.multiply(-h, d, out=exponent, where=h > 0)
        return self.at_starts[j] - self.weight[j] * np.expm1(exponent)

    def integral(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        j, d = self._locate(x)
        h = self.total[j]
        return (self.area_at_starts[j] + self.at_starts[j] * d
                + self.weight[j] * (d - _decay_area(h, d)))


def _decay_area(rate: NDArray[np.float64], width: NDArray[np.float64]) -> NDArray[np.float64]:
    """(1 - exp(-rate * width)) / rate, the area under exp(-rate s) on [0, width]; width at 0."""
    out = np.array(width, dtype=float, copy=True)
    np.divide(-np.expm1(-rate * width), rate, out=out, where=rate > 0)
    return out


def _arms(survival: Sequence[PiecewiseExponential], allocation: Sequence[float],
          dropout: Dropout) -> tuple[list[_EventCurve], NDArray[np.float64]]:
    weights = np.asarray(allocation, dtype=float)
    if len(survival) != len(weights):
        raise InputError(f"`survival` and `allocation` need one entry per arm, got "
                         f"{len(survival)} and {len(weights)}")
    if not (np.all(np.isfinite(weights)) and np.all(weights > 0)):
        raise InputError(f"`allocation` must be finite and > 0, got {list(allocation)}")
    if dropout is None or isinstance(dropout, PiecewiseExponential):
        dropouts: Sequence[PiecewiseExponential | None] = [dropout] * len(survival)
    else:
        dropouts = dropout
        if len(dropouts) != len(survival):
            raise InputError(f"`dropout` needs one entry or one per arm ({len(survival)}), got "
                             f"{len(dropouts)}")
    curves = [_EventCurve.of(s, d) for s, d in zip(survival, dropouts, strict=True)]
    return curves, weights / weights.sum()


def _increasing_root(excess: Callable[[float], float], guess: float) -> float:
    """Root of an increasing function on (0, inf), bracketed by doubling from `guess`."""
    upper = guess
    while excess(upper) < 0:
        upper *= 2
        if upper > 1e12:
            raise InputError("no root below 1e12: the target is never reached")
    lower = upper / 2
    while lower > 1e-12 and excess(lower) > 0:
        lower /= 2
    return float(optimize.brentq(excess, lower, upper, xtol=1e-10, rtol=1e-14))


def _nonnegative(x: ArrayLike, name: str) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=float)
    if np.any(~((x >= 0) & np.isfinite(x))):
        raise InputError(f"`{name}` must be finite and >= 0")
    return x
