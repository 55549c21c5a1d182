r"""Piecewise-constant accrual: how many patients are randomised by each calendar month.

:class:`Accrual` holds a rate (patients per month) for each period; the last period may be
open-ended (recruitment goes on at that rate until stopped, as rpact's ``accrualTime`` with as
many entries as ``accrualIntensity``). Calendar time 0 is the first randomisation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simtrial.errors import InputError

__all__ = ["Accrual"]


@dataclass(frozen=True)
class Accrual:
    r"""Patients randomised at constant rates over consecutive calendar periods.

    Parameters
    ----------
    rates : sequence of float
        Patients per month in each period, all >= 0 with at least one > 0.
    ends : sequence of float
        Calendar month at which each period ends, strictly increasing, first > 0; the last may
        be ``inf`` (recruitment open-ended; then :attr:`n` is ``inf``).

    Notes
    -----
    With periods :math:`[a_k, b_k)` and rates :math:`r_k`, the number randomised by calendar
    time :math:`t` is :math:`A(t) = \sum_k r_k \, |[a_k, b_k) \cap [0, t)|`, piecewise linear;
    its inverse (:meth:`time_of`) is one ``searchsorted`` and one division. The accrual cdf is
    :math:`A(t) / n`.

    Examples
    --------
    >>> accrual = Accrual.constant(months=12, per_month=60)
    >>> accrual.n, accrual.duration
    (720.0, 12.0)
    >>> ramp = Accrual.from_rpact(accrual_time=[0, 3, 12], accrual_intensity=[20, 60])
    >>> ramp.n, float(ramp.count(6)), float(ramp.time_of(240))
    (600.0, 240.0, 6.0)
    """

    rates: tuple[float, ...]
    ends: tuple[float, ...]

    def __post_init__(self) -> None:
        rates = tuple(float(r) for r in np.atleast_1d(self.rates))
        ends = tuple(float(e) for e in np.atleast_1d(self.ends))
        if len(rates) != len(ends):
            raise InputError(f"`rates` and `ends` must have the same length, got {len(rates)} "
                             f"and {len(ends)}")
        if not (all(math.isfinite(r) and r >= 0 for r in rates) and max(rates) > 0):
            raise InputError(f"`rates` must be finite and >= 0, one > 0, got {list(rates)}")
        if not (ends[0] > 0 and all(math.isfinite(e) for e in ends[:-1])
                and all(a < b for a, b in zip(ends, ends[1:], strict=False))):
            raise InputError(f"`ends` must be > 0 and strictly increasing (only the last may be "
                             f"inf), got {list(ends)}")
        if math.isinf(ends[-1]) and rates[-1] == 0:
            raise InputError("an open-ended last period (`ends[-1]` = inf) needs a rate > 0")
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "ends", ends)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def constant(cls, months: float, per_month: float) -> Accrual:
        """`per_month` patients a month for `months` months (``inf``: open-ended).

        Examples
        --------
        >>> Accrual.constant(12, 30).n
        360.0
        """
        return cls((per_month,), (months,))

    @classmethod
    def periods(cls, months: Sequence[float], per_month: Sequence[float]) -> Accrual:
        """Consecutive periods of the given lengths (`months`), each with its rate.

        Examples
        --------
        >>> Accrual.periods([3, 9], [20, 60]).ends
        (3.0, 12.0)
        """
        return cls(tuple(per_month), tuple(np.cumsum(np.asarray(months, dtype=float))))

    @classmethod
    def from_rpact(cls, accrual_time: Sequence[float],
                   accrual_intensity: Sequence[float]) -> Accrual:
        """Accrual from rpact's ``accrualTime`` (starting at 0) and absolute ``accrualIntensity``.

        ``accrualTime`` lists the period boundaries from 0. With one entry more than
        ``accrualIntensity`` the last is the end of accrual; with as many entries the last
        period is open-ended (close it with :meth:`extended_to`). rpact's relative intensities
        (all < 1, with ``maxNumberOfSubjects`` fixing the total) are :meth:`scaled_to`.

        Examples
        --------
        >>> Accrual.from_rpact([0, 6], [20, 40]).ends
        (6.0, inf)
        """
        times = [float(t) for t in accrual_time]
        if not times or times[0] != 0:
            raise InputError(f"`accrual_time` must start at 0, got {list(accrual_time)}")
        if len(times) not in (len(accrual_intensity), len(accrual_intensity) + 1):
            raise InputError(f"`accrual_time` ({len(times)} entries) needs as many entries as "
                             f"`accrual_intensity` ({len(accrual_intensity)}) or one more")
        ends = times[1:] + [math.inf] * (len(accrual_intensity) + 1 - len(times))
        return cls(tuple(accrual_intensity), tuple(ends))

    def scaled_to(self, n: float) -> Accrual:
        """The same periods with every rate scaled so that `n` patients are randomised.

        Examples
        --------
        >>> Accrual.periods([3, 9], [1, 3]).scaled_to(600).rates
        (20.0, 60.0)
        """
        if not (math.isfinite(self.n) and math.isfinite(n) and n > 0):
            raise InputError(f"`n` must be finite and > 0 and the accrual closed, got n = {n!r} "
                             f"for ends {list(self.ends)}")
        return Accrual(tuple(r * n / self.n for r in self.rates), self.ends)

    def extended_to(self, n: float) -> Accrual:
        """Recruit at the last rate beyond the last period until `n` patients, then stop.

        If `n` is reached earlier, accrual stops there. This is rpact's reading of a given
        ``maxNumberOfSubjects`` with absolute intensities.

        Examples
        --------
        >>> Accrual.from_rpact([0, 6], [20, 40]).extended_to(300).ends
        (6.0, 10.5)
        """
        if not (math.isfinite(n) and n > 0):
            raise InputError(f"`n` must be finite and > 0, got {n!r}")
        if self.rates[-1] == 0:
            raise InputError("accrual cannot be extended: the last rate is 0")
        open_ended = Accrual(self.rates, (*self.ends[:-1], math.inf))
        end = float(open_ended.time_of(n))
        last = int(np.searchsorted(self.ends[:-1], end, side="left"))
        return Accrual(self.rates[: last + 1], (*self.ends[:last], end))

    # ------------------------------------------------------------------ functions of time
    @property
    def n(self) -> float:
        """Number randomised in all (``inf`` if open-ended)."""
        return float(self.count(self.ends[-1])) if math.isfinite(self.ends[-1]) else math.inf

    @property
    def duration(self) -> float:
        """Calendar month at which accrual ends."""
        return self.ends[-1]

    @property
    def starts(self) -> NDArray[np.float64]:
        """Start of each period: ``[0, *ends[:-1]]``."""
        return np.concatenate(([0.0], self.ends[:-1]))

    def count(self, t: ArrayLike) -> NDArray[np.float64]:
        """Expected number randomised by calendar time(s) `t` >= 0.

        Examples
        --------
        >>> Accrual.constant(12, 30).count([6, 24])
        array([180., 360.])
        """
        t = np.asarray(t, dtype=float)
        if np.any(~(t >= 0)):
            raise InputError("calendar times `t` must be >= 0")
        starts, ends = self.starts, np.asarray(self.ends)
        spent = np.clip(t[..., None], starts, ends) - starts
        return spent @ np.asarray(self.rates)

    def cdf(self, t: ArrayLike) -> NDArray[np.float64]:
        """Fraction of the :attr:`n` patients randomised by calendar time(s) `t`."""
        if not math.isfinite(self.n):
            raise InputError("the accrual cdf needs a closed accrual (use `extended_to`)")
        return self.count(t) / self.n

    def time_of(self, count: ArrayLike) -> NDArray[np.float64]:
        """Calendar time at which `count` patients have been randomised (inverse of :meth:`count`).

        Examples
        --------
        >>> Accrual.periods([3, 9], [20, 60]).time_of([0, 60, 600])
        array([ 0.,  3., 12.])
        """
        count = np.asarray(count, dtype=float)
        if np.any(~((count >= 0) & (count <= self.n))):
            raise InputError(f"`count` must be in [0, n = {self.n}]")
        rates = np.asarray(self.rates)
        starts = self.starts
        at_starts = np.concatenate(([0.0], np.cumsum(rates[:-1] * np.diff(starts))))
        # the first period whose end reaches the count (periods with rate 0 are skipped)
        k = np.maximum(np.searchsorted(at_starts, count, side="left") - 1, 0)
        excess = count - at_starts[k]
        since = np.zeros(count.shape)
        np.divide(excess, rates[k], out=since, where=excess > 0)
        return starts[k] + since

    def quantile(self, p: ArrayLike) -> NDArray[np.float64]:
        """Inverse accrual cdf: the calendar time by which a fraction `p` has been randomised.

        Entry times are drawn by inversion as ``quantile(U)`` with ``U`` uniform.

        Examples
        --------
        >>> Accrual.constant(12, 30).quantile([0.25, 1.0])
        array([ 3., 12.])
        """
        if not math.isfinite(self.n):
            raise InputError("the accrual quantile needs a closed accrual (use `extended_to`)")
        p = np.asarray(p, dtype=float)
        if np.any(~((p >= 0) & (p <= 1))):
            raise InputError("`p` must be in [0, 1]")
        return self.time_of(p * self.n)
