"""simtrial.quantiles (plain-Python normal and t quantiles): scipy, mpmath and closed forms."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from simtrial.quantiles import normal_quantile, t_quantile

# p = P(T <= t) at exact double t < 0, 1 <= df <= 1e7, p >= 1e-306, from mpmath at 60 digits:
# tests/reference/make_t_cdf_reference.py (also tests/test_tdist.py's reference)
T_CDF_REFERENCE = Path(__file__).parent / "reference" / "t_cdf_mpmath.json"


def test_t_quantile_matches_scipy_stdtrit_for_df_1_to_1000():
    # Every integer df up to 1000 and tails from 1e-10 to 0.49. Nearer 0.5, stdtrit (Boost)
    # is off by up to 4e-4 relative (df = 4, p = 0.4999999: mpmath), so the centre is checked
    # against mpmath below.
    p = np.concatenate([np.geomspace(1e-10, 0.49, 30), [0.025, 0.05, 0.1, 0.25, 0.4]])
    df = np.arange(1, 1001)
    expected = special.stdtrit(df[:, None], p[None, :])
    got = np.array([[t_quantile(float(q), int(d)) for q in p] for d in df])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=0)


@pytest.mark.parametrize("df", [1.5, 2.5, 3.7, 12.5, 1000.5, 2e3, 12345.6, 1e5, 1e6, 1e7])
def test_t_quantile_matches_scipy_for_real_and_large_df(df):
    # Non-integer df (Hill's start is not exact), and df >= 1000 where Fisher's expansion is
    # used if z^4 <= df / 20 and the iteration otherwise.
    p = np.geomspace(1e-10, 0.49, 40)
    got = np.array([t_quantile(float(q), df) for q in p])
    np.testing.assert_allclose(got, special.stdtrit(df, p), rtol=1e-10, atol=0)


def test_t_quantile_inverts_mpmath_distribution_function():
    # The inverse of the mpmath values: t back from p, for t from -1e-8 (p within 4e-9 of
    # 1/2) to -1e200, df from 1 to 1e7, p down to 1e-306. The rounding of p to a double moves
    # t by up to ulp(p) / 2 / f(t) (f the density); beyond that, t is within 1e-13.
    values = json.loads(T_CDF_REFERENCE.read_text())["values"]
    checked = 0
    for v in values:
        t, df, p = v["t"], v["df"], v["p"]
        if p >= 0.5:  # t = -1e-8 with df = 1e7: p rounds to 1/2, t_quantile gives 0
            continue
        a = df / 2
        log_density = (math.lgamma(a + 0.5) - math.lgamma(a) - 0.5 * math.log(math.pi * df)
                       - (a + 0.5) * (2 * math.log(-t) - math.log(df) + math.log1p(df / t / t)))
        rounding = math.exp(min(math.log(math.ulp(p) / 2) - log_density, 700.0))
        assert t_quantile(p, df) == pytest.approx(t, rel=1e-13, abs=rounding), (t, df, p)
        checked += 1
    assert checked > 500


@pytest.mark.parametrize("p", [1e-300, 1e-10, 0.001, 0.025, 0.3, 0.5 - 1e-12, 0.5 - 2**-54])
def test_t_quantile_cauchy_and_two_df_closed_forms(p):
    # df = 1: -cot(pi p) = tan(pi (p - 1/2)); df = 2: (2p - 1) / sqrt(2 p (1 - p)). Each is
    # written where its argument is exact (p - 0.5 for p >= 1/4).
    cauchy = -1 / math.tan(math.pi * p) if p < 0.25 else math.tan(math.pi * (p - 0.5))
    assert t_quantile(p, 1) == pytest.approx(cauchy, rel=1e-14)
    assert t_quantile(p, 2) == pytest.approx(2 * (p - 0.5) / math.sqrt(2 * p * (1 - p)),
                                             rel=1e-14)


def test_t_quantile_r_values():
    # R, options(digits = 15): qt(0.975, 98), qt(0.975, 76), qt(0.95, 8), qt(0.995, 28),
    # qt(1e-10, 3)
    for p, df, expected in [(0.975, 98, 1.98446745450848), (0.975, 76, 1.99167260964466),
                            (0.95, 8, 1.85954803753090), (0.995, 28, 2.76326245546144),
                            (1e-10, 3, -2225.76928468309)]:
        assert t_quantile(p, df) == pytest.approx(expected, rel=1e-13)


def test_t_quantile_centre_and_symmetry():
    assert t_quantile(0.5, 1) == t_quantile(0.5, 76.5) == t_quantile(0.5, 1e7) == 0.0
    for df in (1, 3, 98, 5000):
        for q in (1 - 1e-10, 0.975, 0.7, 0.5 + 1e-9):  # 1 - q is exact
            assert t_quantile(q, df) == -t_quantile(1 - q, df)


@given(p=st.floats(1e-300, 0.5, exclude_max=True), df=st.floats(1.0, 1e7))
def test_t_quantile_is_negative_below_one_half_and_lies_outside_the_normal(p, df):
    # The t distribution has heavier tails than the normal: its quantile is further out.
    t = t_quantile(p, df)
    assert t < 0
    assert t <= normal_quantile(p) * (1 - 1e-14)


@given(p=st.floats(1e-12, 0.49), df=st.integers(1, 10**6))
def test_t_quantile_moves_towards_the_normal_as_df_grows(p, df):
    assert t_quantile(p, df) <= t_quantile(p, df + 1) * (1 - 1e-14)


@pytest.mark.parametrize(("p", "df"), [(0.0, 5), (1.0, 5), (-0.1, 5), (math.nan, 5),
                                       (0.3, 0.5), (0.3, math.nan), (0.3, -2)])
def test_t_quantile_rejects_what_it_does_not_cover(p, df):
    with pytest.raises(ValueError, match="`p`|`df`"):
        t_quantile(p, df)


def test_normal_quantile_matches_scipy_ndtri():
    # statistics.NormalDist (AS 241) against scipy's Cephes ndtri: a few units in the last place
    p = np.concatenate([np.geomspace(1e-300, 0.5, 400), 1 - np.geomspace(1e-16, 0.5, 200)])
    got = np.array([normal_quantile(float(q)) for q in p])
    np.testing.assert_allclose(got, special.ndtri(p), rtol=4e-15, atol=0)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.5])
def test_normal_quantile_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError):
        normal_quantile(p)
