r"""Exact boundaries and operating characteristics of group-sequential designs.

Conventions
-----------
* **Statistics.** At look :math:`k` of :math:`K` the trial has information fraction
  :math:`t_k` (share of the maximum information; :math:`t_K = 1`) and a z-statistic
  :math:`Z_k`, with :math:`Z_k > 0` favouring treatment. Under the canonical model
  (Jennison & Turnbull 2000, ch. 3) :math:`E Z_k = \theta\sqrt{t_k}`, where the **drift**
  :math:`\theta` is the mean of the final statistic (for two means with ``n`` patients in
  all, allocation ``r : 1``: :math:`\theta = \delta/\sigma \cdot \sqrt{n r}/(1 + r)`).
* **One-sided** designs (``sided = 1``) at level ``alpha`` (e.g. 0.025) stop for efficacy
  at the first look with :math:`Z_k \ge b_k` and, with a futility rule, for futility at an
  interim look with :math:`Z_k \le a_k`. **Two-sided** designs (``sided = 2``) at level
  ``alpha`` (e.g. 0.05) are symmetric: they stop at :math:`|Z_k| \ge b_k`, spending
  ``alpha / 2`` in each tail. rpact's ``sided`` and ``alpha`` have the same meaning.
* **Nominal p** of a look is the one-sided :math:`1 - \Phi(b_k)`, for either kind of design.
* **Cumulative alpha spent** at look :math:`k` is the probability under
  :math:`\theta = 0` of stopping for efficacy at or before look :math:`k` (both tails when
  two-sided). It equals the spending function at :math:`t_k`. A **non-binding** futility
  rule is ignored there (the efficacy bounds hold whether or not the monitoring committee
  stops for futility, as in rpact); a **binding** one is taken into account, which lowers
  the efficacy bounds.
* **Power and drift.** The design's ``drift`` is the :math:`\theta` at which it rejects with
  probability ``1 - beta`` in the direction of benefit (futility stops obeyed; for two-sided
  designs the lower tail counts as a stop, not as power: rpact's ``twoSidedPower = FALSE``).
  With beta-spending futility the drift is solved together with the futility bounds so that
  the cumulative beta spent equals the beta-spending function and the last futility bound
  meets the last efficacy bound (rpact ``typeBetaSpending``). The **inflation factor** is
  :math:`(\theta / \theta_{\text{fixed}})^2`, :math:`\theta_{\text{fixed}} = z_{\alpha/s} +
  z_\beta`: the maximum information (or sample size) relative to the single-analysis design
  with the same power. **Expected information** is :math:`E[t_{\text{stop}}]` as a share of
  the maximum; times the inflation factor it is rpact's ``averageSampleNumber`` ratio.

All probabilities come from recursive numerical integration (:mod:`._integration`), not
simulation. Against rpact 3.3.4 ``getDesignGroupSequential`` (122 designs in the tests)
efficacy bounds agree to 1e-7 and beta-spending futility bounds to 2e-8 on the z scale (3e-5
where rpact stands a large finite number in for a look with no efficacy bound).

References
----------
Jennison C, Turnbull BW. Group Sequential Methods with Applications to Clinical Trials.
Boca Raton: Chapman & Hall/CRC; 2000.

Armitage P, McPherson CK, Rowe BC. Repeated significance tests on accumulating data. Journal
of the Royal Statistical Society, Series A. 1969;132(2):235-244.

Lan KKG, DeMets DL. Discrete sequential boundaries for clinical trials. Biometrika.
1983;70(3):659-663.

Hwang IK, Shih WJ, DeCani JS. Group sequential designs using a family of type I error
probability spending functions. Statistics in Medicine. 1990;9(12):1439-1445.

Kim K, DeMets DL. Design and analysis of group sequential tests based on the type I error
spending rate function. Biometrika. 1987;74(1):149-154.

O'Brien PC, Fleming TR. A multiple testing procedure for clinical trials. Biometrics.
1979;35(3):549-556.

Pocock SJ. Group sequential methods in the design and analysis of clinical trials.
Biometrika. 1977;64(2):191-199.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from simtrial.design import _integration as integ
from simtrial.design import conditional
from simtrial.design.conditional import ConditionalPowerFutility
from simtrial.design.spending import ClassicalBoundary, Rule, SpendingFunction, parse_rule
from simtrial.errors import InputError

__all__ = ["FUTILITY_FORMS", "GroupSequentialDesign", "StoppingProbabilities",
           "group_sequential_design", "parse_futility"]

_XTOL = 1e-12          # root tolerance on the z (or drift) scale
_MAX_DRIFT = 15.0      # drifts searched in [0, _MAX_DRIFT]
_FIXED_POINT_STEPS = 100
#: The string forms of a futility rule, as error messages list them.
FUTILITY_FORMS = ("none | ld-obf | ld-pocock | hsd:<gamma> | kd:<rho> (beta spending) | "
                  + conditional.FORMS)


@dataclass(frozen=True)
class StoppingProbabilities:
    r"""Probabilities of stopping at each look under one drift.

    Attributes
    ----------
    efficacy : numpy.ndarray
        P(stop at look k with :math:`Z_k \ge b_k`), the direction of benefit.
    efficacy_lower : numpy.ndarray
        Two-sided designs: P(stop at look k with :math:`Z_k \le -b_k`); zeros if one-sided.
    futility : numpy.ndarray
        P(stop at interim look k with :math:`Z_k \le a_k`); 0 at the last look and where
        there is no futility bound.
    """

    efficacy: NDArray[np.float64]
    efficacy_lower: NDArray[np.float64]
    futility: NDArray[np.float64]

    @property
    def power(self) -> float:
        """Overall probability of rejecting in the direction of benefit."""
        return float(self.efficacy.sum())

    @property
    def stop(self) -> NDArray[np.float64]:
        """P(the trial ends at look k), every reason; sums to 1."""
        out = self.efficacy + self.efficacy_lower + self.futility
        out[-1] = 1.0 - out[:-1].sum()
        return out

    def mean_stop(self, information: Sequence[float] | NDArray[np.float64]) -> float:
        """Expected information fraction at stopping, given each look's fraction."""
        return float(self.stop @ np.asarray(information, dtype=np.float64))


@dataclass(frozen=True)
class GroupSequentialDesign:
    """Boundaries of a group-sequential design and its characteristics (see module notes).

    Build with :func:`group_sequential_design`. Bounds are on the z scale; ``inf`` /
    ``-inf`` mean no efficacy / futility stop at that look (the last look never has a
    futility bound: not rejecting there is the end of the trial). With a conditional-power
    futility rule, ``futility_cp`` holds the conditional power at each futility bound
    (:mod:`simtrial.design.conditional`); otherwise it is None.
    """

    information: tuple[float, ...]
    alpha: float
    sided: int
    beta: float
    efficacy: str
    futility: str
    binding: bool
    efficacy_z: tuple[float, ...]
    futility_z: tuple[float, ...]
    alpha_spent: tuple[float, ...]
    drift: float
    inflation_factor: float
    expected_information_h0: float
    expected_information_h1: float
    grid: int
    futility_cp: tuple[float | None, ...] | None = None

    @property
    def nominal_p(self) -> tuple[float, ...]:
        r"""One-sided nominal p-value of each efficacy bound, :math:`1 - \Phi(b_k)`."""
        return tuple(float(special.ndtr(-b)) for b in self.efficacy_z)

    def stopping_probabilities(self, drift: float, *,
                               obey_futility: bool = True) -> StoppingProbabilities:
        r"""Probabilities of stopping at each look when the final statistic has mean ``drift``.

        Parameters
        ----------
        drift : float
            :math:`\theta`; 0 gives the null hypothesis, ``self.drift`` the design alternative.
        obey_futility : bool
            False ignores the futility bounds (how a non-binding design's alpha is counted).

        Examples
        --------
        >>> d = group_sequential_design([0.5, 1.0], efficacy="obf")
        >>> round(d.stopping_probabilities(0.0).power, 6)
        0.025
        """
        lower = _lower_bounds(self.efficacy_z, self.futility_z, self.sided, obey_futility)
        return _stopping(self.information, drift, self.efficacy_z, lower, self.sided, self.grid)

    def expected_information(self, drift: float) -> float:
        """Expected information at stopping as a share of the maximum, under ``drift``."""
        return self.stopping_probabilities(drift).mean_stop(self.information)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; infinite bounds become ``None``.

        A conditional-power futility rule adds ``futility_cp`` to each stage: the conditional
        power at its futility bound (None at the last look).

        Examples
        --------
        >>> d = group_sequential_design([0.5, 1.0], efficacy="ld-obf")
        >>> row = d.to_dict()["stages"][0]
        >>> round(row["efficacy_z"], 4), round(row["alpha_spent"], 6), row["futility_z"]
        (2.9626, 0.001525, None)
        """
        stages = [
            {"information": t, "efficacy_z": _finite(b), "nominal_p": p,
             "alpha_spent": spent, "futility_z": _finite(a)}
            for t, b, p, spent, a in zip(self.information, self.efficacy_z, self.nominal_p,
                                         self.alpha_spent, self.futility_z, strict=True)]
        if self.futility_cp is not None:
            for stage, cp in zip(stages, self.futility_cp, strict=True):
                stage["futility_cp"] = cp
        return {"alpha": self.alpha, "sided": self.sided, "beta": self.beta,
                "efficacy": self.efficacy, "futility": self.futility, "binding": self.binding,
                "drift": self.drift, "inflation_factor": self.inflation_factor,
                "expected_information": {"h0": self.expected_information_h0,
                                         "h1": self.expected_information_h1},
                "stages": stages}


def group_sequential_design(
    looks: Sequence[float],
    *,
    alpha: float = 0.025,
    sided: int = 1,
    efficacy: str | Rule | None = "ld-obf",
    futility: str | SpendingFunction | ConditionalPowerFutility | Sequence[float] | None = None,
    beta: float = 0.2,
    binding: bool = False,
    grid: int = 32,
) -> GroupSequentialDesign:
    """Compute the boundaries of a group-sequential design by numerical integration.

    Parameters
    ----------
    looks : sequence of float
        Information fractions of the analyses, increasing, the last one 1.
    alpha : float
        One-sided level if ``sided = 1``; two-sided level of a symmetric design if 2.
    sided : {1, 2}
    efficacy : str, SpendingFunction, ClassicalBoundary or None
        ``"ld-obf"``, ``"ld-pocock"``, ``"hsd:<gamma>"``, ``"kd:<rho>"`` (alpha spending),
        ``"obf"``, ``"pocock"`` (classical, constant solved for ``alpha``) or ``"none"``
        (no efficacy stop before the last look).
    futility : str, SpendingFunction, ConditionalPowerFutility, sequence of float or None
        A spending family (beta spending, string forms as for ``efficacy``), a conditional-
        power rule (``"cp:<p>"`` under the design's drift, ``"cp-trend:<p>"`` under the
        current trend, one ``p`` for all interim looks or one each: ``"cp:0.05:0.1"``;
        :mod:`simtrial.design.conditional`), ``K - 1`` bounds on the z scale (``-inf`` for
        none at a look), or ``None`` / ``"none"``. One-sided designs only.
    beta : float
        Type II error: the design's drift gives power ``1 - beta``; beta spending spends it,
        and ``cp:<p>`` takes conditional power under that drift.
    binding : bool
        Whether the efficacy bounds take the futility bounds into account.
    grid : int
        Integration grid parameter ``r`` (``6 r - 1`` points per look, at least 8).

    Returns
    -------
    GroupSequentialDesign

    Examples
    --------
    Three equally spaced looks, O'Brien-Fleming-type spending, one-sided 0.025 (rpact
    ``getDesignGroupSequential(kMax = 3, typeOfDesign = "asOF")``):

    >>> d = group_sequential_design([1/3, 2/3, 1.0], efficacy="ld-obf")
    >>> [round(b, 4) for b in d.efficacy_z]
    [3.7103, 2.5114, 1.993]
    >>> round(d.inflation_factor, 4)
    1.0128

    Non-binding futility by Hwang-Shih-DeCani(-2) beta spending:

    >>> d = group_sequential_design([0.5, 1.0], futility="hsd:-2", beta=0.1)
    >>> round(d.futility_z[0], 4), round(d.stopping_probabilities(d.drift).power, 6)
    (0.4064, 0.9)

    Stop for futility when the conditional power under the planned effect is below 10%:

    >>> d = group_sequential_design([0.5, 1.0], futility="cp:0.1")
    >>> round(d.futility_z[0], 4), round(d.futility_cp[0], 8)
    (-0.4833, 0.1)
    """
    t, efficacy_rule, futility_rule = _design_iv(looks, alpha, sided, efficacy, futility, beta,
                                                 binding, grid)
    no_futility = np.full(t.size, -np.inf)
    if isinstance(futility_rule, ConditionalPowerFutility):
        drift, efficacy_z, futility_z = _conditional_power_futility(
            t, efficacy_rule, alpha, futility_rule, beta, binding, grid)
    elif isinstance(futility_rule, SpendingFunction):
        if binding:    # efficacy bounds re-solved inside, with the futility bounds
            assert not isinstance(efficacy_rule, ClassicalBoundary)  # refused by _design_iv
            alpha_targets = _alpha_targets(t, efficacy_rule, alpha, sided)
            nonbinding_z = None
        else:
            alpha_targets = None
            nonbinding_z = _efficacy_bounds(t, efficacy_rule, alpha, sided, no_futility, grid)
        drift, efficacy_z, futility_z = _beta_spending(
            t, futility_rule.spent(t, beta), beta, nonbinding_z, alpha_targets, grid)
    else:
        futility_z = no_futility if futility_rule is None else futility_rule
        efficacy_z = _efficacy_bounds(t, efficacy_rule, alpha, sided,
                                      futility_z if binding else no_futility, grid)
        drift = _power_drift(t, efficacy_z, _lower_bounds(efficacy_z, futility_z, sided, True),
                             sided, beta, grid)

    null = _stopping(t, 0.0, efficacy_z, _lower_bounds(efficacy_z, futility_z, sided, binding),
                     sided, grid)
    obeyed = _lower_bounds(efficacy_z, futility_z, sided, True)
    fixed_drift = special.ndtri(1.0 - alpha / sided) + special.ndtri(1.0 - beta)
    return GroupSequentialDesign(
        information=tuple(float(x) for x in t), alpha=alpha, sided=sided, beta=beta,
        efficacy=_label(efficacy_rule), futility=_label(futility_rule), binding=binding,
        efficacy_z=tuple(float(x) for x in efficacy_z),
        futility_z=tuple(float(x) for x in futility_z),
        alpha_spent=tuple(float(x) for x in np.cumsum(null.efficacy + null.efficacy_lower)),
        drift=float(drift), inflation_factor=float((drift / fixed_drift) ** 2),
        expected_information_h0=_stopping(t, 0.0, efficacy_z, obeyed, sided, grid).mean_stop(t),
        expected_information_h1=_stopping(t, drift, efficacy_z, obeyed, sided,
                                          grid).mean_stop(t),
        grid=grid,
        futility_cp=conditional.attained(t, efficacy_z, futility_z, futility_rule, drift, grid)
        if isinstance(futility_rule, ConditionalPowerFutility) else None)


# ------------------------------------------------------------------ input checks

def _design_iv(looks: Sequence[float], alpha: float, sided: int,
               efficacy: str | Rule | None,
               futility: str | SpendingFunction | ConditionalPowerFutility | Sequence[float]
               | None, beta: float, binding: bool, grid: int,
               ) -> tuple[NDArray[np.float64], Rule | None,
                          SpendingFunction | ConditionalPowerFutility | NDArray[np.float64]
                          | None]:
    t = np.asarray(looks, dtype=np.float64)
    if (t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or t[0] <= 0
            or np.any(np.diff(t) <= 0) or t[-1] != 1.0):
        raise InputError(f"`looks` must be increasing information fractions in (0, 1] ending "
                         f"at 1, got {list(looks)!r}")
    if sided not in (1, 2):
        raise InputError(f"`sided` must be 1 or 2, got {sided!r}")
    if not 0 < alpha <= 0.5:
        raise InputError(f"`alpha` must be in (0, 0.5], got {alpha!r}")
    if not 0 < beta < 1 - alpha / sided:
        raise InputError(f"`beta` must be in (0, 1 - alpha/sided), got {beta!r}")
    if not (isinstance(grid, int) and grid >= 8):
        raise InputError(f"`grid` must be an integer >= 8, got {grid!r}")
    efficacy_rule = parse_rule(efficacy) if isinstance(efficacy, str) else efficacy
    if efficacy_rule is not None and not isinstance(efficacy_rule,
                                                    (SpendingFunction, ClassicalBoundary)):
        raise InputError(f"`efficacy` must be a boundary rule, got {efficacy!r}")
    futility_rule: SpendingFunction | ConditionalPowerFutility | NDArray[np.float64] | None
    parsed = parse_futility(futility) if isinstance(futility, str) else futility
    if parsed is None or isinstance(parsed, SpendingFunction | ConditionalPowerFutility):
        futility_rule = parsed
        if isinstance(parsed, ConditionalPowerFutility):
            parsed.per_look(t.size)   # the number of thresholds
    elif isinstance(parsed, ClassicalBoundary):
        raise InputError(f"`futility` must be {FUTILITY_FORMS} or {t.size - 1} z bounds, "
                         f"got {futility!r}")
    else:
        bounds = np.asarray(parsed, dtype=np.float64)
        if bounds.shape != (t.size - 1,) or np.any(np.isnan(bounds)) or np.any(bounds == np.inf):
            raise InputError(f"`futility` z bounds must be {t.size - 1} numbers (-inf for "
                             f"none at a look), got {futility!r}")
        futility_rule = np.append(bounds, -np.inf)
    if futility_rule is not None and sided == 2:
        raise InputError("`futility` bounds are implemented for one-sided designs only "
                         "(sided = 1)")
    if binding and isinstance(futility_rule, SpendingFunction) and isinstance(
            efficacy_rule, ClassicalBoundary):
        raise InputError("binding beta-spending futility needs an alpha-spending `efficacy` "
                         "rule (ld-obf | ld-pocock | hsd:<gamma> | kd:<rho> | none)")
    if futility_rule is not None and t.size == 1:
        futility_rule = None
    return t, efficacy_rule, futility_rule


def parse_futility(text: str) -> SpendingFunction | ConditionalPowerFutility | None:
    """A futility rule from its string form: beta spending, conditional power or ``none``.

    Examples
    --------
    >>> parse_futility("cp:0.1").label, parse_futility("hsd:-2").label
    ('cp:0.1', 'hsd:-2')
    >>> parse_futility("obf")
    Traceback (most recent call last):
    ...
    simtrial.errors.InputError: `futility` rule 'obf' is not one of: none | ld-obf | ld-pocock | hsd:<gamma> | kd:<rho> (beta spending) | cp:<p> | cp-trend:<p> (conditional power; one p per interim look: cp:<p1>:<p2>)
    """  # noqa: E501
    rule = conditional.parse_conditional_power(text)
    if rule is not None:
        return rule
    try:
        spending = parse_rule(text)
    except InputError:
        spending = ClassicalBoundary("obf")   # refused below, with the futility forms
    if spending is None or isinstance(spending, SpendingFunction):
        return spending
    raise InputError(f"`futility` rule {text!r} is not one of: {FUTILITY_FORMS}")


def _label(rule: Rule | ConditionalPowerFutility | NDArray[np.float64] | None) -> str:
    if rule is None:
        return "none"
    if isinstance(rule, np.ndarray):
        return "z"
    return rule.label


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------ recursion drivers

def _lower_bounds(efficacy_z: Sequence[float] | NDArray[np.float64],
                  futility_z: Sequence[float] | NDArray[np.float64], sided: int,
                  obey_futility: bool) -> NDArray[np.float64]:
    """Lower end of each look's continuation region."""
    if sided == 2:
        return -np.asarray(efficacy_z, dtype=np.float64)
    if not obey_futility:
        return np.full(len(efficacy_z), -np.inf)
    return np.asarray(futility_z, dtype=np.float64)


def _stopping(t: Sequence[float] | NDArray[np.float64], drift: float,
              upper: Sequence[float] | NDArray[np.float64],
              lower: NDArray[np.float64], sided: int, grid: int) -> StoppingProbabilities:
    """Stopping probabilities of the continuation regions (lower_k, upper_k)."""
    k_max = len(t)
    efficacy, below, futility = np.zeros(k_max), np.zeros(k_max), np.zeros(k_max)
    state = integ.start()
    for k in range(k_max):
        efficacy[k] = integ.upper_tail(state, t[k], drift, upper[k])
        low = integ.lower_tail(state, t[k], drift, lower[k]) if k < k_max - 1 or sided == 2 \
            else 0.0
        if sided == 2:
            below[k] = low
        else:
            futility[k] = low
        if k < k_max - 1:
            state = integ.advance(state, t[k], drift, lower[k], upper[k], grid)
    return StoppingProbabilities(efficacy, below, futility)


def _root(f: Callable[[float], float], lo: float, hi: float, what: str) -> float:
    f_lo, f_hi = f(lo), f(hi)
    if f_lo * f_hi > 0:
        raise InputError(f"no {what} found in [{lo:g}, {hi:g}]: the design is not feasible "
                         f"(check `alpha`, `beta` and the looks)")
    return float(optimize.brentq(f, lo, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps))


def _efficacy_bound(state: integ.Continuation, t: float, increment: float, sided: int,
                    clip: bool = False) -> float:
    """Bound b whose crossing (|Z| >= b if two-sided) has null probability ``increment``.

    With ``clip``, an increment larger than the mass still running gives the lowest bound
    searched instead of an error (a drift far from the root in the beta-spending search).
    """
    if increment <= 0:
        return math.inf

    def excess(b: float) -> float:
        tails = integ.upper_tail(state, t, 0.0, b)
        if sided == 2:
            tails += integ.lower_tail(state, t, 0.0, -b)
        return tails - increment

    lowest = 0.0 if sided == 2 else -10.0
    if clip and excess(lowest) < 0:
        return lowest
    return _root(excess, lowest, 40.0, "efficacy bound")


def _alpha_targets(t: NDArray[np.float64], rule: SpendingFunction | None, alpha: float,
                   sided: int) -> NDArray[np.float64]:
    """Cumulative alpha to be spent by each look (both tails if two-sided)."""
    if rule is None:   # no early efficacy stop: everything spent at the last look
        return np.where(t < 1.0, 0.0, alpha)
    return sided * rule.spent(t, alpha / sided)


def _efficacy_bounds(t: NDArray[np.float64], rule: Rule | None, alpha: float, sided: int,
                     futility: NDArray[np.float64], grid: int) -> NDArray[np.float64]:
    """Efficacy bounds of an alpha-spending or classical rule, given binding futility bounds."""
    if isinstance(rule, ClassicalBoundary):
        shape = rule.relative_bounds(t)

        def excess(c: float) -> float:
            lower = _lower_bounds(c * shape, futility, sided, True)
            null = _stopping(t, 0.0, c * shape, lower, sided, grid)
            return float(null.efficacy.sum() + null.efficacy_lower.sum()) - alpha

        # shape >= 1, so c = z_{alpha/(sided K)} spends at most alpha (Bonferroni); the last
        # look alone needs c >= z_{alpha/sided} unless binding futility bounds are in place.
        lo = special.ndtri(1.0 - alpha / sided) - (0.0 if np.all(futility == -np.inf) else 5.0)
        hi = special.ndtri(1.0 - alpha / (sided * t.size)) + 0.5
        return _root(excess, lo, hi, "boundary constant") * shape

    targets = _alpha_targets(t, rule, alpha, sided)
    bounds = np.empty(t.size)
    state, spent = integ.start(), 0.0
    for k in range(t.size):
        bounds[k] = _efficacy_bound(state, t[k], targets[k] - spent, sided)
        spent += integ.upper_tail(state, t[k], 0.0, bounds[k])
        lower = -bounds[k] if sided == 2 else futility[k]
        if sided == 2:
            spent += integ.lower_tail(state, t[k], 0.0, lower)
        if k < t.size - 1:
            state = integ.advance(state, t[k], 0.0, lower, bounds[k], grid)
    return bounds


def _power_drift(t: NDArray[np.float64], upper: NDArray[np.float64],
                 lower: NDArray[np.float64], sided: int, beta: float, grid: int) -> float:
    """Drift at which the design rejects in the direction of benefit with prob. 1 - beta."""
    return _root(lambda drift: _stopping(t, drift, upper, lower, sided, grid).power
                 - (1.0 - beta), 0.0, _MAX_DRIFT, "drift for the power")


def _futility_bound(state: integ.Continuation, t: float, drift: float, increment: float,
                    upper: float) -> float:
    """Futility bound spending ``increment`` of beta, at most the efficacy bound ``upper``."""
    if increment <= 0:
        return -math.inf
    if integ.lower_tail(state, t, drift, upper) <= increment:
        return upper
    centre = drift * math.sqrt(t)
    return _root(lambda a: integ.lower_tail(state, t, drift, a) - increment,
                 centre - 40.0, min(upper, centre + 40.0), "futility bound")


def _beta_spending(t: NDArray[np.float64], beta_targets: NDArray[np.float64], beta: float,
                   efficacy_z: NDArray[np.float64] | None,
                   alpha_targets: NDArray[np.float64] | None,
                   grid: int) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Drift, efficacy and futility bounds of a one-sided beta-spending futility rule.

    For a trial drift the futility bounds are solved look by look so that the cumulative
    probability of stopping for futility equals ``beta_targets``. A non-binding rule keeps
    the given ``efficacy_z``; a binding one (``alpha_targets`` given, ``efficacy_z`` None)
    solves each efficacy bound under the null with the earlier futility bounds in place. The
    drift is the root of: futility stops + not rejecting at the last look = ``beta``, where
    the last futility bound meets the last efficacy bound (as rpact).
    """
    k_max = t.size

    def bounds(drift: float) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
        upper = np.full(k_max, np.inf) if efficacy_z is None else efficacy_z.copy()
        lower = np.full(k_max, -np.inf)
        state, null_state = integ.start(), integ.start()
        spent, null_spent = 0.0, 0.0
        for k in range(k_max):
            if alpha_targets is not None:
                upper[k] = _efficacy_bound(null_state, t[k], alpha_targets[k] - null_spent, 1,
                                           clip=True)
                null_spent += integ.upper_tail(null_state, t[k], 0.0, upper[k])
            if k == k_max - 1:
                break
            lower[k] = _futility_bound(state, t[k], drift, beta_targets[k] - spent, upper[k])
            spent += integ.lower_tail(state, t[k], drift, lower[k])
            state = integ.advance(state, t[k], drift, lower[k], upper[k], grid)
            if alpha_targets is not None:
                null_state = integ.advance(null_state, t[k], 0.0, lower[k], upper[k], grid)
        total = spent + integ.lower_tail(state, t[-1], drift, upper[-1])
        return total - beta, upper, lower

    drift = _root(lambda d: bounds(d)[0], 0.0, _MAX_DRIFT, "drift for the beta spending")
    _, upper, lower = bounds(drift)
    return drift, upper, lower


def _conditional_power_futility(t: NDArray[np.float64], efficacy_rule: Rule | None,
                                alpha: float, rule: ConditionalPowerFutility, beta: float,
                                binding: bool, grid: int,
                                ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Drift, efficacy and futility bounds of a one-sided conditional-power futility rule.

    The futility bounds depend on the drift (planned-effect rule) and on the efficacy bounds;
    the drift (power 1 - beta, futility obeyed) and a binding design's efficacy bounds depend
    on the futility bounds. Starting from the design without futility, each is recomputed
    from the others until none moves by more than 1e-10.
    """
    no_futility = np.full(t.size, -np.inf)
    efficacy_z = _efficacy_bounds(t, efficacy_rule, alpha, 1, no_futility, grid)
    futility_z = no_futility
    drift = _power_drift(t, efficacy_z, no_futility, 1, beta, grid)
    for _ in range(_FIXED_POINT_STEPS):
        new_futility = conditional.futility_bounds(t, efficacy_z, rule, drift, grid)
        new_efficacy = (_efficacy_bounds(t, efficacy_rule, alpha, 1, new_futility, grid)
                        if binding else efficacy_z)
        new_drift = _power_drift(t, new_efficacy, new_futility, 1, beta, grid)
        moved = max(_moved(new_futility, futility_z), _moved(new_efficacy, efficacy_z),
                    abs(new_drift - drift))
        drift, efficacy_z, futility_z = new_drift, new_efficacy, new_futility
        if moved < 1e-10:
            return drift, efficacy_z, futility_z
    raise InputError(f"`futility` {rule.label!r}: the bounds did not settle (the design is "
                     f"not feasible; check `alpha`, `beta` and the thresholds)")


def _moved(new: NDArray[np.float64], old: NDArray[np.float64]) -> float:
    """Largest change between two bound vectors; inf where a bound appears or vanishes."""
    if not np.array_equal(np.isfinite(new), np.isfinite(old)):
        return math.inf
    finite = np.isfinite(new)
    return float(np.max(np.abs(new[finite] - old[finite]), initial=0.0))
