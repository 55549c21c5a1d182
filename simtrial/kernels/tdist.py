r"""Student's t distribution function, for the p-values of the t and Welch tests.

For :math:`T \sim t_\nu` and :math:`t < 0`, :math:`P(T \le t) = \tfrac12 I_x(a, \tfrac12)` with
:math:`a = \nu / 2`, :math:`x = \nu / (\nu + t^2)` and :math:`I_x` the regularized incomplete
beta function (Abramowitz and Stegun section 26.7; R's ``pt`` and Boost's ``students_t``, which
``scipy.special.stdtr`` calls, use the same relation); :math:`P(T \le t) = 1 - P(T \le -t)`
for :math:`t > 0`. :math:`I_x(a, \tfrac12)` is computed the way ACM TOMS 708 computes
:math:`I_x(a, b)` for :math:`b \le 1` (DiDonato and Morris 1992, the routines ``bup`` and
``bgrat``; R's ``src/nmath/toms708.c``), specialised to :math:`b = \tfrac12`:

1. **Shift** (``bup``): :math:`I_x(a, b) = I_x(a + n, b) + \sum_{i<n} x^{a+i} (1-x)^b /
   ((a+i) B(a+i, b))` (the recurrence of DLMF section 8.17(iv) applied n times). Its terms
   are positive, so the sum keeps its relative accuracy. For :math:`b = \tfrac12` the i-th
   term is :math:`x^{a+i} \sqrt{(1-x)/\pi}\, R_i` with
   :math:`R_i = \Gamma(a+i+\frac12) / \Gamma(a+i+1) = R_{i+1} (a+i+1) / (a+i+\frac12)`,
   taken downward from the top term, so no ``lgamma`` is needed.
2. **Expansion for large a** (``bgrat``; DiDonato and Morris 1992, section 9): with
   :math:`T = a + (b - 1)/2` and :math:`z = -T \ln x`,
   :math:`I_x(a, b) = \frac{\Gamma(a+b)}{\Gamma(a) T^b} \sum_{n \ge 0} d_n J_n`, where
   :math:`d_0 = 1`, the other :math:`d_n` depend on b only (:data:`BGRAT_COEFFICIENTS`),
   :math:`J_0 = Q(b, z)`, which for :math:`b = \tfrac12` is
   :math:`\operatorname{erfc}(\sqrt z)` (DLMF 8.4.6), and the :math:`J_n` follow a two-term
   recurrence. For :math:`a \ge 10` and :math:`x \ge 1/4` it reaches double precision in at
   most 17 terms; for :math:`\nu` near 400 and the t values of a p-value, in 3 to 5.

For :math:`x \ge 1/4` (:math:`t^2 \le 3\nu`) the shift lifts a to at least 10 and the
expansion gives the rest. For :math:`x < 1/4` (the far tail) the shifted sum alone is taken far
enough that what it leaves out, at most :math:`x^n/(1-x)` of it, is below double precision.
:math:`\Gamma(a+\frac12)/(\Gamma(a)\sqrt{a-\frac14})` is a power series in 1/a derived from
Stirling's (:data:`GAMMA_RATIO_COEFFICIENTS`); :math:`\operatorname{erfc}(\sqrt z)` is
:math:`e^{-z} \operatorname{erfcx}(\sqrt z)` with Cody's rational erfcx, so the rounding of
:math:`\sqrt z` costs nothing where :math:`\operatorname{erfc}` itself would lose 2z ulps, and
:math:`e^{-z}` serves the :math:`J_n` too.

Accuracy (tests/test_tdist.py, against mpmath at 60 digits): relative error at most 3.2e-15
for :math:`p \ge 10^{-10}`, 1.4e-14 for :math:`p \ge 10^{-50}`, 1.2e-13 down to
:math:`10^{-306}`, all for :math:`1 \le \nu \le 10^7`. What remains is the conditioning of the
problem: the rounding of :math:`\ln x` is multiplied by :math:`z \approx -\ln p`, as in
``scipy.special.stdtr``. Infinite degrees of freedom give the normal distribution; so do
:math:`\nu \ge 10^{30}`, where the difference, of relative order :math:`t^4 / \nu` (Fisher's
expansion), is below :math:`10^{-24}` for every t whose probability does not underflow.
"""

import math
from fractions import Fraction
from math import comb

import numpy as np

from simtrial.kernels._jit import kernel

__all__ = ["BGRAT_COEFFICIENTS", "GAMMA_RATIO_COEFFICIENTS", "t_cdf", "t_cdf_value"]

#: Smallest a at which the asymptotic expansion and the gamma-ratio series are used.
SHIFTED_A = 10.0
#: x below which the shifted sum alone is used (the far tail, t^2 > 3 nu).
TAIL_X = 0.25
#: Relative size of the terms left out of either series (below the double rounding, 1.1e-16).
TOLERANCE = 1e-17
#: Degrees of freedom from which the normal distribution is used.
NORMAL_DF = 1e30
_SQRT_PI = math.sqrt(math.pi)

# W. J. Cody (1969), Rational Chebyshev approximations for the error function, Math. Comp. 23,
# 631-637, as in his CALERF (netlib specfun/erf, 1990), lowest power first. For
# 0.46875 <= y <= 4, erfcx(y) = P(y) / Q(y); for y > 4, with s = 1/y^2,
# erfcx(y) = (1/sqrt(pi) - s P(s) / Q(s)) / y. Relative error below 1e-17 in exact arithmetic;
# all coefficients are positive, so their evaluation rounds by a few ulps at most.
_CODY_SPLIT = 0.46875
_CODY_MIDDLE_P = np.array([
    1.23033935479799725272e3, 2.05107837782607146532e3, 1.71204761263407058314e3,
    8.81952221241769090411e2, 2.98635138197400131132e2, 6.61191906371416294775e1,
    8.88314979438837594118e0, 5.64188496988670089180e-1, 2.15311535474403846343e-8])
_CODY_MIDDLE_Q = np.array([
    1.23033935480374942043e3, 3.43936767414372163696e3, 4.36261909014324715820e3,
    3.29079923573345962678e3, 1.62138957456669018874e3, 5.37181101862009857509e2,
    1.17693950891312499305e2, 1.57449261107098347253e1, 1.0])
_CODY_LARGE_P = np.array([
    6.58749161529837803e-4, 1.60837851487422766e-2, 1.25781726111229246e-1,
    3.60344899949804439e-1, 3.05326634961232344e-1, 1.63153871373020978e-2])
_CODY_LARGE_Q = np.array([
    2.33520497626869185e-3, 6.05183413124413191e-2, 5.27905102951428412e-1,
    1.87295284992346047e0, 2.56852019228982242e0, 1.0])


def _bgrat_coefficients(b: Fraction, count: int) -> np.ndarray:
    r"""The coefficients :math:`d_1..d_{count}` of TOMS 708's ``bgrat`` for parameter b.

    ``bgrat`` builds them as it goes, from :math:`c_n = 1/(2n+1)!`:
    :math:`d_n = (b-1) c_n + \frac1n \sum_{i=1}^{n-1} (i b - n) c_i d_{n-i}`; here in exact
    rational arithmetic, once.
    """
    c: list[Fraction] = []
    d: list[Fraction] = []
    factorial = Fraction(1)
    for n in range(1, count + 1):
        factorial *= (2 * n) * (2 * n + 1)
        c.append(1 / factorial)
        s = sum(((i * b - n) * c[i - 1] * d[n - i - 1] for i in range(1, n)), Fraction(0))
        d.append((b - 1) * c[n - 1] + s / n)
    return np.array([float(v) for v in d])


def _bernoulli(count: int) -> list[Fraction]:
    """Bernoulli numbers B_0..B_count (DLMF 24.5.3: sum_k C(m+1, k) B_k = 0)."""
    numbers = [Fraction(1)]
    for m in range(1, count + 1):
        numbers.append(-sum((comb(m + 1, k) * numbers[k] for k in range(m)), Fraction(0))
                       / (m + 1))
    return numbers


def _gamma_ratio_coefficients(degree: int) -> np.ndarray:
    r"""Coefficients f_0..f_degree of the gamma ratio's series in 1/a, exactly.

    The series is :math:`\Gamma(a+\frac12) / (\Gamma(a) \sqrt{a-\frac14}) = \sum_k f_k a^{-k}`.
    Stirling's series (DLMF 5.11.1), :math:`\ln\Gamma(x) = (x-\frac12)\ln x - x +
    \frac12\ln 2\pi + \sum_m \frac{B_{2m}}{2m(2m-1)} x^{1-2m}`, gives with u = 1/a
    :math:`\ln(\cdot) = -\frac12 \ln(1 - \frac u4) + (\frac1u \ln(1 + \frac u2) - \frac12)
    + \sum_m \frac{B_{2m}}{2m(2m-1)} u^{2m-1} ((1 + \frac u2)^{1-2m} - 1)`, a power series
    in u; its exponential is the series wanted (:math:`f_0 = 1`,
    :math:`f_k = \frac1k \sum_{j \le k} j e_j f_{k-j}`).
    """
    e = [Fraction(0)] * (degree + 1)
    half, quarter = Fraction(1, 2), Fraction(1, 4)
    for k in range(1, degree + 1):
        e[k] += half * quarter**k / k + (-1) ** k * half ** (k + 1) / (k + 1)
    bernoulli = _bernoulli(degree + 1)
    for m in range(1, (degree + 1) // 2 + 1):
        power = 2 * m - 1
        coefficient = bernoulli[2 * m] / (2 * m * power)
        for j in range(1, degree - power + 1):
            e[power + j] += coefficient * (-1) ** j * comb(power + j - 1, j) * half**j
    f = [Fraction(1)] + [Fraction(0)] * degree
    for k in range(1, degree + 1):
        f[k] = sum((j * e[j] * f[k - j] for j in range(1, k + 1)), Fraction(0)) / k
    return np.array([float(v) for v in f])


#: d_1..d_30 of the expansion for b = 1/2.
BGRAT_COEFFICIENTS = _bgrat_coefficients(Fraction(1, 2), 30)
#: f_0..f_19 of the gamma ratio (an even count); the first left out, f_20 / 10^20, is 3e-23.
GAMMA_RATIO_COEFFICIENTS = _gamma_ratio_coefficients(19)


@kernel
def t_cdf(t, df, out):
    """Fill ``out[i] = P(T <= t[i])`` for T with ``df[i]`` degrees of freedom.

    ``t``, ``df`` and ``out`` are float64 arrays of one length. ``df`` must be positive (it
    may be fractional, as Welch's is, or infinite); otherwise, or where t is nan, the result
    is nan.
    """
    for i in range(t.shape[0]):
        out[i] = t_cdf_value(t[i], df[i])


@kernel
def t_cdf_value(t, df):
    """P(T <= t) for T with ``df`` degrees of freedom (see :func:`t_cdf`).

    Examples
    --------
    >>> round(t_cdf_value(-2.0, 10.0), 12)  # mpmath: 0.0366940173853702
    0.036694017385
    >>> round(t_cdf_value(-2.5, 37.3), 12)  # fractional df, as Welch's; mpmath: 0.00847063489927
    0.008470634899
    """
    if math.isnan(t) or not df > 0:
        return math.nan
    if t == 0:
        return 0.5
    lower = _lower_tail(abs(t), df)
    return lower if t < 0 else 1.0 - lower


@kernel(inline=True)
def _lower_tail(abs_t, df):
    """P(T <= -abs_t) = I_x(df/2, 1/2) / 2, for abs_t > 0."""
    if df >= NORMAL_DF:
        return 0.5 * math.erfc(abs_t / math.sqrt(2.0))
    a = 0.5 * df
    x, log_x, y = _beta_argument(abs_t, df)
    n = max(0, math.ceil(SHIFTED_A - a))
    if x < TAIL_X:
        n = max(n, math.ceil(math.log(TOLERANCE) / log_x))
    top = a + n
    ratio = gamma_half_ratio(top)
    total = 0.0 if x < TAIL_X else ratio * _bgrat_sum(top, log_x)
    if n > 0:
        total += _shift_sum(a, n, x, log_x, y, ratio * math.sqrt(top - 0.25) / top)
    return 0.5 * total


@kernel(inline=True)
def _beta_argument(abs_t, df):
    """(x, ln x, 1 - x) for x = df / (df + t^2), without overflow for any t."""
    if abs_t <= 1e150:
        u = abs_t * abs_t / df
        return 1.0 / (1.0 + u), -math.log1p(u), u / (1.0 + u)
    s = math.sqrt(df) / abs_t  # t^2 / df = 1 / s^2 would overflow
    s2 = s * s
    return s2 / (1.0 + s2), 2.0 * math.log(s) - math.log1p(s2), 1.0 / (1.0 + s2)


@kernel(inline=True)
def _shift_sum(a, n, x, log_x, y, ratio):
    """sum_{i<n} x^(a+i) (1-x)^(1/2) / ((a+i) B(a+i, 1/2)): TOMS 708's ``bup`` for b = 1/2.

    ``ratio`` is R_n = Gamma(a+n+1/2) / Gamma(a+n+1); the sum runs down from it (Horner).
    """
    total = 0.0
    for i in range(n - 1, -1, -1):
        ratio *= (a + i + 1.0) / (a + i + 0.5)  # R_i from R_(i+1)
        total = total * x + ratio
    # pow(x, a) rounds once; exp(a ln x) would carry the rounding of ln x times a.
    x_a = math.pow(x, a) if x >= 1e-300 else math.exp(a * log_x)
    return x_a * math.sqrt(y) / _SQRT_PI * total


@kernel(inline=True)
def _bgrat_sum(a, log_x):
    """sum_n d_n J_n of TOMS 708's ``bgrat`` for b = 1/2 (module notes); a >= SHIFTED_A."""
    big_t = a - 0.25
    z = -big_t * log_x
    root = math.sqrt(z)
    e_z = math.exp(-z)
    # J_0 = Q(1/2, z) = erfc(sqrt z) = exp(-z) erfcx(sqrt z): the rounding of sqrt z then
    # changes erfcx by less than an ulp, where erfc(root) would lose 2z ulps.
    j = math.erfc(root) if root < _CODY_SPLIT else e_z * _erfcx(root)
    power = root / _SQRT_PI * e_z  # z^b e^-z / Gamma(b), times (ln x / 2)^2n
    v = 0.25 / (big_t * big_t)
    t2 = 0.25 * log_x * log_x
    total = j
    for n in range(BGRAT_COEFFICIENTS.shape[0]):
        b_2n = 0.5 + 2.0 * n
        j = (b_2n * (b_2n + 1.0) * j + (z + b_2n + 1.0) * power) * v
        power *= t2
        term = BGRAT_COEFFICIENTS[n] * j
        total += term
        if abs(term) <= TOLERANCE * total:
            break
    return total


@kernel(inline=True)
def _erfcx(y):
    """exp(y^2) erfc(y) for y >= 0.46875, to a few ulps (Cody 1969; module notes)."""
    if y <= 4.0:
        numerator = 0.0
        denominator = 0.0
        for k in range(_CODY_MIDDLE_P.shape[0] - 1, -1, -1):
            numerator = numerator * y + _CODY_MIDDLE_P[k]
            denominator = denominator * y + _CODY_MIDDLE_Q[k]
        return numerator / denominator
    s = 1.0 / (y * y)
    numerator = 0.0
    denominator = 0.0
    for k in range(_CODY_LARGE_P.shape[0] - 1, -1, -1):
        numerator = numerator * s + _CODY_LARGE_P[k]
        denominator = denominator * s + _CODY_LARGE_Q[k]
    return (1.0 / _SQRT_PI - s * numerator / denominator) / y


@kernel(inline=True)
def gamma_half_ratio(a):
    """Gamma(a + 1/2) / (Gamma(a) sqrt(a - 1/4)) for a >= SHIFTED_A, to a few ulps.

    The series :data:`GAMMA_RATIO_COEFFICIENTS` in 1/a; no large terms cancel, unlike
    ``lgamma(a + 1/2) - lgamma(a)``, whose absolute error grows like a ln(a) ulps.
    """
    u = 1.0 / a
    u2 = u * u
    even = 0.0
    odd = 0.0
    for k in range(GAMMA_RATIO_COEFFICIENTS.shape[0] // 2 - 1, -1, -1):
        # two independent Horner chains, in u^2, run in parallel on the CPU
        even = even * u2 + GAMMA_RATIO_COEFFICIENTS[2 * k]
        odd = odd * u2 + GAMMA_RATIO_COEFFICIENTS[2 * k + 1]
    return even + u * odd
