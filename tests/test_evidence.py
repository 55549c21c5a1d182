"""Tests for simtrial.evidence.

Grouped by how they validate: the EVIDENCE.md checks (published figures of the MSC-COVID-19
trial), reference numbers from the published methods or an independent implementation (each
says which), hypothesis properties, and input checks.
"""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simtrial.evidence import (
    DERIVATIONS,
    Derivation,
    derive,
    effect_from_p_value,
    mean_from_median_iqr,
    odds_ratio_ci,
    proportion,
    proportion_from_odds_ratio,
    proportion_from_risk_ratio,
    sd_from_ci,
    sd_from_iqr,
    se_from_ci,
    zero_event_upper_bound,
)
from simtrial.scenario import load_scenario

Z975 = 1.959963984540054  # R: qnorm(0.975)


# --- EVIDENCE.md checks -----------------------------------------------------------------------


def test_e3_six_minute_walk_sd():
    # E3: 27.00 m (95% CI 0.00 to 57.00), 65 MSC vs 35 placebo; EVIDENCE.md: "about 69 m".
    d = sd_from_ci(0.0, 57.0, 65, 35)
    assert d.value == pytest.approx(57.0 / (2 * Z975) / math.sqrt(1 / 65 + 1 / 35), rel=1e-12)
    assert d.value == pytest.approx(69.36, abs=0.005)
    assert round(d.value) == 69


def test_e13_sf36_sd():
    # E13: difference 12.86 (95% CI 1.44 to 24.28), 49 vs 29; EVIDENCE.md: "about 25 points".
    d = sd_from_ci(1.44, 24.28, 49, 29)
    assert d.value == pytest.approx(22.84 / (2 * Z975) / math.sqrt(1 / 49 + 1 / 29), rel=1e-12)
    assert d.value == pytest.approx(24.87, abs=0.005)
    assert round(d.value) == 25


def test_e11_zero_adverse_events_bound():
    # E11: no MSC-related AEs in 65 treated; EVIDENCE.md: "about 3/n" (0.046).
    d = zero_event_upper_bound(65)
    assert d.value == pytest.approx(1 - 0.05 ** (1 / 65), rel=1e-12)
    assert d.value == pytest.approx(0.04504, abs=5e-6)
    assert d.value == pytest.approx(3 / 65, rel=0.03)


def test_e12_proportions_match_reported_percentages():
    # E12 abstract: MSC 23/49 (46.94%) vs placebo 10/29 (34.48%).
    assert round(100 * proportion(23, 49).value, 2) == 46.94
    assert round(100 * proportion(10, 29).value, 2) == 34.48


def test_e6_proportion_matches_reported_percentage():
    # E6 abstract: MSC 10/56 (17.9%).
    assert round(100 * proportion(10, 56).value, 1) == 17.9


def test_e12_odds_ratio_and_woolf_interval_reproduced():
    # E12 abstract: OR 1.68 (95% CI 0.65 to 4.34); EVIDENCE.md: the unadjusted Woolf interval
    # on 23/49 vs 10/29 reproduces it exactly.
    d = odds_ratio_ci(23, 49, 10, 29)
    assert round(d.value, 2) == 1.68
    assert tuple(round(x, 2) for x in d.interval) == (0.65, 4.34)


def test_e12_odds_ratio_back_to_treatment_proportion():
    # The reported OR applied to the placebo proportion gives back 23/49 to 2 decimals.
    d = proportion_from_odds_ratio(10 / 29, 1.68)
    assert d.value == pytest.approx(23 / 49, abs=0.005)


def test_e3_ci_and_p_value_are_consistent():
    # E3 reports both a CI and P = 0.057: the difference P implies at the SD from the CI
    # should be close to the reported 27.00 m.
    sd = sd_from_ci(0.0, 57.0, 65, 35).value
    assert effect_from_p_value(0.057, 65, 35, sd=sd).value == pytest.approx(27.0, abs=1.0)


# --- the built-in scenario's provenance ---------------------------------------------------------


def test_builtin_primary_effect_is_an_assumption_not_a_derivation():
    # "marginally smaller" (2-year follow-up) gives no numbers: the MSC proportion 0.15 is a
    # reading of that word (p = 0.075), so it is assumed, with the reading as its reason; the
    # computation under that reading is kept and must still give the value written.
    prov = load_scenario("msc-covid19").provenance["endpoints.walk_lln.treatment.p"]
    assert prov.basis == "assumed"
    assert "marginally" in prov.source and "0.075" in prov.reason
    assert round(derive(**dict(prov.derivation)).value, 4) == 0.15


def test_builtin_sf36_placebo_level_is_an_assumption():
    # A month-36 value, most likely a median (67.0 - 50.0 != 12.86), used as a month-18 mean.
    prov = load_scenario("msc-covid19").provenance["endpoints.sf36_gh.control.mean"]
    assert prov.basis == "assumed"
    assert "month-36" in prov.reason and "median" in prov.reason and "month-18" in prov.reason


def test_builtin_dropout_says_it_comes_from_the_month_36_ct_counts():
    sc = load_scenario("msc-covid19")
    # every endpoint assessed at a follow-up visit; not the safety endpoint (no dropout) nor
    # the day-28 clinical status (assessed in hospital, an assumed 2%)
    for ep in (e for e in sc.endpoints if e.id not in ("msc_ae", "clin_status")):
        t = sc.provenance[f"endpoints.{ep.id}.dropout.treatment"]
        c = sc.provenance[f"endpoints.{ep.id}.dropout.control"]
        assert "23/49" in t.source and "49 of the 65" in t.source
        assert "10/29" in c.source and "29 of the 35" in c.source
        assert dict(t.derivation) == {"method": "proportion", "events": 16, "total": 65}
        assert dict(c.derivation) == {"method": "proportion", "events": 6, "total": 35}


def test_builtin_sd_quantiles_follow_the_handbook_rule():
    # SF-36 (49 and 29, both under 60, symmetric interval): t with 76 df, 24.47.
    # 6-MWD (65 and 35, asymmetric interval from a rank method): z, the larger SD, 69.36.
    sc = load_scenario("msc-covid19")
    for arm in ("treatment", "control"):
        sf36 = sc.provenance[f"endpoints.sf36_gh.{arm}.sd"]
        walk = sc.provenance[f"endpoints.walk_m.{arm}.sd"]
        assert sf36.derivation["quantile"] == "t" and walk.derivation["quantile"] == "z"
    assert sc.endpoint("sf36_gh").control["sd"] == sc.endpoint("sf36_gh").treatment["sd"] == 24.47
    assert sc.endpoint("walk_m").control["sd"] == sc.endpoint("walk_m").treatment["sd"] == 69.36
    lower, upper = 1.44, 24.28
    assert 12.86 - lower == pytest.approx(upper - 12.86)  # symmetric: a t or z interval
    assert 27.0 - 0.0 != pytest.approx(57.0 - 27.0)  # not symmetric


# --- reference numbers ------------------------------------------------------------------------


# Cochrane Handbook 6.5.2.3: for small groups 3.92 becomes 2 x the t quantile with
# N_E + N_C - 2 degrees of freedom. Reference SDs from R (options(digits = 15)):
#   57 / (2 * qt(0.975, 98)) / sqrt(1/65 + 1/35)     = 68.500159019027    (qt: 1.98446745450848)
#   22.84 / (2 * qt(0.975, 76)) / sqrt(1/49 + 1/29)  = 24.473601867576    (qt: 1.99167260964466)
#   2 / (2 * qt(0.95, 8)) / sqrt(1/5 + 1/5)          = 0.850281250159916  (90% interval, 8 df)
#   10 / (2 * qt(0.995, 28)) / sqrt(1/10 + 1/20)     = 4.67199359287867   (99% interval, 28 df)
T_QUANTILE_SDS = [
    ((0.0, 57.0, 65, 35, 0.95), 68.500159019027),
    ((1.44, 24.28, 49, 29, 0.95), 24.473601867576),
    ((-1.0, 1.0, 5, 5, 0.90), 0.850281250159916),
    ((0.0, 10.0, 10, 20, 0.99), 4.67199359287867),
]


@pytest.mark.parametrize(("args", "expected"), T_QUANTILE_SDS)
def test_sd_from_ci_t_quantile_matches_r(args, expected):
    lower, upper, n1, n2, level = args
    d = sd_from_ci(lower, upper, n1, n2, level=level, quantile="t")
    assert d.value == pytest.approx(expected, rel=1e-12)
    assert f"t quantile, {n1 + n2 - 2} df" in d.explanation


def test_sd_from_ci_t_is_about_1_percent_below_z_for_65_and_35():
    # EVIDENCE audit: E3 with 65/35 gives about 68.5 m with t instead of 69.4 m with z.
    # R: 57 / (2 * qnorm(0.975)) / sqrt(1/65 + 1/35) = 69.3565480152509
    z = sd_from_ci(0.0, 57.0, 65, 35, quantile="z").value
    t = sd_from_ci(0.0, 57.0, 65, 35, quantile="t").value
    assert z == pytest.approx(69.3565480152509, rel=1e-12)
    assert round(t, 1) == 68.5 and round(z, 1) == 69.4
    assert sd_from_ci(0.0, 57.0, 65, 35).value == z  # z stays the default


def test_sd_from_ci_t_tends_to_z_for_large_groups():
    z = sd_from_ci(0.0, 1.0, 10**6, 10**6).value
    assert sd_from_ci(0.0, 1.0, 10**6, 10**6, quantile="t").value == pytest.approx(z, rel=1e-5)


def test_sd_from_ci_other_level():
    # 90% interval: z = 1.644854 (R: qnorm(0.95)); n1 = n2 = 50 so sqrt(1/n1 + 1/n2) = 0.2.
    d = sd_from_ci(-1.0, 1.0, 50, 50, level=0.90)
    assert d.value == pytest.approx(2.0 / (2 * 1.644854) / 0.2, rel=1e-6)


# Wan et al. 2014, Table 2: exact denominators eta(Q) = 2 E[Z_(3Q+1)] for n = 4Q + 1, read from
# the copy in the R package meta (settings "Wan2014.Table2"). We reproduced them to 3 decimals by
# integrating the normal order-statistic density (scipy.integrate.quad) before using them here.
WAN_TABLE_2 = {5: 0.990, 9: 1.144, 13: 1.206, 21: 1.260, 41: 1.303, 101: 1.330, 201: 1.340}


@pytest.mark.parametrize(("n", "eta"), sorted(WAN_TABLE_2.items()))
def test_sd_from_iqr_formula_matches_wan_table_2(n, eta):
    # Equation 16 approximates Table 2; an IQR of eta must give an SD of about 1.
    assert sd_from_iqr(0.0, eta, n).value == pytest.approx(1.0, abs=0.005)


def test_sd_from_iqr_large_n_is_iqr_over_1_35():
    # Cochrane Handbook 6.5.2.5: for large normal samples SD ~ IQR / 1.35;
    # 2 * qnorm(0.75) = 1.348980 (R).
    assert sd_from_iqr(10.0, 20.0, 10**7).value == pytest.approx(10.0 / 1.348980, rel=1e-5)


def test_sd_from_iqr_worked_example():
    # By hand: n = 29, (0.75 * 29 - 0.125) / 29.25 = 0.7393162; R: 2 * qnorm(0.7393162) = 1.28247.
    assert sd_from_iqr(35.0, 72.0, 29).value == pytest.approx(37.0 / 1.28247, rel=1e-4)


def test_mean_from_median_iqr_worked_example():
    # Wan et al. 2014, equation 14, by hand: (35 + 50 + 72) / 3 = 52.333...
    d = mean_from_median_iqr(50.0, 35.0, 72.0)
    assert d.value == pytest.approx(157.0 / 3, rel=1e-12)
    assert "Wan X" in d.reference


@pytest.mark.parametrize("n", [1, 5, 30, 65, 300])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_zero_event_bound_is_clopper_pearson(n, level):
    # Independent implementation: scipy's exact (Clopper-Pearson, beta-quantile) interval. Its
    # two-sided interval at confidence 2 * level - 1 has the one-sided upper bound at `level`.
    ci = stats.binomtest(0, n).proportion_ci(confidence_level=2 * level - 1, method="exact")
    assert zero_event_upper_bound(n, level).value == pytest.approx(ci.high, rel=1e-9)


@pytest.mark.parametrize("n", [100, 1000])
def test_zero_event_bound_rule_of_three(n):
    # Hanley & Lippman-Hand (JAMA 1983;249:1743-5): the 95% bound is about 3/n for large n.
    assert zero_event_upper_bound(n).value == pytest.approx(3 / n, rel=0.02)


def test_effect_from_p_value_continuous_worked_example():
    # By hand: two-sided p = 0.05 -> z = 1.959964; 1.959964 * 10 * sqrt(1/50 + 1/50) = 3.919928.
    assert effect_from_p_value(0.05, 50, 50, sd=10.0).value == pytest.approx(3.919928, rel=1e-6)
    assert effect_from_p_value(0.05, 50, 50, sd=10.0, direction=-1).value == pytest.approx(
        -3.919928, rel=1e-6
    )
    # one-sided p = 0.025 is the same z.
    assert effect_from_p_value(0.025, 50, 50, sd=10.0, sided=1).value == pytest.approx(
        3.919928, rel=1e-6
    )


def test_effect_from_p_value_says_it_is_an_assumption():
    d = effect_from_p_value(0.08, 65, 35, p_control=0.4, direction=-1)
    assert "planning assumption" in d.explanation
    assert "winner's curse" in d.explanation


def test_odds_ratio_ci_matches_scipy_sample_odds_ratio():
    # Independent implementation: scipy.stats.contingency.odds_ratio(kind="sample") uses the
    # same log-OR normal interval.
    res = stats.contingency.odds_ratio([[23, 26], [10, 19]], kind="sample")
    ci = res.confidence_interval(0.90)
    d = odds_ratio_ci(23, 49, 10, 29, level=0.90)
    assert d.value == pytest.approx(res.statistic, rel=1e-12)
    assert d.interval == pytest.approx((ci.low, ci.high), rel=1e-10)


# --- registry and result object ---------------------------------------------------------------

EXAMPLES = [
    sd_from_ci(0.0, 57.0, 65, 35),
    sd_from_ci(1.44, 24.28, 49, 29, quantile="t"),
    se_from_ci(0.0, 57.0),
    proportion(23, 49),
    proportion_from_odds_ratio(10 / 29, 1.68),
    proportion_from_risk_ratio(0.3, 1.5),
    mean_from_median_iqr(50.0, 35.0, 72.0),
    sd_from_iqr(35.0, 72.0, 29),
    zero_event_upper_bound(65),
    effect_from_p_value(0.057, 65, 35, sd=69.36),
    effect_from_p_value(0.08, 65, 35, p_control=0.4, direction=-1),
    odds_ratio_ci(23, 49, 10, 29),
]


def test_registry_covers_every_derivation():
    assert set(DERIVATIONS) == {d.method for d in EXAMPLES}
    assert all(name == func.__name__ for name, func in DERIVATIONS.items())


@pytest.mark.parametrize("d", EXAMPLES, ids=lambda d: d.method)
def test_derive_recomputes_from_recorded_inputs(d):
    # What a scenario file stores: {method = ..., <inputs>}; derive(**that) gives it back.
    spec = {"method": d.method, **d.to_dict()["inputs"]}
    assert derive(**spec) == d


@pytest.mark.parametrize("d", EXAMPLES, ids=lambda d: d.method)
def test_derivation_fields(d):
    assert isinstance(d, Derivation)
    assert type(d.value) is float
    assert "\n" not in d.explanation
    assert f"{d.value:#.4g}" in d.explanation
    out = d.to_dict()
    assert json.loads(json.dumps(out)) == out
    assert ("interval" in out) == (d.interval is not None)


def test_references_cited_except_plain_arithmetic():
    arithmetic = {"proportion", "proportion_from_odds_ratio", "proportion_from_risk_ratio"}
    for d in EXAMPLES:
        assert (d.reference == "") == (d.method in arithmetic), d.method


def test_derive_unknown_method():
    with pytest.raises(ValueError, match="`method`.*'sd_from_cl'") as info:
        derive("sd_from_cl", lower=0.0, upper=57.0, n1=65, n2=35)
    assert "sd_from_ci" in str(info.value)


def test_derive_bad_inputs_name_the_method():
    with pytest.raises(ValueError, match="`sd_from_ci`.*'lower'"):
        derive("sd_from_ci", low=0.0, upper=57.0, n1=65, n2=35)


# --- properties -------------------------------------------------------------------------------

probabilities = st.floats(0.0, 1.0)
open_probabilities = st.floats(0.01, 0.99)
sizes = st.integers(2, 1000)
levels = st.floats(0.5, 0.999)


@given(p0=probabilities)
def test_odds_ratio_one_returns_p_control(p0):
    assert proportion_from_odds_ratio(p0, 1.0).value == pytest.approx(p0, abs=1e-15)


@given(p0=open_probabilities, odds_ratio=st.floats(0.01, 100.0))
def test_odds_ratio_round_trip(p0, odds_ratio):
    p1 = proportion_from_odds_ratio(p0, odds_ratio).value
    assert (p1 / (1 - p1)) / (p0 / (1 - p0)) == pytest.approx(odds_ratio, rel=1e-9)


@given(p0=probabilities)
def test_risk_ratio_one_returns_p_control(p0):
    assert proportion_from_risk_ratio(p0, 1.0).value == p0


@given(
    sd=st.floats(0.1, 1000.0),
    diff=st.floats(-100.0, 100.0),
    n1=sizes,
    n2=sizes,
    level=levels,
    quantile=st.sampled_from(["z", "t"]),
)
def test_sd_from_ci_inverts_the_ci_formula(sd, diff, n1, n2, level, quantile):
    tail = (1 - level) / 2
    q = stats.norm.isf(tail) if quantile == "z" else stats.t.isf(tail, n1 + n2 - 2)
    half = q * sd * math.sqrt(1 / n1 + 1 / n2)
    d = sd_from_ci(diff - half, diff + half, n1, n2, level=level, quantile=quantile)
    assert d.value == pytest.approx(sd, rel=1e-9)


@given(median=st.floats(-1e3, 1e3), half_iqr=st.floats(0.01, 1e3))
def test_mean_of_symmetric_quartiles_is_the_median(median, half_iqr):
    d = mean_from_median_iqr(median, median - half_iqr, median + half_iqr)
    assert d.value == pytest.approx(median, abs=1e-9 * half_iqr + 1e-12)


@given(n=st.integers(1, 10**6), level=st.floats(0.01, 0.999))
def test_zero_event_bound_leaves_alpha_for_zero_events(n, level):
    bound = zero_event_upper_bound(n, level).value
    assert 0 < bound < 1
    assert (1 - bound) ** n == pytest.approx(1 - level, rel=1e-9)


@given(
    p=st.floats(1e-6, 0.999),
    n1=sizes,
    n2=sizes,
    sd=st.floats(0.1, 100.0),
    sided=st.sampled_from([1, 2]),
    direction=st.sampled_from([1, -1]),
)
def test_effect_from_p_value_continuous_round_trip(p, n1, n2, sd, sided, direction):
    if sided == 1 and p >= 0.5:
        with pytest.raises(ValueError, match="`p_value`"):
            effect_from_p_value(p, n1, n2, sd=sd, sided=sided, direction=direction)
        return
    d = effect_from_p_value(p, n1, n2, sd=sd, sided=sided, direction=direction).value
    assert math.copysign(1, d) == direction
    z = d / (sd * math.sqrt(1 / n1 + 1 / n2))
    p_back = 2 * stats.norm.sf(abs(z)) if sided == 2 else stats.norm.sf(direction * z)
    assert p_back == pytest.approx(p, rel=1e-9)


def _chi2_p_value(p1, p0, n1, n2, sided, direction):
    """P-value of Pearson's chi-squared test (no correction) on expected-count tables.

    Independent of the module's z statistic: the two-sided pooled z test is this test; the
    one-sided p-value is half of it on the side of `direction`.
    """
    table = [[n1 * p1, n1 * (1 - p1)], [n2 * p0, n2 * (1 - p0)]]
    two_sided = stats.chi2_contingency(table, correction=False).pvalue
    if sided == 2:
        return two_sided
    return two_sided / 2 if (p1 - p0) * direction > 0 else 1 - two_sided / 2


@settings(deadline=None)
@given(
    p=st.floats(1e-6, 0.999),
    p0=open_probabilities,
    n1=sizes,
    n2=sizes,
    sided=st.sampled_from([1, 2]),
    direction=st.sampled_from([1, -1]),
)
def test_effect_from_p_value_binary_round_trip(p, p0, n1, n2, sided, direction):
    # Either the pooled z test on the implied proportion returns the p-value, or no proportion
    # on that side can reach it (checked at the boundary p1 = 1 or 0), or a one-sided p-value is
    # at least 0.5, and ValueError is raised.
    end = 1.0 if direction == 1 else 0.0
    reachable = _chi2_p_value(end, p0, n1, n2, sided, direction) <= p
    if not reachable or (sided == 1 and p >= 0.5):
        with pytest.raises(ValueError, match="`p_value`"):
            effect_from_p_value(p, n1, n2, p_control=p0, sided=sided, direction=direction)
        return
    p1 = effect_from_p_value(p, n1, n2, p_control=p0, sided=sided, direction=direction).value
    assert (p1 - p0) * direction > 0
    assert _chi2_p_value(p1, p0, n1, n2, sided, direction) == pytest.approx(p, rel=1e-6)


@settings(deadline=None)
@given(p=st.floats(1e-4, 0.999), p0=open_probabilities, n1=sizes, n2=sizes)
def test_effect_from_p_value_binary_mirror(p, p0, n1, n2):
    # Swapping events and non-events mirrors the answer: p1(p0, -1) = 1 - p1(1 - p0, +1).
    try:
        up = effect_from_p_value(p, n1, n2, p_control=1 - p0).value
    except ValueError:
        return
    down = effect_from_p_value(p, n1, n2, p_control=p0, direction=-1).value
    assert down == pytest.approx(1 - up, abs=1e-9)


@given(
    x1=st.integers(1, 200),
    y1=st.integers(1, 200),
    x2=st.integers(1, 200),
    y2=st.integers(1, 200),
    level=levels,
)
def test_odds_ratio_ci_matches_scipy(x1, y1, x2, y2, level):
    # Independent implementation: scipy.stats.contingency.odds_ratio(kind="sample").
    res = stats.contingency.odds_ratio([[x1, y1], [x2, y2]], kind="sample")
    ci = res.confidence_interval(level)
    d = odds_ratio_ci(x1, x1 + y1, x2, x2 + y2, level=level)
    assert d.value == pytest.approx(res.statistic, rel=1e-12)
    assert d.interval == pytest.approx((ci.low, ci.high), rel=1e-9)


# --- input checks -----------------------------------------------------------------------------

BAD_INPUTS = [
    (sd_from_ci, {"lower": 57.0, "upper": 0.0, "n1": 65, "n2": 35}, "lower"),
    (sd_from_ci, {"lower": 0.0, "upper": math.nan, "n1": 65, "n2": 35}, "upper"),
    (sd_from_ci, {"lower": 0.0, "upper": 57.0, "n1": 0, "n2": 35}, "n1"),
    (sd_from_ci, {"lower": 0.0, "upper": 57.0, "n1": 65, "n2": 35.0}, "n2"),
    (sd_from_ci, {"lower": 0.0, "upper": 57.0, "n1": 65, "n2": 35, "level": 95}, "level"),
    (
        sd_from_ci,
        {"lower": 0.0, "upper": 57.0, "n1": 65, "n2": 35, "quantile": "normal"},
        "quantile",
    ),
    (sd_from_ci, {"lower": 0.0, "upper": 57.0, "n1": 1, "n2": 1, "quantile": "t"}, "n1"),
    (proportion, {"events": 50, "total": 49}, "events"),
    (proportion, {"events": -1, "total": 49}, "events"),
    (proportion, {"events": 1, "total": 0}, "total"),
    (proportion, {"events": True, "total": 49}, "events"),
    (proportion_from_odds_ratio, {"p_control": 1.2, "odds_ratio": 2.0}, "p_control"),
    (proportion_from_odds_ratio, {"p_control": 0.3, "odds_ratio": 0.0}, "odds_ratio"),
    (proportion_from_risk_ratio, {"p_control": 0.6, "risk_ratio": 2.0}, "risk_ratio"),
    (proportion_from_risk_ratio, {"p_control": 0.3, "risk_ratio": -1.0}, "risk_ratio"),
    (mean_from_median_iqr, {"median": 80.0, "q1": 35.0, "q3": 72.0}, "median"),
    (mean_from_median_iqr, {"median": 50.0, "q1": 72.0, "q3": 35.0}, "q1"),
    (mean_from_median_iqr, {"median": None, "q1": 35.0, "q3": 72.0}, "median"),
    (sd_from_iqr, {"q1": 35.0, "q3": 72.0, "n": 4}, "n"),
    (sd_from_iqr, {"q1": 35.0, "q3": "72", "n": 29}, "q3"),
    (zero_event_upper_bound, {"n": 0}, "n"),
    (zero_event_upper_bound, {"n": 65, "level": 1.0}, "level"),
    (effect_from_p_value, {"p_value": 0.0, "n1": 65, "n2": 35, "sd": 69.0}, "p_value"),
    (effect_from_p_value, {"p_value": 0.6, "n1": 65, "n2": 35, "sd": 69.0, "sided": 1}, "p_value"),
    (effect_from_p_value, {"p_value": 0.05, "n1": 65, "n2": 35}, "sd"),
    (
        effect_from_p_value,
        {"p_value": 0.05, "n1": 65, "n2": 35, "sd": 69.0, "p_control": 0.4},
        "p_control",
    ),
    (effect_from_p_value, {"p_value": 0.05, "n1": 65, "n2": 35, "sd": -1.0}, "sd"),
    (effect_from_p_value, {"p_value": 0.05, "n1": 65, "n2": 35, "p_control": 1.0}, "p_control"),
    (effect_from_p_value, {"p_value": 0.05, "n1": 65, "n2": 35, "sd": 1.0, "sided": 3}, "sided"),
    (
        effect_from_p_value,
        {"p_value": 0.05, "n1": 65, "n2": 35, "sd": 1.0, "direction": 0},
        "direction",
    ),
    (effect_from_p_value, {"p_value": 1e-6, "n1": 5, "n2": 5, "p_control": 0.9}, "p_value"),
    (odds_ratio_ci, {"x1": 0, "n1": 49, "x2": 10, "n2": 29}, "x1"),
    (odds_ratio_ci, {"x1": 23, "n1": 49, "x2": 29, "n2": 29}, "x2"),
    (odds_ratio_ci, {"x1": 23, "n1": 49, "x2": 10, "n2": 29, "level": 0.0}, "level"),
]


@pytest.mark.parametrize(
    ("func", "kwargs", "name"), BAD_INPUTS, ids=[f"{f.__name__}-{a}" for f, _, a in BAD_INPUTS]
)
def test_bad_input_names_the_argument(func, kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        func(**kwargs)
