r"""Baseline-adjusted tests of a follow-up outcome: ANCOVA and the change-from-baseline t test.

Both read the per-arm moments of follow-up ``y`` and baseline ``x``
(:mod:`simtrial.kernels.baseline`). ANCOVA fits ``y ~ arm + x`` (R ``lm(y ~ arm + x)``, the
coefficient of arm) and tests it with Student's t on ``m_t + m_c - 3`` df; the change score
test is the pooled t test of ``y - x``. With correlation :math:`\rho` between baseline and
follow-up and a common sd :math:`\sigma`, ANCOVA's residual sd is
:math:`\sigma\sqrt{1-\rho^2}` and the change score's :math:`\sigma\sqrt{2(1-\rho)}` (equal
baseline and follow-up sds), so ANCOVA needs about :math:`1-\rho^2` times the patients of the
unadjusted t test and never more than the change score (Borm, Fransen and Lemmens, J Clin
Epidemiol 2007;60:1234-8).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simtrial.kernels.baseline import BASELINE_COLUMNS, baseline_fit, baseline_pvalues
from simtrial.stattests._base import Statistic, Test

if TYPE_CHECKING:
    from simtrial.scenario import Endpoint

__all__ = ["ANCOVA", "BASELINE", "CHANGE", "ancova", "ancova_fit", "change"]

BASELINE = Statistic("baseline", BASELINE_COLUMNS, np.float64,
                     "analysed, mean follow-up, mean baseline, and the centred sums of squares "
                     "Syy, Sxx and cross-products Sxy in treatment, then in control", (0, 6))


def ancova_fit(stats: np.ndarray, change: bool = False) -> np.ndarray:
    """Estimate, standard error and df of the treatment effect, one row per replicate.

    Parameters
    ----------
    stats : ndarray of shape (reps, 12)
        Per arm (treatment, then control): analysed, mean of y, mean of x, Syy, Sxx, Sxy.
    change : bool
        The change-score t test instead of ANCOVA.

    Returns
    -------
    ndarray of shape (reps, 3)

    Examples
    --------
    >>> y_t, x_t = np.array([5.0, 7, 8, 6]), np.array([4.0, 5, 7, 6])
    >>> y_c, x_c = np.array([4.0, 5, 3, 6]), np.array([5.0, 6, 3, 7])
    >>> def arm(y, x):
    ...     return [len(y), y.mean(), x.mean(), ((y - y.mean())**2).sum(),
    ...             ((x - x.mean())**2).sum(), ((x - x.mean()) * (y - y.mean())).sum()]
    >>> fit = ancova_fit(np.array([arm(y_t, x_t) + arm(y_c, x_c)]))
    >>> [round(float(v), 6) for v in fit[0]]  # R lm(y ~ arm + x): 1.809090909, 0.447195115, 5
    [1.809091, 0.447195, 5.0]
    """
    out = np.empty((len(stats), 3))
    baseline_fit(np.ascontiguousarray(stats, dtype=np.float64), change, out)
    return out


def ancova(stats: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """p-values of the ANCOVA t test of the treatment effect (see :func:`ancova_fit`)."""
    return _pvalues(stats, False, alternative, sign, 0.0)


def change(stats: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """p-values of the pooled t test of the change from baseline."""
    return _pvalues(stats, True, alternative, sign, 0.0)


def _ancova_margin(stats: np.ndarray, sign: int, shift: float) -> np.ndarray:
    return _pvalues(stats, False, "one-sided", sign, shift)


def _change_margin(stats: np.ndarray, sign: int, shift: float) -> np.ndarray:
    return _pvalues(stats, True, "one-sided", sign, shift)


def _pvalues(stats, change_score, alternative, sign, shift):
    out = np.empty(len(stats))
    baseline_pvalues(np.ascontiguousarray(stats, dtype=np.float64), change_score,
                     alternative == "two-sided", sign, shift, out)
    return out


def residual_sd(ep: Endpoint, test: str) -> float | None:
    r"""The sd the closed form of ``test`` uses, or None (unequal sds, no normal parameters).

    ``ttest``: the follow-up sd; ``ancova``: times :math:`\sqrt{1-\rho^2}`; ``change``: the
    sd of ``y - x``, :math:`\sqrt{\sigma^2 + \sigma_x^2 - 2\rho\sigma\sigma_x}`.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> ep = load_scenario("ancova-walk").endpoint("walk_m")
    >>> [round(residual_sd(ep, t), 3) for t in ("ttest", "ancova", "change")]
    [69.36, 55.488, 62.037]
    """
    treatment = ep.model.normal_parameters(ep, "treatment")
    control = ep.model.normal_parameters(ep, "control")
    baseline = ep.model.baseline_parameters(ep)
    if treatment is None or control is None or treatment[1] != control[1]:
        return None
    sd = treatment[1]
    if test == "ttest":
        return sd
    if baseline is None:
        return None
    _, sd_x, rho = baseline
    if test == "ancova":
        return sd * math.sqrt(1 - rho * rho)
    return math.sqrt(sd * sd + sd_x * sd_x - 2 * rho * sd * sd_x)


def _means(ep: Endpoint) -> tuple[float, float]:
    """The follow-up means of the arms (:func:`residual_sd` has checked that there are)."""
    treatment = ep.model.normal_parameters(ep, "treatment")
    control = ep.model.normal_parameters(ep, "control")
    assert treatment is not None and control is not None  # residual_sd returned an sd
    return treatment[0], control[0]


def _closed_form(ep: Endpoint, m_t: float, m_c: float, alpha: float,
                 alternative: str) -> tuple[float | None, str | None]:
    """Noncentral t at the residual sd, one df fewer for ANCOVA (Borm et al. 2007)."""
    from simtrial.analytic import power_tost, power_ttest

    sd = residual_sd(ep, ep.test)
    if sd is None:
        return None, (f"no closed form for the {ep.test} test of a {ep.distribution} endpoint"
                      " (it needs normal arms with equal sds)")
    mean_t, mean_c = _means(ep)
    covariates = 1 if ep.test == "ancova" else 0
    if ep.equivalence is not None:
        return power_tost(mean_t - mean_c, sd, m_t, m_c, alpha, *ep.model.test_equivalence(ep),
                          covariates=covariates), None
    delta = ep.benefit_sign * (mean_t - mean_c - ep.model.test_margin(ep))
    value = power_ttest(delta, sd, m_t, m_c, alpha, alternative, covariates=covariates)
    if math.isnan(value):
        return None, ("degenerate: the noncentral t of the formula is out of numerical reach "
                      "at this effect")
    return value, None


def _drift(ep: Endpoint, m_t: float, m_c: float, alpha: float) -> float:
    """The z-statistic's mean: the difference over its standard error at the residual sd."""
    sd = residual_sd(ep, ep.test)
    if sd is None:
        raise TypeError(f"no drift for the {ep.test} test of endpoint {ep.id!r}")
    mean_t, mean_c = _means(ep)
    delta = ep.benefit_sign * (mean_t - mean_c - ep.model.test_margin(ep))
    return delta / (sd * math.sqrt(1 / m_t + 1 / m_c))


ANCOVA = Test("ancova", "analysis of covariance adjusted for baseline (ANCOVA)", BASELINE,
              ancova, _closed_form, drift=_drift, margin_pvalues=_ancova_margin)
CHANGE = Test("change", "the two-sample t test of the change from baseline", BASELINE, change,
              _closed_form, drift=_drift, margin_pvalues=_change_margin)
