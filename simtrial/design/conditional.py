r"""Futility on the conditional-power scale: the rule, conditional power, and its z bounds.

A data monitoring committee often states futility as "stop at an interim look if the chance
of eventually rejecting H0 has fallen below 10%". :class:`ConditionalPowerFutility` is that
rule, and :func:`futility_bounds` turns it into z-scale bounds, one per interim look, when the
design is computed: the trial stops for futility at look :math:`k` when
:math:`Z_k \le a_k`, the :math:`z` at which the conditional power equals the threshold.

Conditional power
-----------------
Write the B-value :math:`B(t) = Z(t)\sqrt t` (Lan & Wittes 1988): under the canonical model
(:mod:`simtrial.design.boundaries`) it is a Brownian motion with drift :math:`\theta`, so
given :math:`Z_k = z` at information fraction :math:`t_k` the remaining increment is
:math:`B(1) - B(t_k) \sim N(\theta(1 - t_k), 1 - t_k)`, independent of the past. A design
with no look between :math:`t_k` and the end rejects at the final analysis when
:math:`B(1) \ge c_K`, hence (Lachin 2005, eq. 6; Jennison & Turnbull 2000, section 10.2)

.. math::

   CP_k(z; \theta) = 1 - \Phi\!\left(\frac{c_K - z\sqrt{t_k} - \theta(1 - t_k)}
                                        {\sqrt{1 - t_k}}\right).

With further looks between :math:`t_k` and the end, the conditional power is the probability
of rejecting at **any** later look :math:`j > k` before a futility stop, the later futility
bounds obeyed (as rpact 3.3's ``getConditionalPower``, and gsDesign's ``gsCP``): the same
recursive integration as the design's, started from the point mass :math:`Z_k = z`
(:func:`conditional_power`). At the last interim look, or when no later look stops, it is the
closed form above. Two drifts are offered:

* ``cp:<p>``, the **planned effect**: :math:`\theta` is the design's drift, at which it has
  power :math:`1 - \beta` with the futility rule obeyed (``beta`` of the design, default 0.2).
  That drift depends on the futility bounds and they on it; both (and a binding design's
  efficacy bounds) are solved together by fixed-point iteration.
* ``cp-trend:<p>``, the **current trend**: :math:`\hat\theta = z / \sqrt{t_k}`, the drift
  the observed :math:`Z_k` estimates (Lachin 2005, section 2.2).

Since :math:`CP_k` increases in :math:`z`, the bound :math:`a_k` solving
:math:`CP_k(a_k) = p_k` is found by root finding, from the last interim look backwards (each
look's conditional power depends on the bounds after it). A bound that would lie above the
look's efficacy bound is set to it (every trial continuing there would stop for futility);
the conditional power at the bound is then below :math:`p_k`, and the design reports the
attained value.

Scope: one-sided designs (``sided = 1``), as every futility rule of
:mod:`simtrial.design.boundaries`; binding or non-binding like the z-scale rule.

References
----------
Lan KKG, Wittes J. The B-value: a tool for monitoring data. Biometrics. 1988;44(2):579-585.

Lachin JM. A review of methods for futility stopping based on conditional power. Statistics
in Medicine. 2005;24(18):2747-2764.

Jennison C, Turnbull BW. Group Sequential Methods with Applications to Clinical Trials.
Boca Raton: Chapman & Hall/CRC; 2000. Chapter 10.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from simtrial.design import _integration as integ
from simtrial.errors import InputError

__all__ = ["FORMS", "ConditionalPowerFutility", "attained", "conditional_power",
           "futility_bounds", "parse_conditional_power"]

#: The string forms of a conditional-power futility rule, as error messages list them.
FORMS = "cp:<p> | cp-trend:<p> (conditional power; one p per interim look: cp:<p1>:<p2>)"

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_FORM = re.compile(rf"(cp|cp-trend):\s*({_NUMBER}(?:\s*:\s*{_NUMBER})*)")
_Z_RANGE = 40.0     # futility bounds searched in [-_Z_RANGE, _Z_RANGE]


@dataclass(frozen=True)
class ConditionalPowerFutility:
    r"""Stop for futility at an interim look when the conditional power is below a threshold.

    Attributes
    ----------
    thresholds : tuple of float
        One threshold in (0, 1) for every interim look, or one for them all.
    trend : bool
        False: conditional power under the design's planned drift; True: under the current
        trend :math:`Z_k / \sqrt{t_k}`.

    Examples
    --------
    >>> rule = ConditionalPowerFutility((0.1,))
    >>> rule.label, rule.per_look(3).tolist()
    ('cp:0.1', [0.1, 0.1])
    """

    thresholds: tuple[float, ...]
    trend: bool = False

    def __post_init__(self) -> None:
        if not self.thresholds or not all(0.0 < p < 1.0 for p in self.thresholds):
            raise InputError(f"conditional-power thresholds must be numbers in (0, 1), got "
                             f"{list(self.thresholds)!r}")

    @property
    def label(self) -> str:
        """The rule's string form, e.g. ``"cp:0.1"`` or ``"cp-trend:0.05:0.2"``."""
        return ("cp-trend:" if self.trend else "cp:") + ":".join(f"{p:g}"
                                                                for p in self.thresholds)

    def per_look(self, looks: int) -> NDArray[np.float64]:
        """The threshold at each of the ``looks - 1`` interim looks of a ``looks``-look design."""
        if len(self.thresholds) == 1:
            return np.full(looks - 1, self.thresholds[0])
        if len(self.thresholds) != looks - 1:
            raise InputError(f"`futility` {self.label!r} gives {len(self.thresholds)} "
                             f"conditional-power thresholds; the design has {looks - 1} "
                             f"interim looks (give one for all, or one per interim look)")
        return np.asarray(self.thresholds, dtype=np.float64)


def parse_conditional_power(text: str) -> ConditionalPowerFutility | None:
    """The rule of a string ``cp:<p>[:<p2>...]`` or ``cp-trend:<p>...``; None for other forms.

    Examples
    --------
    >>> parse_conditional_power("cp-trend:0.05:0.2")
    ConditionalPowerFutility(thresholds=(0.05, 0.2), trend=True)
    >>> parse_conditional_power("hsd:-2") is None
    True
    """
    match = _FORM.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if match is None:
        return None
    values = tuple(float(part) for part in match.group(2).split(":"))
    return ConditionalPowerFutility(values, trend=match.group(1) == "cp-trend")


def conditional_power(information: NDArray[np.float64], look: int, z: float, drift: float,
                      efficacy_z: NDArray[np.float64], futility_z: NDArray[np.float64],
                      grid: int = 32) -> float:
    r"""P(reject at a look after ``look`` | :math:`Z` = ``z`` there), later futility obeyed.

    Parameters
    ----------
    information : numpy.ndarray
        Information fractions of the looks, the last 1.
    look : int
        0-based index of the interim look at which ``z`` is observed.
    z : float
        The z-statistic observed there.
    drift : float
        :math:`\theta`, the mean of the final statistic assumed for the rest of the trial.
    efficacy_z, futility_z : numpy.ndarray
        One-sided bounds of every look (``inf`` / ``-inf`` where none); only those after
        ``look`` are used.
    grid : int
        Integration grid parameter (:mod:`simtrial.design._integration`).

    Examples
    --------
    With one look left, the closed form of the module notes:

    >>> from scipy.stats import norm
    >>> t, c = np.array([0.5, 1.0]), np.array([2.797, 1.977])
    >>> cp = conditional_power(t, 0, 1.0, 2.8, c, np.full(2, -np.inf))
    >>> closed = norm.sf((1.977 - 1.0 * 0.5 ** 0.5 - 2.8 * 0.5) / 0.5 ** 0.5)
    >>> bool(abs(cp - closed) < 1e-12), round(cp, 4)
    (True, 0.573)
    """
    t_k = float(information[look])
    state = integ.Continuation(t_k, np.array([z], dtype=np.float64), np.ones(1))
    power = 0.0
    last = len(information) - 1
    for j in range(look + 1, last + 1):
        t_j = float(information[j])
        power += integ.upper_tail(state, t_j, drift, efficacy_z[j])
        if j < last:   # the grid follows E[Z_j | Z_k = z], not the unconditional mean
            mean = (z * math.sqrt(t_k) + drift * (t_j - t_k)) / math.sqrt(t_j)
            state = integ.advance(state, t_j, drift, futility_z[j], efficacy_z[j], grid,
                                  centre=mean)
    return power


def futility_bounds(information: NDArray[np.float64], efficacy_z: NDArray[np.float64],
                    rule: ConditionalPowerFutility, drift: float,
                    grid: int = 32) -> NDArray[np.float64]:
    """Z-scale futility bounds of ``rule``, one per look (``-inf`` at the last).

    Solved from the last interim look backwards; a bound is at most its look's efficacy
    bound. ``drift`` is the planned drift (ignored for a current-trend rule).

    Examples
    --------
    >>> t, c = np.array([0.5, 1.0]), np.array([2.797, 1.977])
    >>> a = futility_bounds(t, c, ConditionalPowerFutility((0.1,)), drift=2.8)
    >>> round(float(a[0]), 4), round(conditional_power(t, 0, a[0], 2.8, c, a), 8)
    (-0.4656, 0.1)
    """
    k_max = len(information)
    bounds = np.full(k_max, -np.inf)
    for k, target in reversed(list(enumerate(rule.per_look(k_max)))):
        root = math.sqrt(information[k])

        def shortfall(a: float, k: int = k, target: float = target, root: float = root) -> float:
            theta = a / root if rule.trend else drift
            return conditional_power(information, k, a, theta, efficacy_z, bounds,
                                     grid) - target

        top = min(efficacy_z[k], _Z_RANGE)
        if shortfall(top) <= 0.0:
            if top < efficacy_z[k]:
                raise InputError(f"`futility` {rule.label!r}: no z bound at look {k + 1} "
                                 f"reaches conditional power {target:g}")
            bounds[k] = top
            continue
        if shortfall(-_Z_RANGE) >= 0.0:
            raise InputError(f"`futility` {rule.label!r}: conditional power at look {k + 1} "
                             f"exceeds {target:g} for every z in [-{_Z_RANGE:g}, {top:g}]")
        bounds[k] = optimize.brentq(shortfall, -_Z_RANGE, top, xtol=1e-12,
                                    rtol=4 * np.finfo(float).eps)
    return bounds


def attained(information: NDArray[np.float64], efficacy_z: NDArray[np.float64],
             futility_z: NDArray[np.float64], rule: ConditionalPowerFutility, drift: float,
             grid: int = 32) -> tuple[float | None, ...]:
    """Conditional power at each look's futility bound, under ``rule``'s drift (None: last look).

    Equal to the rule's thresholds unless a bound was set to its look's efficacy bound.

    Examples
    --------
    >>> t, c = np.array([0.5, 1.0]), np.array([2.797, 1.977])
    >>> rule = ConditionalPowerFutility((0.2,), trend=True)
    >>> a = futility_bounds(t, c, rule, drift=0.0)
    >>> cp = attained(t, c, a, rule, 0.0)
    >>> round(float(a[0]), 4), [None if p is None else round(p, 8) for p in cp]
    (0.9771, [0.2, None])
    """
    values: list[float | None] = []
    for k, a in enumerate(futility_z[:-1]):
        theta = a / math.sqrt(information[k]) if rule.trend else drift
        values.append(conditional_power(information, k, a, theta, efficacy_z, futility_z, grid))
    return (*values, None)
