r"""Recursive numerical integration of the canonical joint distribution of the z-statistics.

Canonical model (Jennison & Turnbull 2000, section 3.1): at information fractions
:math:`0 < t_1 < \dots < t_K = 1` the statistics :math:`Z_k` are jointly normal with
:math:`E Z_k = \theta \sqrt{t_k}` (:math:`\theta` is the drift, the mean of the final
statistic) and :math:`\mathrm{cov}(Z_j, Z_k) = \sqrt{t_j / t_k}` for :math:`j \le k`, so
the score :math:`S_k = Z_k \sqrt{t_k}` has independent increments
:math:`S_k - S_{k-1} \sim N(\theta \Delta_k, \Delta_k)`, :math:`\Delta_k = t_k - t_{k-1}`.

The sub-density of :math:`Z_k` on trials still running after look :math:`k` is carried
from look to look on the grid of Jennison & Turnbull (2000, section 19.2.1): ``6 r - 1``
points around :math:`\theta\sqrt{t_k}`, cut to the continuation interval, with its ends and
midpoints added and Simpson's rule weights (Armitage, McPherson & Rowe 1969 for the
recursion). The error is :math:`O(r^{-4})`; ``r = 32`` gives probabilities to about 1e-9.

A :class:`Continuation` holds that sub-density times the weights, so an integral over the
continuation region is a dot product. Looks are processed in order with :func:`advance`;
:func:`upper_tail` and :func:`lower_tail` give the probability of stopping at the next look
above or below a bound, cheap enough to sit inside a root finder.

References
----------
Armitage P, McPherson CK, Rowe BC. Repeated significance tests on accumulating data. Journal
of the Royal Statistical Society, Series A. 1969;132(2):235-244.

Jennison C, Turnbull BW. Group Sequential Methods with Applications to Clinical Trials.
Boca Raton: Chapman & Hall/CRC; 2000. Chapter 19.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Continuation:
    """Trials still running after the look at information fraction ``t``.

    ``mass[i]`` is the Simpson weight of grid point ``z[i]`` times the sub-density of
    :math:`Z` there (trials not stopped at or before this look). Before the first look the
    state is the point mass :func:`start`.
    """

    t: float
    z: NDArray[np.float64]
    mass: NDArray[np.float64]


def start() -> Continuation:
    """The state before the first look: every trial running, :math:`S_0 = 0` at ``t = 0``."""
    return Continuation(0.0, np.zeros(1), np.ones(1))


def _standardised(state: Continuation, t: float, drift: float, bound: float) -> NDArray[np.float64]:
    """``(bound - E[Z_t | z_prev]) / sd[Z_t | z_prev]`` for each grid point of ``state``."""
    delta = t - state.t
    return (bound * math.sqrt(t) - state.z * math.sqrt(state.t) - drift * delta) / math.sqrt(delta)


def upper_tail(state: Continuation, t: float, drift: float, bound: float) -> float:
    """P(still running after ``state``, then :math:`Z_t > ` ``bound``)."""
    if bound == math.inf:
        return 0.0
    return float(state.mass @ special.ndtr(-_standardised(state, t, drift, bound)))


def lower_tail(state: Continuation, t: float, drift: float, bound: float) -> float:
    """P(still running after ``state``, then :math:`Z_t < ` ``bound``)."""
    if bound == -math.inf:
        return 0.0
    return float(state.mass @ special.ndtr(_standardised(state, t, drift, bound)))


def _grid(centre: float, lower: float, upper: float, r: int) -> tuple[NDArray[np.float64],
                                                                   NDArray[np.float64]]:
    """Jennison-Turnbull points around ``centre`` cut to [lower, upper], Simpson weights."""
    i = np.arange(1, 6 * r)
    base = np.where(
        i < r, -3.0 - 4.0 * np.log(r / np.minimum(i, r)),
        np.where(i <= 5 * r, -3.0 + 3.0 * (i - r) / (2.0 * r),
                 3.0 + 4.0 * np.log(r / np.maximum(6 * r - i, 1))))
    base = centre + base
    inside = base[(base > lower) & (base < upper)]
    ends = [lower] if math.isfinite(lower) else []
    tail = [upper] if math.isfinite(upper) else []
    knots = np.concatenate([ends, inside, tail])
    if knots.size < 2:
        return np.zeros(0), np.zeros(0)
    width = np.diff(knots)
    points = np.empty(2 * knots.size - 1)
    points[0::2] = knots
    points[1::2] = knots[:-1] + width / 2.0
    weights = np.zeros_like(points)
    weights[0:-1:2] += width / 6.0
    weights[2::2] += width / 6.0
    weights[1::2] = 4.0 * width / 6.0
    return points, weights


def advance(state: Continuation, t: float, drift: float, lower: float, upper: float,
            r: int, centre: float | None = None) -> Continuation:
    r"""Trials still running after the look at ``t`` whose continuation region is (lower, upper).

    Parameters
    ----------
    state : Continuation
        The trials running after the previous look.
    t : float
        This look's information fraction, greater than ``state.t``.
    drift : float
        :math:`\theta`, the mean of the statistic at ``t = 1``.
    lower, upper : float
        The continuation interval at this look (``-inf`` / ``inf`` where no bound).
    r : int
        Grid size parameter (``6 r - 1`` base points).
    centre : float, optional
        Where the grid is centred: by default :math:`\theta\sqrt t`, the mean of
        :math:`Z_t`; a conditional computation passes the conditional mean.
    """
    if not lower < upper:
        return Continuation(t, np.zeros(0), np.zeros(0))
    z, weights = _grid(drift * math.sqrt(t) if centre is None else centre, lower, upper, r)
    delta = t - state.t
    scale = math.sqrt(delta)
    # kernel[i, j] = phi((z_i sqrt(t) - z_prev_j sqrt(t_prev) - drift delta) / scale), built
    # in place: this matrix is the whole cost of a design
    kernel = np.subtract.outer(z * (math.sqrt(t) / scale),
                               (state.z * math.sqrt(state.t) + drift * delta) / scale)
    np.square(kernel, out=kernel)
    kernel *= -0.5
    np.exp(kernel, out=kernel)
    density = (kernel @ state.mass) * (_INV_SQRT_2PI * math.sqrt(t) / scale)
    return Continuation(t, z, weights * density)
