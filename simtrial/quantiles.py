r"""Normal and Student t quantiles in plain Python, for the paths that must not import scipy.

`simtrial validate` recomputes the derived numbers of a scenario (:mod:`simtrial.evidence`),
and its time budget (0.3 s) leaves no room for importing numpy and scipy. These two functions
answer what :func:`scipy.special.ndtri` and :func:`scipy.special.stdtrit` answer there, to
within a few units in the last place (tests/test_quantiles.py checks them against scipy). The
t distribution function used on the way is the one of :mod:`simtrial.kernels.tdist` written
more simply (a continued fraction, not TOMS 708), without numba: the simulation kernels keep
theirs.
"""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["normal_quantile", "t_quantile"]

_STANDARD_NORMAL = NormalDist()
#: Stirling's series of ln Gamma(z): the coefficients B_2k / (2k (2k - 1)), k = 1..5
#: (DLMF 5.11.1); at z >= 20 the first term left out is below 1e-17.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188)
_STIRLING_FROM = 20.0
#: Degrees of freedom from which Fisher's expansion about the normal may be used.
_FISHER_DF = 1000.0
_EPS = 2.0**-52
_TINY = 1e-300


def normal_quantile(p: float) -> float:
    r"""Quantile of the standard normal distribution, :math:`\Phi^{-1}(p)`.

    Parameters
    ----------
    p : float
        Lower-tail probability, in (0, 1).

    Returns
    -------
    float
        The z with :math:`P(Z \le z) = p`.

    Raises
    ------
    ValueError
        If `p` is not in (0, 1) (a :class:`statistics.StatisticsError`).

    Notes
    -----
    :meth:`statistics.NormalDist.inv_cdf`: Wichura's algorithm AS 241 [1]_ (PPND16, relative
    error about 1e-16), which R's ``qnorm`` also uses. It differs from
    :func:`scipy.special.ndtri` (Cephes) by at most a few units in the last place.

    References
    ----------
    .. [1] Wichura MJ. Algorithm AS 241: the percentage points of the normal distribution.
       Appl Stat 1988;37:477-84.

    Examples
    --------
    >>> round(normal_quantile(0.975), 6)
    1.959964
    >>> normal_quantile(0.5)
    0.0
    """
    return _STANDARD_NORMAL.inv_cdf(p)


def t_quantile(p: float, df: float) -> float:
    r"""Quantile of Student's t distribution with `df` degrees of freedom.

    Parameters
    ----------
    p : float
        Lower-tail probability, in (0, 1).
    df : float
        Degrees of freedom, at least 1 (need not be an integer).

    Returns
    -------
    float
        The t with :math:`P(T \le t) = p`, as ``scipy.special.stdtrit(df, p)``.

    Raises
    ------
    ValueError
        If `p` is not in (0, 1) or `df` is below 1.

    Notes
    -----
    For :math:`p > \frac12` the answer is minus that for :math:`1 - p` (exact in floating
    point). For :math:`p < \frac12`: with 1 or 2 degrees of freedom, the closed forms
    :math:`-\cot(\pi p)` and :math:`(2p - 1)/\sqrt{2p(1-p)}`; with :math:`\nu \ge 1000` and
    :math:`z^4 \le \nu / 20` (z the normal quantile), Fisher's expansion of t in z to order
    :math:`\nu^{-4}` (Abramowitz and Stegun 26.7.5 [4]_; where it is used, the terms left out
    are below the rounding).
    Otherwise Hill's algorithm 396 [1]_ gives a starting value (within 7e-6 for
    :math:`\nu \ge 3`), which steps of the two-term Taylor expansion of the distribution
    function (Hill 1981 [2]_, as R's ``qt``) refine until a step is below 1e-11 of t; the last
    step leaves an error of the order of the rounding of the distribution function. That
    function is, for :math:`t < 0` with
    :math:`x = \nu/(\nu + t^2)` and :math:`a = \nu/2`,

    .. math:: P(T \le t) = \tfrac12 I_x(a, \tfrac12) = \tfrac12 - \tfrac12 I_{1-x}(\tfrac12, a)

    (Abramowitz and Stegun 26.7.1), the incomplete beta ratio :math:`I` by its continued
    fraction (DLMF 8.17.22) in Lentz's evaluation [3]_, taking whichever of the two forms
    converges fast (:math:`x` below or above :math:`(a + 1)/(a + \frac52)`). The second form is
    compared with :math:`\frac12 - p`, exact for :math:`p \ge \frac14`, so t keeps its
    relative accuracy as it tends to 0. :math:`\ln \Gamma(a + \frac12) - \ln \Gamma(a)` comes
    from Stirling's series at :math:`a \ge 20` and the recurrence
    :math:`\Gamma(a + 1) = a\Gamma(a)` below, never from a difference of ``lgamma`` values.

    Accuracy (tests/test_quantiles.py): within 3e-15 relative of the inverse of mpmath's
    distribution function for :math:`p \ge 10^{-10}`, 7e-14 down to :math:`10^{-306}` (where
    the logarithm of the tail, up to 700, is rounded), :math:`1 \le \nu \le 10^7`; within
    4e-13 of :func:`scipy.special.stdtrit` for :math:`\nu = 1, \dots, 1000` and
    :math:`10^{-10} \le p \le 0.49` (the difference is stdtrit's: nearer ½ it loses up to
    4e-4 relative, where this function keeps the accuracy that the rounding of p allows).

    References
    ----------
    .. [1] Hill GW. Algorithm 396: Student's t-quantiles. Commun ACM 1970;13:619-20.
    .. [2] Hill GW. Remark on algorithm 396. ACM Trans Math Softw 1981;7:250-1.
    .. [3] Lentz WJ. Generating Bessel functions in Mie scattering calculations using
       continued fractions. Appl Opt 1976;15:668-71.
    .. [4] Abramowitz M, Stegun IA. Handbook of Mathematical Functions. National Bureau of
       Standards, 1964, formula 26.7.5.

    Examples
    --------
    The 97.5% quantile with 76 degrees of freedom (R: ``qt(0.975, 76)`` = 1.99167260964466):

    >>> round(t_quantile(0.975, 76), 12)
    1.991672609645
    >>> round(t_quantile(0.025, 1), 4)  # the Cauchy distribution: -cot(0.025 pi)
    -12.7062
    >>> t_quantile(0.5, 10)
    0.0
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"`p` must be in (0, 1); got {p!r}.")
    if not df >= 1.0:
        raise ValueError(f"`df` must be at least 1; got {df!r}.")
    if p > 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    z = normal_quantile(p)
    if df >= _FISHER_DF and z**4 <= df / 20:
        return _fisher_expansion(z, df)
    a = df / 2
    log_ratio = _log_gamma_half_ratio(a)
    t = -_hill_start(p, z, df)
    if df in (1.0, 2.0):
        return t  # closed forms
    for _ in range(50):
        step = _taylor_step(t, p, df, a, log_ratio)
        t += step
        if abs(step) <= 1e-11 * abs(t):
            return t
    raise ArithmeticError(f"t_quantile({p!r}, {df!r}) did not converge")  # pragma: no cover


def _fisher_expansion(z: float, df: float) -> float:
    """The t quantile from the normal one, z, to order df^-4 (Abramowitz and Stegun 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


def _hill_start(p: float, z: float, df: float) -> float:
    """|t| for p < 1/2 (Hill 1970, algorithm 396, with P = 2p two-sided): exact for df 1, 2.

    `z` is the normal quantile of p, used far from the tail.
    """
    if df == 1.0:  # Cauchy: cot(pi p), from its complement near the centre
        return math.tan(math.pi * (0.5 - p)) if p > 0.25 else 1 / math.tan(math.pi * p)
    if df == 2.0:
        return 2 * (0.5 - p) / math.sqrt(2 * p * (1 - p))
    two_sided = 2 * p
    a = 1 / (df - 0.5)
    b = 48 / (a * a)
    c = ((20700 * a / b - 98) * a - 16) * a + 96.36
    d = ((94.5 / (b + c) - 3) / b + 1) * math.sqrt(a * math.pi / 2) * df
    log_y = 2 / df * math.log(d * two_sided)
    if (df < 2.1 and two_sided > 0.5) or log_y > math.log(0.05 + a):
        # asymptotic inverse expansion about the normal deviate
        y = z * z
        if df < 5:
            c += 0.3 * (df - 4.5) * (z + 0.6)
        c = (((0.05 * d * z - 5) * z - 7) * z - 2) * z + b + c
        y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * z
        return math.sqrt(df * math.expm1(a * y * y))
    if log_y < -600:  # far tail: y would underflow; the 1/y term dominates
        return math.sqrt(df) * math.exp(-log_y / 2)
    y = math.exp(log_y)
    y = ((1 / (((df + 6) / (df * y) - 0.089 * d - 0.822) * (df + 2) * 3) + 0.5 / (df + 4))
         * y - 1) * (df + 1) / (df + 2) + 1 / y
    return math.sqrt(df * y)


def _taylor_step(t: float, p: float, df: float, a: float, log_ratio: float) -> float:
    r"""Step h with :math:`F(t + h) \approx p` from F's Taylor expansion to second order.

    For t < 0 and p < 1/2; `log_ratio` is :math:`\ln\Gamma(a + \frac12) - \ln\Gamma(a)`.
    """
    r = -t / math.sqrt(df)  # |t| / sqrt(df); x = 1 / (1 + r^2), y = 1 - x = r^2 / (1 + r^2)
    if r <= 1.0:
        x, y, r_x = 1 / (1 + r * r), r * r / (1 + r * r), r / (1 + r * r)
        log_x = -math.log1p(r * r)
        log_y = 2 * math.log(r) + log_x
    else:  # r^2 may overflow: the same in powers of 1 / r
        s = 1 / r
        x, y, r_x = s * s / (1 + s * s), 1 / (1 + s * s), s / (1 + s * s)
        log_y = -math.log1p(s * s)
        log_x = 2 * math.log(s) + log_y
    # x^a (1 - x)^(1/2) / B(a, 1/2), B(a, 1/2) = Gamma(a) Gamma(1/2) / Gamma(a + 1/2)
    log_front = a * log_x + 0.5 * log_y + log_ratio - 0.5 * math.log(math.pi)
    # density: Gamma(a + 1/2) / (Gamma(a) sqrt(pi df)) x^(a + 1/2)
    log_density = log_ratio - 0.5 * math.log(math.pi * df) + (a + 0.5) * log_x
    if x < (a + 1) / (a + 2.5):
        # F = I_x(a, 1/2) / 2, in logs (the far tail may underflow a double)
        log_cdf = math.log(0.5) + log_front - math.log(a * _beta_fraction(a, 0.5, x))
        newton = -math.expm1(log_cdf - math.log(p)) * math.exp(math.log(p) - log_density)
    else:
        # F = 1/2 - I_y(1/2, a) / 2, compared with p as (1/2 - p) - I_y(1/2, a) / 2
        centre = math.exp(log_front) / _beta_fraction(0.5, a, y)  # I_y(1/2, a) / 2
        newton = ((0.5 - p) - centre) / -math.exp(log_density)
    # second order: F''/F' = -(df + 1) t / (df + t^2) = (df + 1) r x / sqrt(df)
    return newton * (1 - 0.5 * newton * (df + 1) * r_x / math.sqrt(df))


def _beta_fraction(a: float, b: float, x: float) -> float:
    r"""The continued fraction of :math:`I_x(a, b) = x^a (1-x)^b / (a B(a, b)\, f)`.

    :math:`f = 1 + d_1/(1 + d_2/(1 + \dots))` with :math:`d_{2m} = m(b - m)x /
    ((a + 2m - 1)(a + 2m))` and :math:`d_{2m+1} = -(a + m)(a + b + m)x / ((a + 2m)(a + 2m +
    1))` (DLMF 8.17.22), by Lentz's method: fast for :math:`x < (a + 1)/(a + b + 2)`.
    """
    f = c = 1.0
    d = 0.0
    for j in range(1, 100_000):
        m = j // 2
        if j % 2:
            term = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            term = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 + term * d
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = 1 + term / c
        c = c if abs(c) > _TINY else _TINY
        f *= c * d
        if abs(c * d - 1) <= 2 * _EPS:
            return f
    raise ArithmeticError(f"incomplete beta fraction at a={a!r}, b={b!r}, x={x!r} did not "
                          "converge")  # pragma: no cover


def _log_gamma_half_ratio(a: float) -> float:
    r""":math:`\ln\Gamma(a + \frac12) - \ln\Gamma(a)` for a > 0.

    Below 20, :math:`\Gamma(a + 1) = a\Gamma(a)` raises a:
    :math:`\ln\frac{\Gamma(a + \frac12)}{\Gamma(a)} = \ln\frac{\Gamma(a + n + \frac12)}
    {\Gamma(a + n)} - \sum_{k<n} \ln(1 + \frac{1}{2(a + k)})`; there Stirling's series
    gives :math:`\frac12 \ln a + a \ln(1 + \frac1{2a}) - \frac12 + S(a + \frac12) - S(a)`.

    Examples
    --------
    >>> round(_log_gamma_half_ratio(0.5), 12) == round(-0.5 * math.log(math.pi), 12)
    True
    """
    shift = 0.0
    while a < _STIRLING_FROM:
        shift += math.log1p(0.5 / a)
        a += 1.0
    series = sum(c * ((a + 0.5) ** (1 - 2 * k) - a ** (1 - 2 * k))
                 for k, c in enumerate(_STIRLING, start=1))
    return 0.5 * math.log(a) + (a * math.log1p(0.5 / a) - 0.5) + series - shift
