r"""Error-spending functions and the boundary families of a group-sequential design.

A spending function :math:`f(t, \alpha)` gives the cumulative error allowed to be spent by
information fraction :math:`t \in [0, 1]`: :math:`f(0) = 0`, :math:`f(1) = \alpha`, non-
decreasing (Lan & DeMets 1983). The same functions spend the type II error :math:`\beta` for
futility boundaries (beta spending).

Conventions (those of rpact 3.3, ``getSpendingValueCpp``):

* ``alpha`` passed to :meth:`SpendingFunction.spent` is the error spent on **one** side.
  A one-sided design at level 0.025 spends ``f(t, 0.025)``; a symmetric two-sided design at
  level 0.05 spends ``f(t, 0.025)`` in each tail, ``2 f(t, 0.025)`` in all. For the families
  linear in :math:`\alpha` (Pocock type, Hwang-Shih-DeCani, Kim-DeMets) this equals
  ``f(t, 0.05)``; for the O'Brien-Fleming type it is rpact's two-sided ``asOF``,
  :math:`4\{1 - \Phi(z_{\alpha/4} / \sqrt t)\}`.
* The O'Brien-Fleming type function is
  :math:`f(t, \alpha) = 2\{1 - \Phi(z_{\alpha/2} / \sqrt t)\}` with
  :math:`z_p = \Phi^{-1}(1 - p)`, the form Lan & DeMets (1983) give for a one-sided level
  :math:`\alpha`.

Besides spending functions, a design's efficacy boundary may be a classical Wang-Tsiatis
shape with one constant solved for the overall level (:class:`ClassicalBoundary`:
O'Brien & Fleming 1979, Pocock 1977). :func:`parse_rule` reads the strings of a scenario's
``[design]`` table.

References
----------
The spending functions' papers are cited in full in :mod:`simtrial.design.boundaries`.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from simtrial.errors import InputError

__all__ = [
    "ClassicalBoundary",
    "HwangShihDeCani",
    "KimDeMets",
    "LanDeMetsOBrienFleming",
    "LanDeMetsPocock",
    "Rule",
    "SpendingFunction",
    "parse_rule",
]

RULE_FORMS = "obf | pocock | ld-obf | ld-pocock | hsd:<gamma> | kd:<rho> | none"


class SpendingFunction(ABC):
    """Cumulative error spent as a function of the information fraction."""

    @property
    @abstractmethod
    def label(self) -> str:
        """The rule's string form, as :func:`parse_rule` reads it (``"hsd:-4"``)."""

    @abstractmethod
    def _spent(self, t: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
        """The function on information fractions in (0, 1]."""

    def spent(self, t: ArrayLike, alpha: float) -> NDArray[np.float64]:
        """Cumulative error spent by information fraction(s) ``t`` at level ``alpha``.

        Parameters
        ----------
        t : array_like
            Information fractions in [0, 1].
        alpha : float
            The error to be spent in total (one side's level; see the module notes).

        Returns
        -------
        numpy.ndarray
            Same shape as ``t``; 0 at ``t = 0`` and ``alpha`` at ``t = 1``.
        """
        t = np.asarray(t, dtype=np.float64)
        if np.any((t < 0) | (t > 1)) or not np.all(np.isfinite(t)):
            raise InputError(f"`t` must lie in [0, 1], got {t.tolist()!r}")
        safe = np.where(t > 0, t, 1.0)
        out = np.where(t > 0, self._spent(safe, alpha), 0.0)
        return np.where(t >= 1, alpha, out)


@dataclass(frozen=True)
class LanDeMetsOBrienFleming(SpendingFunction):
    r"""O'Brien-Fleming-type spending, :math:`2\{1 - \Phi(z_{\alpha/2}/\sqrt t)\}` (rpact asOF).

    Examples
    --------
    >>> f = LanDeMetsOBrienFleming()
    >>> [round(float(v), 6) for v in f.spent([0.5, 1.0], 0.025)]
    [0.001525, 0.025]
    """

    @property
    def label(self) -> str:  # noqa: D102
        return "ld-obf"

    def _spent(self, t: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
        z = special.ndtri(1.0 - alpha / 2.0)
        return 2.0 * special.ndtr(-z / np.sqrt(t))


@dataclass(frozen=True)
class LanDeMetsPocock(SpendingFunction):
    r"""Pocock-type spending, :math:`\alpha \ln\{1 + (e - 1) t\}` (rpact asP).

    Examples
    --------
    >>> round(float(LanDeMetsPocock().spent(0.5, 0.025)), 6)
    0.015503
    """

    @property
    def label(self) -> str:  # noqa: D102
        return "ld-pocock"

    def _spent(self, t: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
        return alpha * np.log1p((math.e - 1.0) * t)


@dataclass(frozen=True)
class HwangShihDeCani(SpendingFunction):
    r"""Hwang-Shih-DeCani family, :math:`\alpha (1 - e^{-\gamma t}) / (1 - e^{-\gamma})`.

    ``gamma = 0`` is the linear function :math:`\alpha t`; ``gamma = -4`` resembles
    O'Brien-Fleming, ``gamma = 1`` Pocock (rpact asHSD with ``gammaA``).

    Examples
    --------
    >>> round(float(HwangShihDeCani(-4.0).spent(0.5, 0.025)), 6)
    0.00298
    >>> float(HwangShihDeCani(0.0).spent(0.5, 0.025))
    0.0125
    """

    gamma: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.gamma):
            raise InputError(f"`gamma` must be finite, got {self.gamma!r}")

    @property
    def label(self) -> str:  # noqa: D102
        return f"hsd:{self.gamma:g}"

    def _spent(self, t: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
        if self.gamma == 0:
            return alpha * t
        return alpha * np.expm1(-self.gamma * t) / math.expm1(-self.gamma)


@dataclass(frozen=True)
class KimDeMets(SpendingFunction):
    r"""Kim-DeMets power family, :math:`\alpha t^\rho` with :math:`\rho > 0` (rpact asKD).

    Examples
    --------
    >>> float(KimDeMets(2.0).spent(0.5, 0.025))
    0.00625
    """

    rho: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rho) and self.rho > 0):
            raise InputError(f"`rho` must be a positive number, got {self.rho!r}")

    @property
    def label(self) -> str:  # noqa: D102
        return f"kd:{self.rho:g}"

    def _spent(self, t: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
        return alpha * t**self.rho


@dataclass(frozen=True)
class ClassicalBoundary:
    r"""A Wang-Tsiatis efficacy boundary :math:`c\, t_k^{\Delta - 1/2}` with ``c`` solved.

    ``shape = "obf"`` (:math:`\Delta = 0`, :math:`c / \sqrt{t_k}`; O'Brien & Fleming 1979)
    or ``"pocock"`` (:math:`\Delta = 1/2`, constant :math:`c`; Pocock 1977); as rpact
    ``typeOfDesign = "OF"`` and ``"P"``, also for unequally spaced looks.

    Examples
    --------
    >>> ClassicalBoundary("obf").relative_bounds([0.25, 1.0]).tolist()
    [2.0, 1.0]
    """

    shape: Literal["obf", "pocock"]

    def __post_init__(self) -> None:
        if self.shape not in ("obf", "pocock"):
            raise InputError(f"`shape` must be 'obf' or 'pocock', got {self.shape!r}")

    @property
    def label(self) -> str:
        """The rule's string form (``"obf"`` or ``"pocock"``)."""
        return self.shape

    def relative_bounds(self, t: ArrayLike) -> NDArray[np.float64]:
        """The boundary at information fractions ``t`` divided by the constant ``c``."""
        t = np.asarray(t, dtype=np.float64)
        return 1.0 / np.sqrt(t) if self.shape == "obf" else np.ones_like(t)


Rule = SpendingFunction | ClassicalBoundary

_PARAMETRIC = re.compile(r"(hsd|kd):\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def parse_rule(text: str) -> Rule | None:
    """Read a boundary rule from its string form; ``"none"`` gives ``None``.

    Parameters
    ----------
    text : str
        One of ``obf``, ``pocock`` (classical boundaries), ``ld-obf``, ``ld-pocock``
        (Lan-DeMets spending), ``hsd:<gamma>`` (Hwang-Shih-DeCani), ``kd:<rho>``
        (Kim-DeMets, rho > 0), ``none``. Case and surrounding spaces are ignored.

    Returns
    -------
    SpendingFunction or ClassicalBoundary or None

    Raises
    ------
    ValueError
        One line naming the allowed forms.

    Examples
    --------
    >>> parse_rule("hsd:-4")
    HwangShihDeCani(gamma=-4.0)
    >>> parse_rule("ld-obf").label
    'ld-obf'
    >>> parse_rule("none") is None
    True
    >>> parse_rule("obrien")
    Traceback (most recent call last):
    ...
    simtrial.errors.InputError: boundary rule 'obrien' is not one of: obf | pocock | ld-obf | ld-pocock | hsd:<gamma> | kd:<rho> | none
    """  # noqa: E501
    key = text.strip().lower() if isinstance(text, str) else ""
    fixed: dict[str, Rule | None] = {
        "obf": ClassicalBoundary("obf"),
        "pocock": ClassicalBoundary("pocock"),
        "ld-obf": LanDeMetsOBrienFleming(),
        "ld-pocock": LanDeMetsPocock(),
        "none": None,
    }
    if key in fixed:
        return fixed[key]
    match = _PARAMETRIC.fullmatch(key)
    if match is not None:
        family, value = match.group(1), float(match.group(2))
        if family == "hsd":
            return HwangShihDeCani(value)
        if value > 0:
            return KimDeMets(value)
    raise InputError(f"boundary rule {text!r} is not one of: {RULE_FORMS}")
