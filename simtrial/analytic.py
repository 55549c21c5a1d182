"""Closed-form power: the textbook formulas, for cross-checks and warm starts.

These are what pwr, rpact, PASS and Stata print for a fixed design. They are approximations
where the test statistic's distribution is not exactly the one assumed (two proportions; Welch),
and simtrial prints them next to the simulated power so that the difference is visible.
With dropout, the formulas use the expected number assessed per arm, ``n (1 - dropout)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["endpoint_closed_form", "endpoint_power", "power_tost", "power_ttest",
           "power_two_proportions", "power_welch"]


def power_ttest(delta: float, sd: float, n_t: float, n_c: float, alpha: float,
                alternative: str = "two-sided", covariates: int = 0) -> float:
    r"""Power of the pooled two-sample t test, from the noncentral t distribution (exact).

    Parameters
    ----------
    delta : float
        True difference treatment minus control, in the direction of benefit (> 0 = benefit).
    sd : float
        Common standard deviation.
    n_t, n_c : float
        Patients assessed per arm.
    alpha : float
        Significance level (two-sided, or one-sided in the direction of benefit).
    alternative : {"two-sided", "one-sided"}
    covariates : int
        Covariates the model adjusts for besides the arm, each taking a degree of freedom
        (ANCOVA on a baseline: 1, with ``sd`` the residual sd; Borm et al. 2007).

    Returns
    -------
    float

    Notes
    -----
    With :math:`\nu = n_t + n_c - 2 - \text{covariates}` and noncentrality
    :math:`\lambda = \delta / (\sigma \sqrt{1/n_t + 1/n_c})`, two-sided power is
    :math:`P(T_{\nu,\lambda} > t_{1-\alpha/2,\nu})
    + P(T_{\nu,\lambda} < -t_{1-\alpha/2,\nu})`,
    as in R ``pwr::pwr.t2n.test``.

    Examples
    --------
    >>> round(power_ttest(0.4, 1.0, 65, 35, 0.05), 4)  # R pwr.t2n.test(65, 35, d = 0.4): 0.47184
    0.4718
    """
    df = n_t + n_c - 2 - covariates
    ncp = delta / (sd * math.sqrt(1 / n_t + 1 / n_c))
    return _noncentral_t_power(ncp, df, alpha, alternative)


def power_tost(delta: float, sd: float, n_t: float, n_c: float, alpha: float, lower: float,
               upper: float, covariates: int = 0) -> float:
    r"""Power of the two one-sided pooled t tests of equivalence (TOST), exactly.

    Equivalence is shown when both one-sided tests at level ``alpha`` reject: H0 difference
    <= ``lower`` and H0 difference >= ``upper``.

    Notes
    -----
    With :math:`k = \sqrt{1/n_t + 1/n_c}`, :math:`\nu = n_t + n_c - 2 - \text{covariates}`,
    :math:`c = t_{1-\alpha,\nu}` and the sample sd :math:`S = \sigma\sqrt{W/\nu}`,
    :math:`W \sim \chi^2_\nu` independent of the difference :math:`D \sim N(\delta,
    \sigma^2 k^2)`, both tests reject when :math:`lower + c S k \le D \le upper - c S k`, so

    .. math::

        \text{power} = \int_0^{w^*} \left[\Phi\left(\frac{upper - \delta}{\sigma k}
        - c\sqrt{w/\nu}\right) - \Phi\left(\frac{lower - \delta}{\sigma k}
        + c\sqrt{w/\nu}\right)\right] f_{\chi^2_\nu}(w)\, dw

    up to the :math:`w^*` where the interval closes (Owen, Biometrika 1965;52:437-46).

    Examples
    --------
    >>> # large n: 2 Phi(10 / (40 sqrt(2 / 500)) - z_0.95) - 1 = 2 Phi(3.953 - 1.645) - 1
    >>> round(power_tost(0.0, 40.0, 500, 500, 0.05, -10.0, 10.0), 3), round(
    ...     2 * float(special.ndtr(10 / (40 * math.sqrt(2 / 500)) - 1.6449)) - 1, 3)
    (0.979, 0.979)
    """
    from scipy import integrate, stats  # here: the chi-square density of TOST only

    df = n_t + n_c - 2 - covariates
    scale = sd * math.sqrt(1 / n_t + 1 / n_c)
    crit = stats.t.ppf(1 - alpha, df)
    high, low = (upper - delta) / scale, (lower - delta) / scale
    if high <= low:
        return 0.0
    w_max = df * ((high - low) / (2 * crit)) ** 2

    def inside(w: float) -> float:
        half = crit * math.sqrt(w / df)
        return float(special.ndtr(high - half) - special.ndtr(low + half)) * stats.chi2.pdf(
            w, df)

    value, _ = integrate.quad(inside, 0.0, w_max, limit=200, epsabs=1e-12)
    return min(max(value, 0.0), 1.0)


def power_welch(delta: float, sd_t: float, sd_c: float, n_t: float, n_c: float, alpha: float,
                alternative: str = "two-sided") -> float:
    """Approximate power of Welch's t test: noncentral t with Satterthwaite df.

    The degrees of freedom are computed from the true variances; the exact power of Welch's
    test has no closed form (it depends on the random df), and this is the usual textbook
    approximation.

    Examples
    --------
    >>> round(power_welch(0.4, 1.0, 1.0, 65, 35, 0.05), 3)
    0.469
    """
    v_t, v_c = sd_t**2 / n_t, sd_c**2 / n_c
    df = (v_t + v_c) ** 2 / (v_t**2 / (n_t - 1) + v_c**2 / (n_c - 1))
    return _noncentral_t_power(delta / math.sqrt(v_t + v_c), df, alpha, alternative)


def power_two_proportions(p_t: float, p_c: float, n_t: float, n_c: float, alpha: float,
                          alternative: str = "two-sided", sign: int = 1) -> float:
    r"""Power of the two-proportion z (chi-square) test by the normal approximation.

    Parameters
    ----------
    p_t, p_c : float
        True proportions in treatment and control.
    n_t, n_c : float
        Patients assessed per arm.
    alpha : float
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit (one-sided tests only count that direction).

    Returns
    -------
    float

    Notes
    -----
    Variance under H0 from the pooled proportion
    :math:`\bar p = (n_t p_t + n_c p_c) / (n_t + n_c)`,
    :math:`s_0 = \sqrt{\bar p (1 - \bar p)(1/n_t + 1/n_c)}`; under H1 unpooled,
    :math:`s_1 = \sqrt{p_t q_t / n_t + p_c q_c / n_c}`. With :math:`d` the difference in the
    direction of benefit, two-sided power is
    :math:`\Phi((d - z_{1-\alpha/2} s_0)/s_1) + \Phi((-d - z_{1-\alpha/2} s_0)/s_1)`.

    Examples
    --------
    >>> round(power_two_proportions(0.18, 0.30, 260, 140, 0.05, sign=-1), 4)  # rpact: 0.77673
    0.7767
    """
    d = sign * (p_t - p_c)
    pooled = (n_t * p_t + n_c * p_c) / (n_t + n_c)
    s0 = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    s1 = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    if s1 == 0:
        return 0.0  # no variation: the test statistic is undefined and never rejects
    if alternative == "two-sided":
        z = special.ndtri(1 - alpha / 2)
        return float(special.ndtr((d - z * s0) / s1) + special.ndtr((-d - z * s0) / s1))
    return float(special.ndtr((d - special.ndtri(1 - alpha) * s0) / s1))


def endpoint_power(endpoint, n_t: int, n_c: int, alpha: float, alternative: str) -> float | None:
    """Textbook power of an endpoint's test, or None where the test has no closed form.

    Parameters
    ----------
    endpoint : simtrial.scenario.Endpoint
    n_t, n_c : int
        Patients randomised per arm; the expected number assessed is used.
    alpha : float
    alternative : {"two-sided", "one-sided"}

    See Also
    --------
    endpoint_closed_form : the same, with the reason where it is None.
    """
    return endpoint_closed_form(endpoint, n_t, n_c, alpha, alternative)[0]


def endpoint_closed_form(endpoint, n_t: int, n_c: int, alpha: float,
                         alternative: str) -> tuple[float | None, str | None]:
    """``(textbook power, None)``, or ``(None, why there is none)``.

    None where the test has no closed form, where fewer than two patients per arm are
    expected to be assessed, and where the formula is degenerate: its noncentral t
    distribution is out of scipy's numerical reach (a noncentrality of about 1e10 or more),
    where it would otherwise print 0 for a power of 1.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> score = sc.endpoint("sf36_gh")
    >>> endpoint_closed_form(score, 260, 140, 0.05, "two-sided")  # doctest: +ELLIPSIS
    (None, 'no closed form for the ancova test of a discretised_normal endpoint (it needs ...)')
    >>> far = sc.with_values({"endpoints.walk_m.treatment.mean": 1e11}).endpoint("walk_m")
    >>> endpoint_closed_form(far, 260, 140, 0.05, "two-sided")[1]
    'degenerate: the noncentral t of the formula is out of numerical reach at this effect'
    """
    from simtrial.stattests import TESTS

    m_t, m_c = n_t * (1 - endpoint.dropout[0]), n_c * (1 - endpoint.dropout[1])
    if min(m_t, m_c) < 2:
        return None, "fewer than 2 patients per arm expected to be assessed"
    closed_form = TESTS[endpoint.test].closed_form
    if closed_form is None:
        return None, (f"no closed form for the {endpoint.test} test of a "
                      f"{endpoint.distribution} endpoint")
    return closed_form(endpoint, m_t, m_c, alpha, alternative)


def _noncentral_t_power(ncp: float, df: float, alpha: float, alternative: str) -> float:
    """Power from the noncentral t; nan where scipy gives no tail at all (degenerate).

    scipy's noncentral t returns nan for some far tails (e.g. nct.cdf(-1.97, 398, 38)); a
    tail that far out is below 1e-80, so 0 is exact to double precision, as long as the other
    tail is a number. At a noncentrality near 1e10 both are nan, and so is the power.

    The functions are scipy.special's, which scipy.stats's t and nct call (``t.ppf`` is
    ``stdtrit``, ``nct.cdf`` is ``nctdtr``), without importing scipy.stats. The upper tail is
    the lower tail of the reflected distribution, ``P(T > c | ncp) = nctdtr(df, -ncp, -c)``,
    which gives ``nct.sf``'s bits (tests/test_analytic.py).
    """
    if alternative == "two-sided":
        crit = special.stdtrit(df, 1 - alpha / 2)
        tails = np.array([special.nctdtr(df, -ncp, -crit), special.nctdtr(df, ncp, -crit)])
    else:
        tails = np.array([special.nctdtr(df, -ncp, -special.stdtrit(df, 1 - alpha))])
    if np.isnan(tails).all():
        return math.nan
    return float(np.nan_to_num(tails).sum())
