r"""Piecewise-constant hazards: the survival model of a time-to-event endpoint.

One frozen object, :class:`PiecewiseExponential`, describes the time from randomisation to an
event in one arm (or to dropout): a hazard that is constant between breakpoints, optionally
mixed with a cured fraction that never has the event. Times are in months throughout (any unit
works, as long as hazards, breakpoints and accrual use the same one).

Competing terminal events (death before recovery, for time to recovery) are out of scope: an
arm has one event type, and dropout is the only competing risk, assumed independent of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simtrial.errors import InputError

__all__ = ["PiecewiseExponential"]


@dataclass(frozen=True)
class PiecewiseExponential:
    r"""Time to event with a piecewise-constant hazard and an optional cure fraction.

    Parameters
    ----------
    hazards : sequence of float
        Hazard (events per patient per month) in each piece, all >= 0; one more than `breaks`.
    breaks : sequence of float, optional
        Interior breakpoints in months, strictly increasing and > 0. Piece ``j`` covers
        ``[breaks[j-1], breaks[j])`` with ``breaks[-1] = 0``; the last piece is open-ended.
    cure_fraction : float, optional
        Fraction :math:`\pi \in [0, 1)` that never has the event (a mixture cure model).

    Notes
    -----
    With :math:`s_0 = 0 < s_1 < \dots < s_{m-1}` the starts of the pieces and :math:`h_j` their
    hazards, the cumulative hazard of the uncured is
    :math:`H_u(t) = \sum_j h_j \, |[s_j, s_{j+1}) \cap [0, t)|`, and

    .. math:: S(t) = \pi + (1 - \pi) \, e^{-H_u(t)}.

    The quantile (inverse cdf) is :math:`H_u^{-1}(-\log(1 - p / (1 - \pi)))` for
    :math:`p < 1 - \pi` and :math:`+\infty` above: one ``searchsorted`` on the cumulative hazard
    at the piece starts and one division, so a sampler can use it by inversion.

    A hazard ratio (:meth:`with_hazard_ratio`) multiplies the hazards of the uncured and leaves
    the cure fraction alone (give the treatment arm its own cure fraction with
    :meth:`with_cure_fraction`); with a cure fraction the ratio of the population hazards is
    then not constant.

    Examples
    --------
    >>> control = PiecewiseExponential.from_median(12)
    >>> round(control.hazards[0], 5), float(control.survival(12))
    (0.05776, 0.5)
    >>> treatment = control.with_hazard_ratio(0.7)
    >>> round(treatment.median, 2)
    17.14
    >>> delayed = control.with_hazard_ratio([1.0, 0.6], breaks=[3])  # effect after 3 months
    >>> delayed.breaks, [round(h, 4) for h in delayed.hazards]
    ((3.0,), [0.0578, 0.0347])
    """

    hazards: tuple[float, ...]
    breaks: tuple[float, ...] = ()
    cure_fraction: float = 0.0

    def __post_init__(self) -> None:
        hazards = tuple(float(h) for h in np.atleast_1d(self.hazards))
        breaks = tuple(float(b) for b in np.atleast_1d(self.breaks))
        _piecewise_iv(hazards, breaks, "hazards")
        if not 0.0 <= self.cure_fraction < 1.0:
            raise InputError(f"`cure_fraction` must be in [0, 1), got {self.cure_fraction!r}")
        object.__setattr__(self, "hazards", hazards)
        object.__setattr__(self, "breaks", breaks)
        object.__setattr__(self, "cure_fraction", float(self.cure_fraction))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_hazard(cls, hazard: float) -> PiecewiseExponential:
        """Exponential time to event with a constant `hazard` (per month).

        Examples
        --------
        >>> PiecewiseExponential.from_hazard(0.05).hazards
        (0.05,)
        """
        return cls((hazard,))

    @classmethod
    def from_median(cls, median: float) -> PiecewiseExponential:
        r"""Exponential time to event with the given `median` (months): hazard :math:`\log 2 / m`.

        Examples
        --------
        >>> round(PiecewiseExponential.from_median(12).hazards[0], 6)  # rpact lambda2, median2 = 12
        0.057762
        """
        if not (math.isfinite(median) and median > 0):
            raise InputError(f"`median` must be finite and > 0, got {median!r}")
        return cls((math.log(2) / median,))

    @classmethod
    def from_probability(cls, probability: float, time: float) -> PiecewiseExponential:
        r"""Exponential time with the event by `time` with `probability`.

        The hazard is :math:`-\log(1 - p) / t`: rpact's ``pi2`` at ``eventTime``, and its
        dropout rate ``dropoutRate`` at ``dropoutTime``.

        Examples
        --------
        >>> dropout = PiecewiseExponential.from_probability(0.05, 12)  # 5% drop out in a year
        >>> round(dropout.hazards[0], 6), round(float(dropout.cdf(12)), 12)
        (0.004274, 0.05)
        """
        if not (0.0 <= probability < 1.0):
            raise InputError(f"`probability` must be in [0, 1), got {probability!r}")
        if not (math.isfinite(time) and time > 0):
            raise InputError(f"`time` must be finite and > 0, got {time!r}")
        return cls((-math.log1p(-probability) / time,))

    @classmethod
    def from_hazards(cls, hazards: Sequence[float],
                     breaks: Sequence[float] = ()) -> PiecewiseExponential:
        """Piecewise-constant `hazards` changing at `breaks` (months).

        rpact's ``piecewiseSurvivalTime = c(0, 6, 12)`` with ``lambda2 = c(a, b, c)`` is
        ``from_hazards([a, b, c], breaks=[6, 12])``.

        Examples
        --------
        >>> model = PiecewiseExponential.from_hazards([0.03, 0.06, 0.04], breaks=[6, 12])
        >>> round(float(model.cumulative_hazard(15)), 4)  # 0.03*6 + 0.06*6 + 0.04*3
        0.66
        """
        return cls(tuple(hazards), tuple(breaks))

    def with_hazard_ratio(self, hazard_ratio: float | Sequence[float],
                          breaks: Sequence[float] = ()) -> PiecewiseExponential:
        """The hazards of the uncured multiplied by a (possibly piecewise) `hazard_ratio`.

        Parameters
        ----------
        hazard_ratio : float or sequence of float
            Ratio (> 0) in each piece of `breaks`; one more value than breaks.
        breaks : sequence of float, optional
            Where the ratio changes (months); merged with this model's breakpoints.

        Examples
        --------
        >>> PiecewiseExponential.from_hazard(0.1).with_hazard_ratio(0.5).hazards
        (0.05,)
        """
        ratios = tuple(float(r) for r in np.atleast_1d(hazard_ratio))
        ratio_breaks = tuple(float(b) for b in np.atleast_1d(breaks))
        _piecewise_iv(ratios, ratio_breaks, "hazard_ratio")
        if min(ratios) <= 0:
            raise InputError(f"`hazard_ratio` must be > 0, got {hazard_ratio!r}")
        ratio = PiecewiseExponential(ratios, ratio_breaks)
        starts = np.union1d(self.starts, ratio.starts)
        hazards = self.hazard(starts) * ratio.hazard(starts)
        return PiecewiseExponential(tuple(hazards), tuple(starts[1:]), self.cure_fraction)

    def with_cure_fraction(self, cure_fraction: float) -> PiecewiseExponential:
        """The same hazards for the uncured, with the given `cure_fraction`.

        Examples
        --------
        >>> model = PiecewiseExponential.from_median(12).with_cure_fraction(0.2)
        >>> round(float(model.survival(12)), 3)  # 0.2 + 0.8 * 0.5
        0.6
        """
        return PiecewiseExponential(self.hazards, self.breaks, cure_fraction)

    # ------------------------------------------------------------------ arrays
    @property
    def starts(self) -> NDArray[np.float64]:
        """Start of each piece (months): ``[0, *breaks]``."""
        return np.concatenate(([0.0], self.breaks))

    @property
    def cumulative_hazard_at_starts(self) -> NDArray[np.float64]:
        """Cumulative hazard of the uncured at the start of each piece."""
        widths = np.diff(self.starts)
        return np.concatenate(([0.0], np.cumsum(np.asarray(self.hazards[:-1]) * widths)))

    # ------------------------------------------------------------------ functions of time
    def hazard(self, t: ArrayLike) -> NDArray[np.float64]:
        """Hazard of the uncured at time(s) `t` >= 0 (right-continuous at breakpoints).

        Examples
        --------
        >>> PiecewiseExponential.from_hazards([1.0, 2.0], [3]).hazard([0, 2.9, 3, 10])
        array([1., 1., 2., 2.])
        """
        t = _times_iv(t)
        return np.asarray(self.hazards)[self._piece(t)]

    def cumulative_hazard(self, t: ArrayLike) -> NDArray[np.float64]:
        r"""Population cumulative hazard :math:`-\log S(t)` at time(s) `t` >= 0.

        Equal to :math:`H_u(t)` without a cure fraction.
        """
        t = _times_iv(t)
        if self.cure_fraction == 0:
            return self._uncured_cumulative_hazard(t)
        return -np.log(self.survival(t))

    def survival(self, t: ArrayLike) -> NDArray[np.float64]:
        r"""Survival function :math:`S(t) = \pi + (1 - \pi) e^{-H_u(t)}` at time(s) `t` >= 0.

        Examples
        --------
        >>> PiecewiseExponential.from_hazard(0.1).survival([0.0, 10.0]).round(4)
        array([1.    , 0.3679])
        """
        t = _times_iv(t)
        pi = self.cure_fraction
        return pi + (1 - pi) * np.exp(-self._uncured_cumulative_hazard(t))

    def cdf(self, t: ArrayLike) -> NDArray[np.float64]:
        """Probability of the event by time(s) `t`, ``1 - S(t)`` (computed without cancellation)."""
        t = _times_iv(t)
        return -(1 - self.cure_fraction) * np.expm1(-self._uncured_cumulative_hazard(t))

    def quantile(self, p: ArrayLike) -> NDArray[np.float64]:
        """Inverse cdf: the smallest time by which the event has probability `p` in [0, 1].

        Returns ``inf`` where `p` is at least the probability of ever having the event
        (``1 - cure_fraction``, or less if the last hazard is 0).

        Examples
        --------
        >>> PiecewiseExponential.from_median(12).quantile([0.0, 0.5, 1.0])
        array([ 0., 12., inf])
        """
        p = np.asarray(p, dtype=float)
        if np.any(~((p >= 0) & (p <= 1))):
            raise InputError("`p` must be in [0, 1]")
        uncured = 1 - self.cure_fraction
        inside = p < uncured
        target = np.full(p.shape, np.inf)
        target[inside] = -np.log1p(-p[inside] / uncured)
        return self._inverse_cumulative_hazard(target)

    @property
    def median(self) -> float:
        """Median time to event (``inf`` if the cure fraction is at least 1/2)."""
        return float(self.quantile(0.5))

    # ------------------------------------------------------------------ internals
    def _piece(self, t: NDArray[np.float64]) -> NDArray[np.intp]:
        return np.searchsorted(np.asarray(self.breaks), t, side="right")

    def _uncured_cumulative_hazard(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        j = self._piece(t)
        rate = np.asarray(self.hazards)[j]
        since = t - self.starts[j]
        # a zero hazard contributes 0 even over an infinite time (no 0 * inf)
        inside = np.multiply(rate, since, out=np.zeros(np.shape(t)), where=rate > 0)
        return self.cumulative_hazard_at_starts[j] + inside

    def _inverse_cumulative_hazard(self, target: NDArray[np.float64]) -> NDArray[np.float64]:
        at_starts = self.cumulative_hazard_at_starts
        # the first piece whose end reaches the target (leftmost: flat pieces are skipped)
        j = np.maximum(np.searchsorted(at_starts, target, side="left") - 1, 0)
        rate = np.asarray(self.hazards)[j]
        excess = target - at_starts[j]
        since = np.where(excess > 0, np.inf, 0.0)
        np.divide(excess, rate, out=since, where=(rate > 0) & np.isfinite(excess))
        return self.starts[j] + since


def _piecewise_iv(values: tuple[float, ...], breaks: tuple[float, ...], name: str) -> None:
    if len(values) != len(breaks) + 1:
        raise InputError(f"`{name}` needs one value more than `breaks`: got {len(values)} "
                         f"values and {len(breaks)} breaks")
    if not all(math.isfinite(v) and v >= 0 for v in values):
        raise InputError(f"`{name}` must be finite and >= 0, got {list(values)}")
    if breaks and not (breaks[0] > 0 and all(math.isfinite(b) for b in breaks)
                       and all(b < c for b, c in zip(breaks, breaks[1:], strict=False))):
        raise InputError(f"`breaks` must be finite, > 0 and strictly increasing, got "
                         f"{list(breaks)}")


def _times_iv(t: ArrayLike) -> NDArray[np.float64]:
    t = np.asarray(t, dtype=float)
    if np.any(~(t >= 0)):
        raise InputError("times `t` must be >= 0 (not nan)")
    return t
