"""Two-sample t tests: Student's (pooled variance) and Welch's."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simtrial.kernels.ttest import t_test_pvalues
from simtrial.stattests._base import MOMENTS, Test

if TYPE_CHECKING:
    from simtrial.scenario import Endpoint

__all__ = ["TTEST", "WELCH", "ttest", "welch"]


def ttest(moments: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """Student's two-sample t test with pooled variance.

    Parameters
    ----------
    moments : ndarray of shape (reps, 6)
        Columns: assessed, mean and sum of squared deviations in treatment, then in control.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit.

    Returns
    -------
    ndarray of p-values.

    Examples
    --------
    >>> x = np.array([50, 55, 60, 60, 65, 70, 70, 70, 85, 100.0])
    >>> y = np.array([40, 45, 50, 50, 50, 55, 60, 65, 65, 90.0])
    >>> row = [[10, x.mean(), ((x - x.mean())**2).sum(), 10, y.mean(), ((y - y.mean())**2).sum()]]
    >>> p = ttest(np.array(row), "two-sided", 1)
    >>> round(float(p[0]), 5)  # R t.test(x, y, var.equal = TRUE): 0.0921983
    0.0922
    """
    return _t_test(moments, False, alternative, sign)


def welch(moments: np.ndarray, alternative: str, sign: int) -> np.ndarray:
    """Welch's two-sample t test (unequal variances, Satterthwaite degrees of freedom).

    Parameters
    ----------
    moments : ndarray of shape (reps, 6)
        As for :func:`ttest`.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit.

    Returns
    -------
    ndarray of p-values.

    Examples
    --------
    >>> x = np.array([50, 55, 60, 60, 65, 70, 70, 70, 85, 100.0])
    >>> y = np.array([40, 45, 50, 50, 50, 55, 60, 65, 65, 90.0])
    >>> row = [[10, x.mean(), ((x - x.mean())**2).sum(), 10, y.mean(), ((y - y.mean())**2).sum()]]
    >>> p = welch(np.array(row), "two-sided", 1)
    >>> round(float(p[0]), 5)  # R t.test(x, y): 0.0922225
    0.09222
    """
    return _t_test(moments, True, alternative, sign)


def _t_test(moments: np.ndarray, welch: bool, alternative: str, sign: int) -> np.ndarray:
    """p-values of the pooled (``welch=False``) or Welch t test, row by row.

    With m, mean and ss the assessed, mean and sum of squared deviations per arm: the pooled
    test has t = (mean_t - mean_c) / sqrt((ss_t + ss_c) / df (1/m_t + 1/m_c)) on
    df = m_t + m_c - 2; Welch's has v = ss / (m - 1) / m per arm, t = (mean_t - mean_c) /
    sqrt(v_t + v_c) and df = (v_t + v_c)^2 / (v_t^2 / (m_t - 1) + v_c^2 / (m_c - 1)). The
    p-value is P(T <= -|t|) doubled (two-sided) or P(T <= -sign t), by
    :func:`simtrial.kernels.tdist.t_cdf_value` (within 1.4e-14 relative of mpmath for
    p >= 1e-50, tests/test_tdist.py, and three to four times faster than
    ``scipy.special.stdtr`` for df >= 30). Statistic and p-value are computed in one compiled
    pass (:func:`simtrial.kernels.ttest.t_test_pvalues`); an undefined statistic gives 1.
    """
    out = np.empty(len(moments))
    t_test_pvalues(np.ascontiguousarray(moments, dtype=np.float64), welch,
                   alternative == "two-sided", sign, out)
    return out


def _t_closed_form(ep: Endpoint, m_t: float, m_c: float, alpha: float,
                   alternative: str) -> tuple[float | None, str | None]:
    """Noncentral t: exact for the pooled test with equal sds; Satterthwaite df for Welch."""
    from simtrial.analytic import power_tost, power_ttest, power_welch

    model = ep.model
    treatment, control = (model.normal_parameters(ep, arm) for arm in ("treatment", "control"))
    none = f"no closed form for the {ep.test} test of a {ep.distribution} endpoint"
    if treatment is None or control is None:
        return None, none
    (mean_t, sd_t), (mean_c, sd_c) = treatment, control
    if ep.equivalence is not None:
        if ep.test == "welch" or sd_t != sd_c:
            return None, none + " (equivalence: the pooled t test with equal sds only)"
        return power_tost(mean_t - mean_c, sd_t, m_t, m_c, alpha,
                          *model.test_equivalence(ep)), None
    delta = ep.benefit_sign * (mean_t - mean_c - model.test_margin(ep))
    if ep.test == "welch":
        value = power_welch(delta, sd_t, sd_c, m_t, m_c, alpha, alternative)
    elif sd_t == sd_c:
        value = power_ttest(delta, sd_t, m_t, m_c, alpha, alternative)
    else:
        return None, none + " with unequal sds"
    if math.isnan(value):
        return None, ("degenerate: the noncentral t of the formula is out of numerical reach "
                      "at this effect")
    return value, None


def _means_drift(ep: Endpoint, m_t: float, m_c: float, alpha: float) -> float | None:
    """Delta / sqrt(sd_t^2 / m_t + sd_c^2 / m_c), in the direction of benefit.

    None for an endpoint whose model has no normal parameters (scores: their t tests are
    simulated, with no canonical model beside them).

    The mean of the z-statistic of a difference in means (rpact's ``getPowerMeans``, normal
    approximation); the t test's p-value is turned into z by the normal quantile, so the
    simulation differs from this by the t-versus-z difference at small n.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> ep = load_scenario("msc-covid19").endpoint("walk_m")
    >>> round(_means_drift(ep, 260, 140, 0.025), 4)  # 27 / (69.36 sqrt(1/260 + 1/140))
    3.7134
    """
    model = ep.model
    treatment, control = (model.normal_parameters(ep, arm) for arm in ("treatment", "control"))
    if treatment is None or control is None:
        return None
    (mean_t, sd_t), (mean_c, sd_c) = treatment, control
    return (ep.benefit_sign * (mean_t - mean_c - model.test_margin(ep))
            / math.sqrt(sd_t**2 / m_t + sd_c**2 / m_c))


def _shifted_moments(moments: np.ndarray, shift: float) -> np.ndarray:
    """The moments with ``shift`` taken off the treatment mean: a t test of H0 diff = shift."""
    shifted = np.array(moments, dtype=np.float64)
    shifted[:, 1] -= shift
    return shifted


def _ttest_margin(moments: np.ndarray, sign: int, shift: float) -> np.ndarray:
    """One-sided pooled t test of H0: sign (difference - shift) <= 0 (a shifted t test).

    Examples
    --------
    >>> row = np.array([[10, 5.0, 90.0, 10, 4.0, 90.0]])  # sd 3.162 per arm, diff 1
    >>> round(float(_ttest_margin(row, 1, -1.0)[0]), 6)  # R pt(-2 / sqrt(2), 18): 0.0871817442
    0.087182
    """
    return ttest(_shifted_moments(moments, shift), "one-sided", sign)


def _welch_margin(moments: np.ndarray, sign: int, shift: float) -> np.ndarray:
    """One-sided Welch test of H0: sign (difference - shift) <= 0."""
    return welch(_shifted_moments(moments, shift), "one-sided", sign)


TTEST = Test("ttest", "the two-sample t test", MOMENTS, ttest, _t_closed_form,
             drift=_means_drift, margin_pvalues=_ttest_margin)
WELCH = Test("welch", "Welch's t test", MOMENTS, welch, _t_closed_form, drift=_means_drift,
             margin_pvalues=_welch_margin)
