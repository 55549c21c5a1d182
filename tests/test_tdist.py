"""Student's t distribution function (simtrial.kernels.tdist): mpmath, closed forms and scipy."""

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from simtrial.kernels.tdist import (
    BGRAT_COEFFICIENTS,
    NORMAL_DF,
    SHIFTED_A,
    TAIL_X,
    gamma_half_ratio,
    t_cdf,
    t_cdf_value,
)

REFERENCE = Path(__file__).parent / "reference" / "t_cdf_mpmath.json"


def cdf(t, df):
    t, df = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(df, dtype=float))
    out = np.empty(t.size)
    t_cdf(np.ascontiguousarray(t).ravel(), np.ascontiguousarray(df).ravel(), out)
    return out


@pytest.fixture(scope="module")
def mpmath_reference():
    # p = P(T <= t), t < 0, 1 <= df <= 1e7, p >= 1e-306: made by
    # tests/reference/make_t_cdf_reference.py (mpmath betainc at 60 digits, checked by quadrature)
    values = json.loads(REFERENCE.read_text())["values"]
    return tuple(np.array([v[key] for v in values], dtype=float) for key in ("t", "df", "p"))


@pytest.mark.parametrize(("smallest_p", "bound"), [(1e-10, 5e-15), (1e-50, 3e-14), (0, 2.5e-13)])
def test_lower_tail_matches_mpmath(mpmath_reference, smallest_p, bound):
    # The bounds are about twice the largest errors seen: 3.2e-15, 1.4e-14, 1.2e-13 (at
    # p = 7e-243, df = 1000, where scipy.special.stdtr is off by 6.5e-15; elsewhere in the far
    # tail scipy errs by as much, up to 8e-14). The brief's limit is 1e-12.
    t, df, p = mpmath_reference
    keep = p >= smallest_p
    error = np.abs(cdf(t[keep], df[keep]) - p[keep]) / p[keep]
    assert error.max() <= bound


def test_upper_tail_is_the_complement(mpmath_reference):
    t, df, p = mpmath_reference
    np.testing.assert_allclose(cdf(-t, df), 1 - p, rtol=1e-15, atol=0)


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e300, 1e300, allow_subnormal=False))
def test_one_degree_of_freedom_is_cauchy(t):
    # P(T <= t) = 1/2 + atan(t)/pi = atan2(1, -t)/pi for t < 0, without cancellation.
    tail = math.atan2(1.0, abs(t)) / math.pi
    want = tail if t <= 0 else 1.0 - tail
    # largest seen: 1.1e-15 for |t| < 1e150; 5.7e-14 beyond, where ln x, not x, is at hand
    assert t_cdf_value(t, 1.0) == pytest.approx(want, rel=1e-13)


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e150, 1e150, allow_subnormal=False))
def test_two_degrees_of_freedom_closed_form(t):
    # P(T <= t) = (1 + t / sqrt(2 + t^2)) / 2; for t < 0 that is 1 / (h (h + |t|)),
    # h = sqrt(2 + t^2), without cancellation.
    h = math.hypot(math.sqrt(2.0), t)
    tail = 1.0 / (h * (h + abs(t)))
    want = tail if t <= 0 else 1.0 - tail
    assert t_cdf_value(t, 2.0) == pytest.approx(want, rel=1e-14)


def test_matches_scipy_on_a_dense_grid():
    # scipy.special.stdtr (Boost's students_t) on 49,000 points; df = 1 is left out: scipy
    # 1.17's stdtr(1, t) is off by up to 2.4e-9 near t = 0 (scipy issue 25667), and the closed
    # form covers it above.
    df = np.concatenate([np.geomspace(1.01, 1e7, 120), np.arange(2.0, 41.0),
                         [1.5, 2.5, 19.999, 20.0, 20.001]])
    t = np.concatenate([-np.geomspace(1e-6, 1e3, 150), np.geomspace(1e-6, 1e3, 150)])
    df, t = (a.ravel() for a in np.meshgrid(df, t))
    ours, ref = cdf(t, df), special.stdtr(df, t)
    assert np.array_equal(ours > 1e-300, ref > 1e-300)
    keep = ref > 1e-300
    error = np.abs(ours[keep] - ref[keep]) / ref[keep]
    assert error.max() <= 1e-12  # largest seen: 2.9e-13 at p = 6e-297
    assert error[ref[keep] >= 1e-10].max() <= 1.5e-14  # largest seen: 6.7e-15


@settings(max_examples=300, deadline=None)
@given(st.floats(1.0, 1e7, exclude_min=True), st.floats(-1e3, 1e3))
def test_matches_scipy_anywhere(df, t):
    assert t_cdf_value(t, df) == pytest.approx(special.stdtr(df, t), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("df", [1.0, 3.3, 2 * SHIFTED_A - 0.01, 2 * SHIFTED_A, 57.0, 398.0, 1e7])
def test_continuous_across_the_far_tail_switch(df):
    # x = TAIL_X, i.e. t^2 = df (1 - TAIL_X) / TAIL_X: the far tail uses the shifted sum alone.
    edge = -math.sqrt(df * (1 - TAIL_X) / TAIL_X)
    inside, outside = t_cdf_value(np.nextafter(edge, 0), df), t_cdf_value(edge * (1 + 1e-15), df)
    assert outside <= inside
    assert outside == pytest.approx(inside, rel=1e-13)


@pytest.mark.parametrize("t", [-0.3, -2.0, -7.0, -40.0])
def test_continuous_across_the_shift_switch(t):
    # df = 2 SHIFTED_A: below it the shift lifts a to at least SHIFTED_A, from it on no shift.
    below = t_cdf_value(t, np.nextafter(2 * SHIFTED_A, 0))
    assert below == pytest.approx(t_cdf_value(t, 2 * SHIFTED_A), rel=1e-14)


@pytest.mark.parametrize("df", [1.0, 3.3, 19.99, 20.0, 20.01, 398.0, 1e7])
def test_increasing_in_t(df):
    t = np.linspace(-60, 60, 40_001)
    p = cdf(t, df)
    assert (np.diff(p) >= -1e-15 * p[1:]).all()  # rounding only


def test_special_values():
    assert t_cdf_value(0.0, 7.0) == 0.5
    assert t_cdf_value(-np.inf, 7.0) == 0.0
    assert t_cdf_value(np.inf, 7.0) == 1.0
    for t, df in [(np.nan, 7.0), (1.0, np.nan), (1.0, 0.0), (1.0, -3.0)]:
        assert math.isnan(t_cdf_value(t, df))


@pytest.mark.parametrize("df", [np.inf, NORMAL_DF])
def test_huge_degrees_of_freedom_are_normal(df):
    # Phi(-37) = 6e-300; further out Phi is subnormal. Both erfc(|t| / sqrt 2) / 2, here and in
    # ndtr, carry the rounding of |t| / sqrt 2 times t^2: against mpmath, 1.8e-13 and 2.1e-13
    # at t = -37, 3e-15 and 4e-15 for t > -5.
    t = np.linspace(-37, 8, 1001)
    np.testing.assert_allclose(cdf(t, df), special.ndtr(t), rtol=5e-13, atol=0)
    np.testing.assert_allclose(cdf(t[t > -5], df), special.ndtr(t[t > -5]), rtol=1e-14, atol=0)


@pytest.mark.parametrize("df", [1e14, 1e20])
def test_large_degrees_of_freedom_follow_fisher_expansion(df):
    # F_df(t) = Phi(t) - phi(t) (t^3 + t) / (4 df) + O(t^8 / df^2) (Fisher 1925): the term
    # kept is up to 1e-11 relative here, the next below 1e-20. The double evaluation of this
    # reference errs by up to 1e-14 (ndtr at t = -8); against mpmath, the CDF is within 5e-15.
    t = np.linspace(-8, 8, 161)
    want = special.ndtr(t) - np.exp(-t**2 / 2) / math.sqrt(2 * math.pi) * (t**3 + t) / (4 * df)
    np.testing.assert_allclose(cdf(t, df), want, rtol=2e-14, atol=0)


@pytest.mark.parametrize("a", [10.0, 10.5, 13.7, 25.0, 60.0])
def test_gamma_ratio_matches_lgamma(a):
    # lgamma's absolute error, a few ulps of lgamma(60) = 180, bounds the comparison here
    want = math.exp(math.lgamma(a + 0.5) - math.lgamma(a)) / math.sqrt(a - 0.25)
    assert gamma_half_ratio(a) == pytest.approx(want, rel=1e-13)


def test_bgrat_coefficients_by_hand():
    # d_n = (b - 1) c_n + (1/n) sum_{i<n} (i b - n) c_i d_(n-i), c_n = 1/(2n+1)!, b = 1/2:
    # d_1 = -(1/2)(1/6) = -1/12; d_2 = -(1/2)/120 + (1/2)(-3/2)(1/6)(-1/12) = 1/160.
    assert BGRAT_COEFFICIENTS[0] == float(Fraction(-1, 12))
    assert BGRAT_COEFFICIENTS[1] == float(Fraction(1, 160))
