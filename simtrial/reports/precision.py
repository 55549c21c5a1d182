"""How precisely the simulation pins down n: the totals whose power is within 2 MCSE of the target.

A simulated power has Monte Carlo error, so the chosen n is one of several totals whose
simulated power cannot be told apart from the target. :func:`n_range` finds them on the same
random numbers as the search (common random numbers, the same seed and reps): the smallest
and the largest total n whose simulated power lies within ``2 * MCSE`` of the target. It reuses
the search's trace and simulates a few more totals, bisecting between a total inside the band
and one outside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["BAND", "n_range"]

#: Half-width of the band around the target, in Monte Carlo standard errors.
BAND = 2.0
_MAX_RUNS = 24


def n_range(power_at: Callable[[int], tuple[float, float]], n: int, target: float,
            known: dict[int, tuple[float, float]], n_min: int) -> dict:
    """The totals around `n` whose simulated power is within 2 MCSE of `target`.

    Parameters
    ----------
    power_at : callable
        n -> (power, mcse), simulated with the search's seed and reps.
    n : int
        The chosen total.
    target : float
        Target power.
    known : dict
        n -> (power, mcse) already simulated (the search's trace at the same reps).
    n_min : int
        The smallest total the trial allows.

    Returns
    -------
    dict
        ``n_low``, ``n_high`` (the smallest and the largest total inside the band),
        ``band`` (2), ``points`` (every total used: ``n_total``, ``power``, ``mcse``) and
        ``complete`` (False if the edges were not both found within the runs allowed; the
        range is then at least as wide as stated).

    Examples
    --------
    A straight power line with slope 0.001 per patient and MCSE 0.0031 gives n -/+ 6:

    >>> line = lambda m: (0.9 + 0.001 * (m - 400), 0.0031)
    >>> r = n_range(line, 400, 0.9, {}, 2)
    >>> r["n_low"], r["n_high"], r["complete"]
    (394, 406, True)
    """
    points = dict(known)
    runs = 0

    def at(m: int) -> tuple[float, float]:
        nonlocal runs
        if m not in points:
            points[m] = power_at(m)
            runs += 1
        return points[m]

    def inside(m: int) -> bool:
        p, se = at(m)
        return abs(p - target) <= BAND * se

    slope = _slope(points, n)
    p_n, se_n = at(n)
    step = max(1, math.ceil(BAND * se_n / slope)) if slope > 0 else 8
    edges, complete = [], True
    for direction in (-1, 1):
        last_in = n
        m = n + direction * step
        while runs < _MAX_RUNS and m >= n_min and inside(m):
            last_in, m = m, m + direction * step
        if m < n_min:
            edges.append(n_min)
            continue
        if runs >= _MAX_RUNS:
            complete = False
            edges.append(last_in)
            continue
        out = m
        while abs(out - last_in) > 1 and runs < _MAX_RUNS:
            mid = (out + last_in) // 2
            if inside(mid):
                last_in = mid
            else:
                out = mid
        complete &= abs(out - last_in) == 1
        edges.append(last_in)
    rows = [{"n_total": m, "power": p, "mcse": se} for m, (p, se) in sorted(points.items())]
    return {"n_low": min(edges[0], n), "n_high": max(edges[1], n), "band": BAND,
            "points": rows, "complete": complete}


def _slope(points: dict[int, tuple[float, float]], n: int) -> float:
    """Power per patient near `n`, from the two known totals farthest apart (0 if unknown)."""
    if len(points) < 2:
        return 0.0
    near = sorted(points, key=lambda m: abs(m - n))[:6]
    lo, hi = min(near), max(near)
    return 0.0 if hi == lo else (points[hi][0] - points[lo][0]) / (hi - lo)
