r"""Required events and power of the log-rank test: Schoenfeld (1981) and Freedman (1982).

Both approximate the log-rank statistic by a normal distribution whose mean depends on the
number of events :math:`D`, the hazard ratio :math:`\Delta` (treatment : control, < 1 = benefit)
and the allocation ratio :math:`r = n_t / n_c` (65:35 is ``allocation_ratio = 65 / 35``,
rpact's ``allocationRatioPlanned`` with group 1 = treatment):

- Schoenfeld: the z statistic has mean :math:`\mu = \sqrt{D}\,\sqrt{r}/(1+r)\,|\log\Delta|`,
  so :math:`D = (z_\alpha+z_\beta)^2 (1+r)^2 / (r \log^2\Delta)`.
- Freedman: :math:`\mu = \sqrt{D}\,\sqrt{r}\,|1-\Delta|/(1+r\Delta)`,
  so :math:`D = (z_\alpha+z_\beta)^2 (1+r\Delta)^2 / (r (1-\Delta)^2)`.

These are exactly rpact's ``typeOfComputation = "Schoenfeld"`` (its default) and
``"Freedman"`` (read from ``rpact:::.getEventsFixed`` and ``body(rpact::getPowerSurvival)``,
rpact 3.3.4). rpact also offers ``"HsiehFreedman"``,
:math:`(z_\alpha+z_\beta)^2 (1+\Delta)^2 (1+r)^2 / (4 r (1-\Delta)^2)`, not provided here.

**Unequal allocation.** At :math:`\Delta = 0.7`, one-sided 0.025 and 90% power, 1:1 needs
330.4 events by Schoenfeld and 337.4 by Freedman. Schoenfeld's number depends on the ratio
only through :math:`(1+r)^2/r`, the same for 65:35 and 35:65 (363.1); Freedman's does not:
332.6 at 65:35 (more patients on the arm with the lower hazard) and 411.1 at 35:65. Neither is
exact: Schoenfeld assumes the events split between the arms in the allocation ratio (true
only near :math:`\Delta = 1`), Freedman uses the split under the alternative but a crude
variance. Yung et al. (2024), raised with rpact's maintainers in rpact issue #43
(https://github.com/rpact-com/rpact/issues/43), show both can be off for unequal ratios and
that Rubinstein's approximation does better. simtrial therefore prints both and lets the
simulation of the log-rank test decide.

References
----------
.. [1] Schoenfeld D. The asymptotic properties of nonparametric tests for comparing survival
   distributions. Biometrika 1981; 68(1): 316-319. doi:10.1093/biomet/68.1.316
.. [2] Freedman LS. Tables of the number of patients required in clinical trials using the
   logrank test. Statistics in Medicine 1982; 1(2): 121-129. doi:10.1002/sim.4780010204
.. [3] Yung G, Wolbers M, et al. Choice of the randomization ratio for time-to-event
   endpoints. arXiv:2407.03420 (2024).
"""

from __future__ import annotations

import math

from scipy import special

from simtrial.errors import InputError

__all__ = ["freedman_events", "freedman_power", "schoenfeld_events", "schoenfeld_power"]


def schoenfeld_events(hazard_ratio: float, alpha: float, power: float,
                      allocation_ratio: float = 1.0, alternative: str = "one-sided") -> float:
    r"""Events needed by Schoenfeld's (1981) formula (unrounded).

    Parameters
    ----------
    hazard_ratio : float
        Hazard ratio treatment : control, > 0 and != 1.
    alpha : float
        Significance level, in (0, 0.5]; two-sided levels are split, :math:`z_{1-\alpha/2}`.
    power : float
        Target power, in (alpha, 1).
    allocation_ratio : float, optional
        :math:`r = n_t / n_c`, e.g. ``65 / 35``.
    alternative : {"one-sided", "two-sided"}, optional

    Returns
    -------
    float
        :math:`(z_\alpha + z_\beta)^2 (1 + r)^2 / (r \log^2 \Delta)`. The two-sided number
        ignores the far tail (rpact's default ``twoSidedPower = FALSE``).

    Examples
    --------
    >>> round(schoenfeld_events(0.7, 0.025, 0.9), 4)  # rpact getSampleSizeSurvival: 330.3779
    330.3779
    >>> round(schoenfeld_events(0.7, 0.025, 0.9, allocation_ratio=65 / 35), 4)  # rpact: 363.0527
    363.0527
    """
    _iv(hazard_ratio, alpha, allocation_ratio, alternative)
    _power_iv(power, alpha)
    r = allocation_ratio
    z = _z_alpha(alpha, alternative) + special.ndtri(power)
    return float(z**2 * (1 + r) ** 2 / (r * math.log(hazard_ratio) ** 2))


def freedman_events(hazard_ratio: float, alpha: float, power: float,
                    allocation_ratio: float = 1.0, alternative: str = "one-sided") -> float:
    r"""Events needed by Freedman's (1982) formula (unrounded).

    Parameters as in :func:`schoenfeld_events`.

    Returns
    -------
    float
        :math:`(z_\alpha + z_\beta)^2 (1 + r \Delta)^2 / (r (1 - \Delta)^2)`.

    Examples
    --------
    >>> round(freedman_events(0.7, 0.025, 0.9), 2)
    337.41
    >>> round(freedman_events(0.7, 0.025, 0.9, allocation_ratio=65 / 35), 2)
    332.56
    """
    _iv(hazard_ratio, alpha, allocation_ratio, alternative)
    _power_iv(power, alpha)
    r, hr = allocation_ratio, hazard_ratio
    z = _z_alpha(alpha, alternative) + special.ndtri(power)
    return float(z**2 * (1 + r * hr) ** 2 / (r * (1 - hr) ** 2))


def schoenfeld_power(events: float, hazard_ratio: float, alpha: float,
                     allocation_ratio: float = 1.0, alternative: str = "one-sided") -> float:
    r"""Power of the log-rank test at `events` events, by Schoenfeld's (1981) approximation.

    Parameters as in :func:`schoenfeld_events`, with `events` > 0 in place of `power`.

    Returns
    -------
    float
        One-sided: :math:`\Phi(\mu - z_{1-\alpha})` with
        :math:`\mu = \sqrt{D r}/(1 + r)\,|\log\Delta|`; two-sided: both tails,
        :math:`\Phi(\mu - z_{1-\alpha/2}) + \Phi(-\mu - z_{1-\alpha/2})` (simtrial counts a
        rejection in either direction, as rpact's two-sided ``overallReject``).

    Examples
    --------
    >>> round(schoenfeld_power(363, 0.7, 0.025, 65 / 35), 6)  # rpact getPowerSurvival: 0.899959
    0.899959
    """
    _events_iv(events)
    _iv(hazard_ratio, alpha, allocation_ratio, alternative)
    r = allocation_ratio
    mean = math.sqrt(events * r) / (1 + r) * abs(math.log(hazard_ratio))
    return _power(mean, alpha, alternative)


def freedman_power(events: float, hazard_ratio: float, alpha: float,
                   allocation_ratio: float = 1.0, alternative: str = "one-sided") -> float:
    r"""Power of the log-rank test at `events` events, by Freedman's (1982) approximation.

    Parameters and tails as in :func:`schoenfeld_power`, with
    :math:`\mu = \sqrt{D r}\,|1 - \Delta| / (1 + r \Delta)`.

    Examples
    --------
    >>> round(freedman_power(363, 0.7, 0.025, 65 / 35), 4)
    0.9232
    """
    _events_iv(events)
    _iv(hazard_ratio, alpha, allocation_ratio, alternative)
    r, hr = allocation_ratio, hazard_ratio
    mean = math.sqrt(events * r) * abs(1 - hr) / (1 + r * hr)
    return _power(mean, alpha, alternative)


def _z_alpha(alpha: float, alternative: str) -> float:
    return float(special.ndtri(1 - (alpha / 2 if alternative == "two-sided" else alpha)))


def _power(mean: float, alpha: float, alternative: str) -> float:
    z = _z_alpha(alpha, alternative)
    if alternative == "two-sided":
        return float(special.ndtr(mean - z) + special.ndtr(-mean - z))
    return float(special.ndtr(mean - z))


def _iv(hazard_ratio: float, alpha: float, allocation_ratio: float, alternative: str) -> None:
    if not (math.isfinite(hazard_ratio) and hazard_ratio > 0 and hazard_ratio != 1):
        raise InputError(f"`hazard_ratio` must be finite, > 0 and != 1, got {hazard_ratio!r}")
    if not 0 < alpha <= 0.5:
        raise InputError(f"`alpha` must be in (0, 0.5], got {alpha!r}")
    if not (math.isfinite(allocation_ratio) and allocation_ratio > 0):
        raise InputError(f"`allocation_ratio` must be finite and > 0, got {allocation_ratio!r}")
    if alternative not in ("one-sided", "two-sided"):
        raise InputError(f"`alternative` must be 'one-sided' or 'two-sided', got {alternative!r}")


def _power_iv(power: float, alpha: float) -> None:
    if not alpha < power < 1:
        raise InputError(f"`power` must be in (alpha, 1), got {power!r}")


def _events_iv(events: float) -> None:
    if not (math.isfinite(events) and events > 0):
        raise InputError(f"`events` must be finite and > 0, got {events!r}")
