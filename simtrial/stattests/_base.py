"""What every two-sample test provides: the statistics it reads, its p-values, its closed form.

A :class:`Test` is one test, registered by name in :data:`simtrial.stattests.TESTS`. Its
``pvalues(stats, alternative, sign)`` takes the array a kernel filled (one row per replicate,
the columns of its :class:`Statistic`), the alternative and the direction of benefit (+1:
higher is better, -1: lower is better), and returns one p-value per replicate. Statistics are
oriented treatment minus control. A two-sided p-value counts both directions; a one-sided
p-value tests only the direction of benefit. A replicate in which the statistic is undefined
(an arm with nobody assessed, or no variation at all) gets p = 1: the trial could not reject.
The decision (p <= alpha, or a group-sequential boundary) is the design's, not the test's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simtrial.scenario import Endpoint

__all__ = ["COUNTS", "MOMENTS", "RANKS", "SURVIVAL", "ClosedForm", "Drift", "Statistic", "Test"]

#: ``closed_form(endpoint, m_t, m_c, alpha, alternative)`` -> ``(power, None)`` or
#: ``(None, why there is none)``, at the expected numbers assessed ``m_t, m_c``.
ClosedForm = Callable[["Endpoint", float, float, float, str], tuple[float | None, str | None]]
#: ``drift(endpoint, m_t, m_c, alpha_one_sided)`` -> the mean of the test's z-statistic at
#: ``m_t, m_c`` assessed in the canonical normal model of a group-sequential design, in the
#: direction of benefit (rpact's ``theta`` times the square root of the maximum sample size);
#: None where the endpoint's model has no such normal model for the test (t tests of scores).
Drift = Callable[["Endpoint", float, float, float], float | None]


@dataclass(frozen=True)
class Statistic:
    """The sufficient statistics a test reads, as the kernels fill them (one row each)."""

    name: str
    columns: int
    dtype: type
    description: str
    #: The columns whose sum is the number of patients the analysis includes (assessed, or
    #: randomised by the analysis time).
    assessed: tuple[int, ...]


COUNTS = Statistic("counts", 4, np.int64,
                   "assessed and events in treatment, assessed and events in control", (0, 2))
MOMENTS = Statistic("moments", 6, np.float64, "assessed, mean and sum of squared deviations "
                    "in treatment, then in control", (0, 3))
RANKS = Statistic("ranks", 4, np.float64, "assessed in treatment and in control, the "
                  "treatment arm's U statistic and the tie term sum(t^3 - t)", (0, 1))
SURVIVAL = Statistic("survival", 10, np.float64, "at the analysis: events, the (weighted) "
                     "log-rank z = U / sqrt(V), U = O - E in treatment, its variance V, the "
                     "calendar time, the number randomised, events in treatment, randomised in "
                     "treatment, the Cox estimate of the log hazard ratio and its variance "
                     "(simtrial.kernels.survival; z and U > 0: more treatment events than "
                     "expected)", (5,))


@dataclass(frozen=True)
class Test:
    """One two-sample test.

    Attributes
    ----------
    name : str
        The name a scenario gives as ``test``.
    title : str
        Its name in prose (reports).
    statistic : Statistic
        What it reads; an endpoint model that simulates this statistic can use the test.
    pvalues : callable
        ``pvalues(stats, alternative, sign)`` -> one p-value per row.
    closed_form : callable or None
        Its textbook power (:data:`ClosedForm`), where there is one.
    drift : callable or None
        Its z-statistic's mean in the canonical normal model (:data:`Drift`): the closed-form
        companion of a group-sequential design's simulated operating characteristics.
    proxy : str or None
        A test with a closed form that needs about the same n (a sample-size search's start).
    margin_pvalues : callable or None
        ``margin_pvalues(stats, sign, shift)`` -> one-sided p-values of H0: the effect is at
        most ``shift`` in the direction of benefit (a non-inferiority or superiority margin on
        the test's scale, :meth:`~simtrial.endpoints.EndpointModel.test_margin`); None: the
        test takes no margin.
    """

    __test__ = False  # not a pytest test class, whatever its name

    name: str
    title: str
    statistic: Statistic
    pvalues: Callable[[np.ndarray, str, int], np.ndarray]
    closed_form: ClosedForm | None = None
    drift: Drift | None = None
    proxy: str | None = None
    margin_pvalues: Callable[[np.ndarray, int, float], np.ndarray] | None = None


def pvalue_of(statistic, lower_cdf, alternative: str, sign: int) -> np.ndarray:
    """p-values of a statistic that is symmetric about 0 under H0; undefined -> 1."""
    if alternative == "two-sided":
        p = np.minimum(2 * lower_cdf(-np.abs(statistic)), 1.0)
    else:
        p = lower_cdf(-sign * statistic)
    return np.where(np.isnan(p), 1.0, p)

