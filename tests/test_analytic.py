"""Closed-form power against R pwr and rpact (tests/reference/r_reference.json)."""

import math

import numpy as np
import pytest

from simtrial.analytic import endpoint_power, power_ttest, power_two_proportions, power_welch
from simtrial.scenario import load_scenario
from simtrial.scenario.keys import with_test


@pytest.mark.parametrize(("n_t", "n_c", "d", "rid"), [
    (65, 35, 0.4, "pwr_t2n_power_n65_35_d04"),
    (260, 140, 0.4, "pwr_t2n_power_n260_140_d04"),
    (260, 140, 0.2, "pwr_t2n_power_n260_140_d02"),
    (100, 100, 0.5, "pwr_t2n_power_n100_100_d05"),
    (30, 20, 0.8, "pwr_t2n_power_n30_20_d08"),
])
def test_ttest_power_matches_pwr(r_ref, n_t, n_c, d, rid):
    # R: pwr::pwr.t2n.test(n1, n2, d, sig.level = 0.05)$power (exact noncentral t)
    assert power_ttest(d, 1.0, n_t, n_c, 0.05) == pytest.approx(r_ref[rid]["value"], rel=1e-9)


def test_one_sided_ttest_power_matches_pwr(r_ref):
    # R: pwr::pwr.t2n.test(260, 140, d = 0.3, alternative = "greater")$power
    ref = r_ref["pwr_t2n_power_n260_140_d03_greater"]["value"]
    assert power_ttest(0.3, 1.0, 260, 140, 0.05, "one-sided") == pytest.approx(ref, rel=1e-9)


def test_ttest_power_matches_rpact_fixed_design(r_ref):
    # rpact getPowerMeans(kMax = 1, alpha = 0.05, sided = 2, normalApproximation = FALSE,
    # alternative = 10, stDev = 25, maxNumberOfSubjects = 400, allocationRatioPlanned = 65/35)
    ref = r_ref["rpact_power_means_t_twosided_alt10_sd25_n400_alloc65_35"]["value"]
    assert power_ttest(10, 25, 260, 140, 0.05) == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize(("p_t", "p_c", "n_t", "n_c", "rid"), [
    (0.18, 0.30, 260, 140, "rpact_power_rates_twosided_p018_p030_n400_alloc65_35"),
    (0.4694, 0.3448, 260, 140, "rpact_power_rates_twosided_p04694_p03448_n400_alloc65_35"),
    (0.25, 0.40, 50, 50, "rpact_power_rates_twosided_p025_p040_n100_alloc1"),
    (0.25, 0.40, 100, 100, "rpact_power_rates_twosided_p025_p040_n200_alloc1"),
])
def test_two_proportion_power_matches_rpact(r_ref, p_t, p_c, n_t, n_c, rid):
    # rpact getPowerRates(kMax = 1, alpha = 0.05, sided = 2, pi1, pi2, maxNumberOfSubjects,
    # allocationRatioPlanned): pooled variance under H0, unpooled under H1, both tails. rpact
    # approximates the far tail (tests/reference/README.md), within 4e-5 of the exact far
    # tail used here, so the agreement is to 5e-5 absolute.
    ours = power_two_proportions(p_t, p_c, n_t, n_c, 0.05, sign=1)
    assert ours == pytest.approx(r_ref[rid]["value"], abs=5e-5)


def test_two_proportion_main_tail_matches_power_prop_test(r_ref):
    # R: power.prop.test(n = 100, p1 = 0.25, p2 = 0.40)$power (main tail only, equal n)
    ref = r_ref["stats_power_prop_test_n100_per_group_p025_p040"]["value"]
    one_tail = power_two_proportions(0.25, 0.40, 100, 100, 0.025, "one-sided", sign=-1)
    assert one_tail == pytest.approx(ref, rel=1e-9)


def test_welch_approximation_equals_t_power_for_equal_groups_and_variances():
    # With n_t = n_c and equal SDs the Satterthwaite df is n_t + n_c - 2: same as pooled.
    assert power_welch(0.5, 1, 1, 50, 50, 0.05) == pytest.approx(power_ttest(0.5, 1, 50, 50, 0.05))


def test_endpoint_power_uses_expected_assessed_numbers():
    sc = load_scenario("msc-covid19")
    # walk_m is analysed by ANCOVA in the built-in; its unadjusted t test is checked as before
    ep = with_test(sc, "walk_m", "ttest").endpoint("walk_m")
    m_t, m_c = 260 * (1 - ep.dropout[0]), 140 * (1 - ep.dropout[1])
    assert endpoint_power(ep, 260, 140, 0.05, "two-sided") == pytest.approx(
        power_ttest(27.0, 69.36, m_t, m_c, 0.05))
    assert endpoint_power(ep, 1, 1, 0.05, "two-sided") is None
    # ANCOVA at the same assessed numbers: residual sd 69.36 sqrt(1 - 0.5^2), one df fewer
    ancova = sc.endpoint("walk_m")
    assert endpoint_power(ancova, 260, 140, 0.05, "two-sided") == pytest.approx(
        power_ttest(27.0, 69.36 * math.sqrt(1 - 0.5 ** 2), m_t, m_c, 0.05, covariates=1))


def test_far_tail_of_the_noncentral_t_does_not_give_nan():
    # scipy.stats.nct.cdf(-1.97, 398, 38) is nan; the power there is 1 to double precision.
    assert power_ttest(38 * math.sqrt(1 / 200 + 1 / 200), 1.0, 200, 200, 0.05) == 1.0


def test_noncentral_t_power_is_scipy_stats_nct_bit_for_bit():
    # analytic.py calls scipy.special (no scipy.stats import on the command line's path); the
    # numbers must stay those of scipy.stats's t and nct, far tails (nan) included.
    from scipy import stats

    from simtrial.analytic import _noncentral_t_power

    for df in (3.0, 29.5, 398.0, 2500.0):
        for ncp in (-1.0, 0.0, 0.7, 2.8, 6.0, 38.0):
            for alpha in (0.05, 0.01):
                crit = stats.t.ppf(1 - alpha / 2, df)
                two = np.array([stats.nct.sf(crit, df, ncp), stats.nct.cdf(-crit, df, ncp)])
                one = stats.nct.sf(stats.t.ppf(1 - alpha, df), df, ncp)
                assert _noncentral_t_power(ncp, df, alpha, "two-sided") == float(
                    np.nan_to_num(two).sum())
                assert _noncentral_t_power(ncp, df, alpha, "one-sided") == float(one)
